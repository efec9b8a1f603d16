-- wrk script: GET the access decision of a random device among 150,000.
dofile(".ci/wrk-report.lua")
local token
function init(args)
  token = args[1]
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end
function request()
  local id = math.random(1, 150000)
  return wrk.format("GET", "/api/v1/devices/L-MDM-" .. id .. "/access", { ["Authorization"] = "Bearer " .. token })
end
function response(status)
  if status ~= 200 then
    io.stderr:write("unexpected status " .. status .. "\n")
  end
end
