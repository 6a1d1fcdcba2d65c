-- wrk script for bench/load.sh: POSTs one real image to /predict as multipart/form-data, and tallies
-- non-2xx answers. The image path comes from the environment (LOAD_IMAGE), read once per thread.
local boundary = "----digitbench7d1f3a"

local function read_file(path)
  local file = assert(io.open(path, "rb"), "cannot open " .. path)
  local data = file:read("*a")
  file:close()
  return data
end

local image = read_file(os.getenv("LOAD_IMAGE") or "bench/digit.png")
wrk.method = "POST"
wrk.path = os.getenv("LOAD_PATH") or "/predict"
wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
wrk.body = "--" .. boundary .. "\r\n"
  .. "Content-Disposition: form-data; name=\"file\"; filename=\"digit.png\"\r\n"
  .. "Content-Type: image/png\r\n\r\n"
  .. image .. "\r\n--" .. boundary .. "--\r\n"

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non2xx = 0
end

function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do bad = bad + thread:get("non2xx") end
  io.write(string.format("requests_per_s %.1f\n", summary.requests / (summary.duration / 1e6)))
  io.write(string.format("latency_p50_ms %.3f\n", latency:percentile(50) / 1000))
  io.write(string.format("latency_p99_ms %.3f\n", latency:percentile(99) / 1000))
  io.write(string.format("requests %d\n", summary.requests))
  io.write(string.format("non_2xx %d\n", bad))
  io.write(string.format("socket_errors %d\n", summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout))
end
