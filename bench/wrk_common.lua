-- bench/load.sh: shared by every wrk run. Counts responses whose status is not the expected
-- one (WRK_EXPECT, default 200: a redirect to the login page must not pass for a success)
-- and prints one line `WRK_JSON {...}` with requests/s and latency percentiles at the end.
-- A script that sets its own request() (bench/wrk_post_brief.lua) loads this file first.

local expect = tonumber(os.getenv("WRK_EXPECT") or "200")
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  unexpected = 0
  first_unexpected = 0
end

function response(status, headers, body)
  if status ~= expect then
    unexpected = unexpected + 1
    if first_unexpected == 0 then
      first_unexpected = status
    end
  end
end

function done(summary, latency, requests)
  local bad, first = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("unexpected")
    if first == 0 then
      first = thread:get("first_unexpected")
    end
  end
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %d, "seconds": %.3f, "rps": %.1f, "mean_ms": %.2f, '
      .. '"p50_ms": %.2f, "p90_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, '
      .. '"unexpected_status": %d, "first_unexpected": %d, "socket_errors": %d}\n',
    summary.requests, seconds, summary.requests / seconds, latency.mean / 1000,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000,
    bad, first, e.connect + e.read + e.write + e.timeout
  ))
end
