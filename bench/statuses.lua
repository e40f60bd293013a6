-- Counts answers by status class across wrk's threads and prints them with p99 and max latency.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  ok, client_errors, server_errors = 0, 0, 0
end

function response(status, headers, body)
  if status >= 500 then
    server_errors = server_errors + 1
  elseif status >= 400 then
    client_errors = client_errors + 1
  else
    ok = ok + 1
  end
end

function done(summary, latency, requests)
  local total_ok, total_4xx, total_5xx = 0, 0, 0
  for _, thread in ipairs(threads) do
    total_ok = total_ok + thread:get("ok")
    total_4xx = total_4xx + thread:get("client_errors")
    total_5xx = total_5xx + thread:get("server_errors")
  end
  local e = summary.errors
  io.write(string.format("RESULT requests=%d 2xx/3xx=%d 4xx=%d 5xx=%d socket_errors=%d p99_ms=%.1f max_ms=%.1f\n",
    summary.requests, total_ok, total_4xx, total_5xx, e.connect + e.read + e.write + e.timeout,
    latency:percentile(99) / 1000, latency.max / 1000))
end
