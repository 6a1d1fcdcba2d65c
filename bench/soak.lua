-- wrk script for bench/soak.sh: mixed traffic, mostly good predictions with bad requests among them
-- (text named .png, truncated PNG, empty file, no file field, unknown path, wrong method, health checks).
-- Counts answers by status.
local boundary = "----digitsoak51c2"

local function read_file(path)
  local file = assert(io.open(path, "rb"), "cannot open " .. path)
  local data = file:read("*a")
  file:close()
  return data
end

local function multipart(field, filename, content)
  return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. field .. "\"; filename=\""
    .. filename .. "\"\r\nContent-Type: image/png\r\n\r\n" .. content .. "\r\n--" .. boundary .. "--\r\n"
end

local requests = {}
function init(args)
  local image = read_file(os.getenv("LOAD_IMAGE"))
  local form = { ["Content-Type"] = "multipart/form-data; boundary=" .. boundary }
  local good = wrk.format("POST", "/predict", form, multipart("file", "digit.png", image))
  -- 12 good for every 8 others
  for _ = 1, 12 do table.insert(requests, good) end
  table.insert(requests, wrk.format("POST", "/predict", form, multipart("file", "notes.png", "plain text, not a picture")))
  table.insert(requests, wrk.format("POST", "/predict", form, multipart("file", "cut.png", image:sub(1, math.floor(#image / 2)))))
  table.insert(requests, wrk.format("POST", "/predict", form, multipart("file", "empty.png", "")))
  table.insert(requests, wrk.format("POST", "/predict", form, multipart("photo", "digit.png", image)))
  table.insert(requests, wrk.format("GET", "/no/such/path"))
  table.insert(requests, wrk.format("GET", "/predict"))
  table.insert(requests, wrk.format("GET", "/healthz"))
  table.insert(requests, wrk.format("POST", "/predict/batch", form, multipart("file", "digit.png", image)))
  counter = 0
  statuses = {}
end

function request()
  counter = counter + 1
  return requests[(counter % #requests) + 1]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

local threads = {}
function setup(thread) table.insert(threads, thread) end

function done(summary, latency, reqs)
  local totals = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do totals[status] = (totals[status] or 0) + count end
  end
  local parts = {}
  for status, count in pairs(totals) do table.insert(parts, status .. ":" .. count) end
  table.sort(parts)
  io.write(string.format("SOAK requests=%d rps=%.0f p50_ms=%.3f p99_ms=%.3f socket_errors=%d statuses=%s\n",
    summary.requests, summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout, table.concat(parts, ",")))
end
