-- wrk script of scripts/load-test.sh: POST /v1/classify with real movie sentences.
-- The bodies come from the file named by $Q8_BODIES, one JSON body per line; each connection
-- thread takes them in turn, starting at its own offset. done() prints one parseable line.
local threads = {}

function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end

local bodies = {}
local counter = 0
local headers = { ["Content-Type"] = "application/json" }

function init(args)
   for line in io.lines(os.getenv("Q8_BODIES")) do
      bodies[#bodies + 1] = line
   end
   counter = (id * 131) % #bodies
end

function request()
   counter = counter % #bodies + 1
   return wrk.format("POST", "/v1/classify", headers, bodies[counter])
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "wrk-result requests=%d duration_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d " ..
      "p50_us=%d p90_us=%d p99_us=%d mean_us=%.0f max_us=%d\n",
      summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
