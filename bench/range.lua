-- wrk script: each request asks for a random 1 MiB byte range of a file.
--   wrk -s bench/range.lua URL -- FILE_SIZE_IN_BYTES
local chunk = 1024 * 1024
local size

function init(args)
  size = tonumber(args[1])
  -- Each wrk thread has its own Lua state; seed each differently.
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
end

function request()
  local first = math.random(0, size - chunk)
  return wrk.format("GET", nil, { ["Range"] = "bytes=" .. first .. "-" .. (first + chunk - 1) })
end
