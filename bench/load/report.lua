-- wrk done() hook: one machine-readable line.
-- RESULT <req/s> <p50_us> <p99_us> <max_us> <socket_errors> <non-2xx/3xx responses>
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.1f %d %d %d %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.timeout, e.status))
end
