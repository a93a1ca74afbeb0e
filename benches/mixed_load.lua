-- wrk script for benches/mixed_load.sh: every connection cycles through ask, search, brief,
-- a one-document post and the delete of a document it posted earlier; 5xx other than 503
-- (and 503 without Retry-After) are counted per thread and printed at the end.
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

local questions = {
  "What did SIDBI announce?",
  "Who chaired the NICDC consultation meeting?",
  "Which companies took part in the consultation?",
  "What is the Development of Industry Associations scheme?",
  "How many units have FPOs reached?",
  "What did the Secretary DFS say about innovation?",
}

function init(args)
  key = args[1] or "load-test-key"
  n = 0
  posted = 0
  bad5xx = 0
  no_retry_after = 0
  s503 = 0
  s4xx = 0
  s2xx = 0
end

local function json_headers(auth)
  local h = { ["Content-Type"] = "application/json" }
  if auth then h["Authorization"] = "Bearer " .. key end
  return h
end

function request()
  n = n + 1
  local q = questions[(n % #questions) + 1]
  local kind = n % 8
  if kind == 0 or kind == 1 or kind == 2 then
    return wrk.format("POST", "/v1/ask", json_headers(false),
      '{"question":"' .. q .. '","k":3}')
  elseif kind == 3 or kind == 4 then
    return wrk.format("POST", "/v1/search", json_headers(false),
      '{"query":"' .. q .. '","k":10}')
  elseif kind == 5 then
    return wrk.format("POST", "/v1/brief", json_headers(false),
      '{"topic":"industrial clusters and MSMEs"}')
  elseif kind == 6 then
    posted = posted + 1
    local id = "load-" .. tid .. "-" .. posted
    local body = '{"id":"' .. id .. '","title":"Cluster orders rise in round ' .. posted ..
      '","source":"load","published":"2026-11-20T10:00:00+05:30","body":"Industry associations in the ' ..
      'cluster reported that orders rose in round ' .. posted .. '. The association said members ' ..
      'would expand capacity next quarter. Exporters welcomed the support scheme."}'
    return wrk.format("POST", "/v1/documents", json_headers(true), body)
  else
    local id = "load-" .. tid .. "-" .. math.max(1, posted - 2)
    return wrk.format("DELETE", "/v1/documents/" .. id, json_headers(true), nil)
  end
end

function response(status, headers, body)
  if status >= 200 and status < 300 then
    s2xx = s2xx + 1
  elseif status == 503 then
    s503 = s503 + 1
    if headers["Retry-After"] == nil and headers["retry-after"] == nil then
      no_retry_after = no_retry_after + 1
    end
  elseif status >= 500 then
    bad5xx = bad5xx + 1
  else
    s4xx = s4xx + 1
  end
end

function done(summary, latency, requests)
  local t = { s2xx = 0, s4xx = 0, s503 = 0, bad5xx = 0, no_retry_after = 0 }
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do
      t[k] = t[k] + (thread:get(k) or 0)
    end
  end
  io.write(string.format(
    '{"requests":%d,"errors_socket":%d,"s2xx":%d,"s4xx":%d,"s503":%d,"bad5xx":%d,"s503_without_retry_after":%d,"p50_ms":%.1f,"p99_ms":%.1f,"rps":%.1f}\n',
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    t.s2xx, t.s4xx, t.s503, t.bad5xx, t.no_retry_after,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6)))
end
