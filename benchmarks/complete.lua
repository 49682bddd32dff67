-- wrk -s complete.lua: count complete answers of a BFF (a 200 with no null value and, if
-- the body has a "degraded" list, an empty one); printed as "complete N" at the end.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  complete = 0
end

function response(status, headers, body)
  if status == 200 and not string.find(body, "null", 1, true) and
      (not string.find(body, '"degraded"', 1, true) or
       string.find(body, '"degraded": []', 1, true)) then
    complete = complete + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    total = total + thread:get("complete")
  end
  io.write(string.format("complete %d\n", total))
end
