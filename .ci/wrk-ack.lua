-- wrk script: each request acknowledges one (employee, circular) pair as that employee's
-- signed-in browser session would (plain form post of the acknowledgment form). The pairs
-- come from the file given as the first argument, one per line: "<session cookie>\t<body>".
-- Every thread takes its own share of the lines, each line once (then it starts over, and
-- the portal answers with the acknowledgment that already exists).
dofile(".ci/wrk-report.lua")
local lines = {}
local next_line, step
local origin
function setup(thread)
  thread:set("id", (setup_count or 0))
  setup_count = (setup_count or 0) + 1
end
function init(args)
  for l in io.lines(args[1]) do lines[#lines + 1] = l end
  origin = args[2]
  step = tonumber(args[3] or "1")
  next_line = (id or 0) + 1
end
function request()
  local line = lines[next_line]
  next_line = next_line + step
  if next_line > #lines then next_line = (id or 0) + 1 end
  local cookie, body = line:match("^([^\t]+)\t(.*)$")
  return wrk.format("POST", "/fn/ack/acknowledge", {
    ["Cookie"] = "rs_session=" .. cookie,
    ["Origin"] = origin,
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Accept"] = "application/json",
  }, body)
end
function response(status)
  if status ~= 200 then
    io.stderr:write("unexpected status " .. status .. "\n")
  end
end
