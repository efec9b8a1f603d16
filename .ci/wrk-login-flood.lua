-- wrk script: a login flood — wrong passwords for random employees, as a password-spraying
-- attacker would send them. Every attempt is answered (redirect back with an error, or the
-- lock-out notice); the benchmark measures what it does to the other users' requests.
dofile(".ci/wrk-report.lua")
local origin
function init(args)
  origin = args[1]
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
end
function request()
  local body = string.format("email=p%d%%40grossstadt.de&password=wrong-%d", math.random(1, 100000), math.random(1, 1e9))
  return wrk.format("POST", "/auth/login", {
    ["Origin"] = origin,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end
