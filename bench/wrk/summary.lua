-- One machine-readable line at the end of a wrk run: requests per second, p50 and p99 in ms,
-- answers that were not 2xx/3xx, and socket errors. Other scripts load this one with dofile.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("SUMMARY rps=%.1f p50_ms=%.2f p99_ms=%.2f non2xx=%d errors=%d requests=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, e.status, e.connect + e.read + e.write + e.timeout, summary.requests))
end
