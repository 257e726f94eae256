-- wrk script for bench/load/deposit.sh: POST /cashier/deposit, a 295-byte JSON body (or, with
-- KIND=withdrawal, POST /cashier/withdrawal), rotating
-- over the customers of $DEPOSIT_TOKENS (lines "login token"), each request with its own
-- UUID-shaped idempotency key built from the run's nonce ($RUN_NONCE), the thread id and a
-- per-thread counter, so no key repeats within a run or across the legs of one run.
-- done() prints one machine-readable line:
-- RESULT <req/s> <p50_us> <p99_us> <max_us> <socket_errors> <non-2xx/3xx responses> <responses>

local threads_n = 0
function setup(thread)
  threads_n = threads_n + 1
  thread:set("tid", threads_n)
end

local customers = {}
local counter = 0
local nonce = 0
local body_format = '{"login":%s,"provider":"sandbox","method":"card","amount":1500.00,' ..
  '"currency":"USD","idempotency_key":"%08x-%04x-4%03x-%04x-%012d",' ..
  '"success_url":"https://broker.example.com/cashier/return",' ..
  '"comment":"load test","metadata_json":"{\\"campaign\\":\\"spring-2026\\",\\"platform\\":\\"mt5\\"}"}'
-- KIND=withdrawal: POST /cashier/withdrawal of 1.00 instead (a 231-byte body), each a hold
-- checked against the account's available balance.
local target = "/cashier/deposit"
if os.getenv("KIND") == "withdrawal" then
  target = "/cashier/withdrawal"
  body_format = '{"login":%s,"provider":"sandbox","method":"card_payout","amount":1.00,' ..
    '"currency":"USD","idempotency_key":"%08x-%04x-4%03x-%04x-%012d",' ..
    '"details":{"card_last4":"4242","holder":"Load Test"},"comment":"load test"}'
end

function init(args)
  local path = os.getenv("DEPOSIT_TOKENS")
  if not path then error("DEPOSIT_TOKENS is not set") end
  for line in io.lines(path) do
    local login, token = line:match("^(%d+) (%S+)$")
    if login then
      customers[#customers + 1] = {
        login = login,
        headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token },
      }
    end
  end
  if #customers == 0 then error("no customers in " .. path) end
  local s = os.getenv("RUN_NONCE") or tostring(os.time())
  for i = 1, #s do nonce = (nonce * 31 + s:byte(i)) % 65536 end
  math.randomseed(nonce * 7919 + tid)
  -- Threads start on different customers so they do not all queue on one.
  counter = 0
  customers.start = (tid * 17) % #customers
end

function request()
  counter = counter + 1
  local c = customers[(customers.start + counter) % #customers + 1]
  local body = string.format(body_format, c.login,
    math.random(0, 2147483647), tid % 65536, math.random(0, 4095), nonce, counter)
  return wrk.format("POST", target, c.headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.1f %d %d %d %d %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.timeout, e.status, summary.requests))
end
