-- wrk script: every request signs in the same account (BENCH_EMAIL / BENCH_PASSWORD).
local email = os.getenv("BENCH_EMAIL")
local password = os.getenv("BENCH_PASSWORD")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"email":"%s","password":"%s"}', email, password)

local failures = 0
function response(status, headers, body)
  if status ~= 200 then failures = failures + 1 end
end

function done(summary, latency, requests)
  io.write(string.format("sign-ins: %d ok-or-not requests, %.1f/s\n", summary.requests, summary.requests / (summary.duration / 1e6)))
end
