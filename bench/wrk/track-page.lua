-- POST /api/session/page on the session in BENCH_COOKIE, from the app's own origin (BENCH_ORIGIN),
-- as the app's pages would: a cookie-carrying POST without it is refused as cross-site.
wrk.method = "POST"
wrk.body = '{"page":"/about"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
wrk.headers["Origin"] = os.getenv("BENCH_ORIGIN")
dofile(os.getenv("BENCH_DIR") .. "/wrk/summary.lua")
