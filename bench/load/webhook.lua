-- wrk script for bench/load/deposit.sh's webhook legs: POST /cashier/webhook/sandbox with
-- pre-signed success events, one per pending transaction, from $WEBHOOK_REQUESTS (lines
-- "<signature>\t<body>", signed just before the leg, inside the 300 s tolerance). Each line is
-- sent once; running out would turn the rest into replays (cheaper than credits), so the
-- script counts them and the leg fails if there were any.
-- done() prints one machine-readable line:
-- RESULT <req/s> <p50_us> <p99_us> <max_us> <socket_errors> <non-2xx/3xx> <responses> <exhausted>

local pool = {}
local next_index = 0
local exhausted = 0

function init(args)
  local path = os.getenv("WEBHOOK_REQUESTS")
  if not path then error("WEBHOOK_REQUESTS is not set") end
  for line in io.lines(path) do
    local signature, body = line:match("^([^\t]+)\t(.+)$")
    if signature then
      pool[#pool + 1] = wrk.format("POST", "/cashier/webhook/sandbox",
        { ["Content-Type"] = "application/json", ["X-Cashier-Signature"] = signature }, body)
    end
  end
  if #pool == 0 then error("no requests in " .. path) end
end

function request()
  next_index = next_index + 1
  if next_index > #pool then
    exhausted = exhausted + 1
    return pool[#pool]
  end
  return pool[next_index]
end

-- Thread-local counts reach done() through the thread objects.
local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
end

function done(summary, latency, requests)
  local e = summary.errors
  local ran_out = 0
  for _, thread in ipairs(threads) do ran_out = ran_out + (thread:get("exhausted") or 0) end
  io.write(string.format("RESULT %.1f %d %d %d %d %d %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.timeout, e.status, summary.requests, ran_out))
end
