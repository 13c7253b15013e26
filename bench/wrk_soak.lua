-- A soak over a mix of URLs: each wrk thread round-robins over the paths given after `--`
-- (threads start at different offsets), every request carrying the headers the TLS proxy
-- adds in production. The summary comes from wrk_report.lua's done() (one BENCH line).
--
--   wrk -t2 -c32 -d60s -s bench/wrk_soak.lua http://127.0.0.1:PORT -- HOST PATH [PATH ...]

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "wrk_report.lua")

local counter = 0

function setup(thread)
  thread:set("offset", counter)
  counter = counter + 1
end

local requests = {}
local index = 0

function init(args)
  local host = args[1]
  local headers = { ["Host"] = host, ["X-Forwarded-Proto"] = "https" }
  for i = 2, #args do
    requests[#requests + 1] = wrk.format("GET", args[i], headers)
  end
  if #requests == 0 then
    error("wrk_soak.lua: give the Host and at least one path after --")
  end
  index = (offset or 0) * 7 % #requests
end

function request()
  index = index % #requests + 1
  return requests[index]
end
