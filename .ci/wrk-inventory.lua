-- wrk script: POST an inventory report (30 apps; every 10th report carries WhatsApp) for a
-- random device among 150,000.
dofile(".ci/wrk-report.lua")
local token
local apps = {}
for i = 1, 30 do apps[i] = string.format('{"id":"org.example.app%d","name":"App %d","version":"1.%d"}', i, i, i) end
local base = table.concat(apps, ",")
function init(args)
  token = args[1]
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end
function request()
  local id = math.random(1, 150000)
  local list = base
  if math.random(1, 10) == 1 then list = list .. ',{"id":"com.whatsapp","name":"WhatsApp"}' end
  local body = string.format('{"mdm_id":"L-MDM-%d","platform":"android","apps":[%s]}', id, list)
  return wrk.format("POST", "/api/v1/inventory", { ["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json" }, body)
end
function response(status)
  if status ~= 200 then
    io.stderr:write("unexpected status " .. status .. "\n")
  end
end
