-- wrk script for bench/feedback-load.sh: POSTs corrections to /feedback (multipart/form-data: the image of
-- LOAD_IMAGE, a label 0-9 in turn, kind=digit, consent=true), and tallies answers by status. Each thread
-- builds its ten requests once.
local boundary = "----digitfeedback3c9e"

local function read_file(path)
  local file = assert(io.open(path, "rb"), "cannot open " .. path)
  local data = file:read("*a")
  file:close()
  return data
end

local function field(name, value)
  return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name .. "\"\r\n\r\n" .. value .. "\r\n"
end

local requests = {}
function init(args)
  local image = read_file(os.getenv("LOAD_IMAGE") or "bench/digit.png")
  local headers = { ["Content-Type"] = "multipart/form-data; boundary=" .. boundary }
  for label = 0, 9 do
    local body = field("label", tostring(label)) .. field("kind", "digit") .. field("consent", "true")
      .. field("predicted", "3") .. field("model_version", "bench")
      .. "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"digit.png\"\r\n"
      .. "Content-Type: image/png\r\n\r\n" .. image .. "\r\n--" .. boundary .. "--\r\n"
    table.insert(requests, wrk.format("POST", "/feedback", headers, body))
  end
  counter = 0
  non2xx = 0
  statuses = {}
end

function request()
  counter = counter + 1
  return requests[(counter % #requests) + 1]
end

function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
  statuses[status] = (statuses[status] or 0) + 1
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function done(summary, latency, reqs)
  local bad, totals = 0, {}
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
    for status, count in pairs(thread:get("statuses")) do totals[status] = (totals[status] or 0) + count end
  end
  local parts = {}
  for status, count in pairs(totals) do table.insert(parts, status .. ":" .. count) end
  table.sort(parts)
  io.write(string.format("requests_per_s %.1f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("latency_p50_ms %.3f\n", latency:percentile(50) / 1000))
  io.write(string.format("latency_p99_ms %.3f\n", latency:percentile(99) / 1000))
  io.write(string.format("requests %d\n", summary.requests))
  io.write(string.format("non_2xx %d\n", bad))
  io.write(string.format("statuses %s\n", table.concat(parts, ",")))
  io.write(string.format("socket_errors %d\n", summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout))
end
