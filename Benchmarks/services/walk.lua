-- Walks a list of requests once, each line "token<TAB>method<TAB>path<TAB>body"; thread t of
-- T takes lines t, t+T, t+2T… so no request is sent twice. When a thread's lines run out it
-- sends GET /healthz instead (counted as idle; check.py then warns that the phase's figures
-- include them).
--
--   wrk -t2 -c200 -d20s --latency -s walk.lua URL -- LIST THREADS LOG_PREFIX [RATE]
--
-- RATE (requests/s over all threads, default 0 = as fast as the server answers): each thread
-- sends on a fixed schedule, as many independent clients would, instead of as soon as a
-- connection is free; latency is then measured at that load, not at saturation.
--
-- Each thread logs one line a response to LOG_PREFIX.<thread>: "ok<TAB>order id" or
-- "<status><TAB>error code"; done() prints "lua: sent S ok O failed F idle I per-thread s1,s2…".

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock, bench_timespec *tp);
]]
local clock = ffi.new("bench_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

local threads, created = {}, 0

function setup(thread)
  created = created + 1
  thread:set("tid", created)
  table.insert(threads, thread)
end

function init(args)
  nthreads, sent, ok, failed, idle, k = tonumber(args[2]), 0, 0, 0, 0, 0
  mine = {}
  local n = 0
  for l in io.lines(args[1]) do
    if l ~= "" then
      if n % nthreads == tid - 1 then mine[#mine + 1] = l end
      n = n + 1
    end
  end
  log = io.open(args[3] .. "." .. tid, "w")
  log:setvbuf("line")
  -- wrk calls request() once on the first thread before the run, to check it: that call must
  -- not use up a line.
  primed = tid ~= 1
  health = wrk.format("GET", "/healthz")
  local rate = tonumber(args[4] or "0")
  if rate > 0 then
    local interval, slot = nthreads * 1000 / rate, nil
    -- wrk asks before each request how many ms to wait: until this thread's next slot.
    delay = function()
      local now = now_ms()
      slot = slot and slot + interval or now
      return math.max(0, math.floor(slot - now + 0.5))
    end
  end
end

local function make(line)
  local token, method, path, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t?(.*)$")
  return wrk.format(method, path, { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" },
                    body ~= "" and body or nil)
end

function request()
  local line = mine[k + 1]
  if not primed then primed = true; return line and make(line) or health end
  if not line then idle = idle + 1; return health end
  k, sent = k + 1, sent + 1
  return make(line)
end

function response(status, headers, body)
  if body:find('"database"', 1, true) then return end -- an idle /healthz
  if status >= 200 and status < 300 then
    ok = ok + 1
    log:write("ok\t", body:match('"id":"([%x%-]+)"') or "?", "\n")
  else
    failed = failed + 1
    log:write(status, "\t", body:match('"code":"([^"]+)"') or "?", "\n")
  end
end

function done(summary, latency, requests)
  local s, o, f, i, per = 0, 0, 0, 0, {}
  for _, t in ipairs(threads) do
    s, o, f, i = s + t:get("sent"), o + t:get("ok"), f + t:get("failed"), i + t:get("idle")
    per[#per + 1] = tostring(t:get("sent"))
  end
  io.write(string.format("lua: sent %d ok %d failed %d idle %d per-thread %s\n", s, o, f, i, table.concat(per, ",")))
end
