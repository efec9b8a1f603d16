-- wrk script: GET the URL given on the command line, optionally with a session cookie
-- (first argument), e.g. /healthz (the trivial-handler baseline) or / (the inbox page).
dofile(".ci/wrk-report.lua")
local cookie
function init(args) cookie = args[1] end
function request()
  local headers = {}
  if cookie and cookie ~= "" then headers["Cookie"] = "rs_session=" .. cookie end
  return wrk.format("GET", nil, headers)
end
