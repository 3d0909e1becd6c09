-- wrk script of bench/run.py: one connection per wrk thread, request bodies from a plan file, status counts.
--
-- The plan file (path in BENCH_WRK_PLAN) holds tab-free lines:
--   mode <fixed|template|bodies>
--   auth <Authorization header value>
--   template <body with @SEQ@ @CIRCUIT@ @CATEGORY@ @OUTAGE@ @PORT@>   (mode template / fixed)
--   circuit <id>                                                      (mode template, any number, in order)
--   body <JSON>                                                       (mode bodies: each sent exactly once)
-- Thread i sends sequence numbers BENCH_WRK_OFFSET + i, then + BENCH_WRK_STEP each time (as the Python driver
-- does); in mode bodies it stops once its share is answered and says so (bench/wrk.py then runs one wrk
-- process per connection, so that a finished share leaves no idle connection holding a server worker). done() prints one
-- line "BENCH-RESULT {json}" that bench/wrk.py reads, with the latency percentiles.

local threads = {}
local counter = 1

function setup(thread)
   thread:set("index", counter - 1)
   table.insert(threads, thread)
   counter = counter + 1
end

local categories = { "transmission", "datacom", "core", "power" }
local mode, template, circuits, bodies = "fixed", "", {}, {}
local seq, sent, answered, share = 0, 0, 0, 0
statuses, extra_sent = {}, 0

function init(args)
   local offset = tonumber(os.getenv("BENCH_WRK_OFFSET") or "0")
   local total = tonumber(os.getenv("BENCH_WRK_STEP"))
   for line in io.lines(os.getenv("BENCH_WRK_PLAN")) do
      local key, value = line:match("^(%S+) (.*)$")
      if key == "mode" then mode = value
      elseif key == "auth" then wrk.headers["Authorization"] = value
      elseif key == "template" then template = value
      elseif key == "circuit" then table.insert(circuits, value)
      elseif key == "body" then table.insert(bodies, value)
      end
   end
   wrk.method = "POST"
   wrk.headers["Content-Type"] = "application/json"
   step = total
   seq = offset + index
   if mode == "bodies" then
      share = 0
      for _ = seq + 1, #bodies, total do share = share + 1 end
   end
end

local function fill(n)
   local body = template:gsub("@SEQ@", tostring(n))
   if #circuits > 0 then body = body:gsub("@CIRCUIT@", circuits[(n % #circuits) + 1]) end
   body = body:gsub("@CATEGORY@", categories[(n % 4) + 1])
   body = body:gsub("@OUTAGE@", (n % 3 == 0) and "total" or "partial")
   body = body:gsub("@PORT@", tostring(n % 16))
   return body
end

local verified = false

function request()
   -- wrk calls request() once on thread 0 before the run to check it (and sends nothing): that call does not
   -- consume a body.
   if index == 0 and not verified then
      verified = true
      if mode == "bodies" then return wrk.format(nil, nil, nil, bodies[seq + 1]) end
      return wrk.format(nil, nil, nil, mode == "template" and fill(seq) or template)
   end
   local n = seq
   seq = seq + step
   if mode == "bodies" then
      if sent >= share then
         -- Only reached if wrk asks again before the thread stops: a harmless GET, counted apart.
         extra_sent = extra_sent + 1
         return wrk.format("GET", "/api/v1/bench/ping/", nil, nil)
      end
      sent = sent + 1
      return wrk.format(nil, nil, nil, bodies[n + 1])
   elseif mode == "template" then
      return wrk.format(nil, nil, nil, fill(n))
   end
   return wrk.format(nil, nil, nil, template)
end

function response(status, headers, body)
   local key = tostring(status)
   statuses[key] = (statuses[key] or 0) + 1
   if mode == "bodies" then
      answered = answered + 1
      if answered >= share then
         -- wrk's main thread sleeps for -d whatever the threads do: bench/wrk.py reads this line and sends
         -- SIGINT, which ends the run (done() runs, the process exits and closes its connection).
         wrk.thread:stop()
         io.write("BENCH-SHARE-DONE\n")
         io.flush()
      end
   end
end

function done(summary, latency, requests)
   local counts = {}
   local extras = 0
   for _, thread in ipairs(threads) do
      local s = thread:get("statuses")
      for k, v in pairs(s) do counts[k] = (counts[k] or 0) + v end
      extras = extras + (thread:get("extra_sent") or 0)
   end
   local parts = {}
   for k, v in pairs(counts) do table.insert(parts, string.format('"%s": %d', k, v)) end
   -- the latency distribution as percentiles (0 = min, 100 = max), to merge the runs of several processes
   local qs, grid = {}, {}
   if summary.requests > 0 then
      qs = { string.format('"0": %d', latency.min), string.format('"100": %d', latency.max) }
      for p = 1, 99 do table.insert(grid, p) end
      table.insert(grid, 99.5)
      table.insert(grid, 99.9)
   end
   for _, p in ipairs(grid) do table.insert(qs, string.format('"%s": %d', tostring(p), latency:percentile(p))) end
   local e = summary.errors
   io.write(string.format(
      'BENCH-RESULT {"requests": %d, "duration_us": %d, "statuses": {%s}, "errors": {"connect": %d, "read": %d, ' ..
      '"write": %d, "status": %d, "timeout": %d}, "extra": %d, ' ..
      '"quantiles_us": {%s}}\n',
      summary.requests, summary.duration, table.concat(parts, ", "), e.connect, e.read, e.write, e.status,
      e.timeout, extras, table.concat(qs, ", ")))
end
