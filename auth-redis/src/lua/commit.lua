-- Applies a request's session-data changes in one step, all or nothing, exactly as
-- auth_policy::session_data::apply does. KEYS: record.
-- ARGV: 1 user, 2 data limit in bytes, 3 key limit, then one group of four per change:
-- op, slot (or map/list name), a, b:
--   P slot json        put                 D slot             delete
--   S slot ver json    swap if version     X slot ver         swap to absent if version
--   A slot delta       add to a counter    U list json        push to a list
--   T slot             take                L name             take every entry
--   C name             clear every entry
-- A data slot is the field '=' .. slot holding '<version>:<json>'.
-- Returns {-1} when the session is gone or not the user's (nothing is re-created), {-2} over
-- the limits, {-3} for a counter out of range or holding something else, {0, slot, current
-- or nil, ...} on swap conflicts, {1, new version, taken slot, json, ...} when applied.
local rec = KEYS[1]
local head = redis.call('HMGET', rec, 'u', 'v')
if not head[1] or head[1] ~= ARGV[1] then return {-1} end

local function split(stored)
  local p = string.find(stored, ':', 1, true)
  return string.sub(stored, 1, p - 1), string.sub(stored, p + 1)
end

local data = {}
local all = redis.call('HGETALL', rec)
for n = 1, #all, 2 do
  if string.sub(all[n], 1, 1) == '=' then data[string.sub(all[n], 2)] = all[n + 1] end
end

-- Every swap is checked before anything applies.
local conflicts, seen = {0}, {}
for n = 4, #ARGV, 4 do
  local op, slot = ARGV[n], ARGV[n + 1]
  if op == 'S' or op == 'X' then
    local current = data[slot]
    local version = '0'
    if current then version = split(current) end
    if version ~= ARGV[n + 2] and not seen[slot] then
      seen[slot] = true
      conflicts[#conflicts + 1] = slot
      conflicts[#conflicts + 1] = current or false
    end
  end
end
if #conflicts > 1 then return conflicts end

local function measure(d)
  local total, keys, names = 0, 0, {}
  for slot, stored in pairs(d) do
    local _, json = split(stored)
    total = total + #slot + #json
    local name = string.match(slot, '^[^:]*')
    if not names[name] then
      names[name] = true
      keys = keys + 1
    end
  end
  return total, keys
end

-- Byte order, as the Rust side sorts (Redis may run Lua under a locale's collation).
local function less(a, b)
  for i = 1, math.min(#a, #b) do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

local function counter(json)
  local digits = string.match(json, '^%-?(%d+)$')
  if not digits or #digits > 16 or (#digits > 1 and string.sub(digits, 1, 1) == '0') then
    return nil
  end
  return tonumber(json)
end

local MAX = 9007199254740991
local before_total, before_keys = measure(data)
local version = string.format('%d', tonumber(head[2]) + 1)
local touched, taken, pushed = {}, {}, 0
for n = 4, #ARGV, 4 do
  local op, slot, a, b = ARGV[n], ARGV[n + 1], ARGV[n + 2], ARGV[n + 3]
  if op == 'P' then
    data[slot] = version .. ':' .. a
    touched[slot] = true
  elseif op == 'S' then
    data[slot] = version .. ':' .. b
    touched[slot] = true
  elseif op == 'D' or op == 'X' then
    data[slot] = nil
    touched[slot] = true
  elseif op == 'A' then
    local old = 0
    if data[slot] then
      local _, json = split(data[slot])
      old = counter(json)
      if not old or math.abs(old) > MAX then return {-3} end
    end
    local delta = tonumber(a)
    if not delta or math.abs(delta) > MAX then return {-3} end
    local sum = old + delta
    if math.abs(sum) > MAX then return {-3} end
    data[slot] = version .. ':' .. string.format('%d', sum)
    touched[slot] = true
  elseif op == 'U' then
    pushed = pushed + 1
    local entry = slot .. ':' .. string.format('%020d.%03d', tonumber(version), pushed)
    data[entry] = version .. ':' .. a
    touched[entry] = true
  elseif op == 'T' then
    if data[slot] then
      local _, json = split(data[slot])
      taken[#taken + 1] = slot
      taken[#taken + 1] = json
      data[slot] = nil
      touched[slot] = true
    end
  elseif op == 'L' or op == 'C' then
    local prefix = slot .. ':'
    local entries = {}
    for s in pairs(data) do
      if string.sub(s, 1, #prefix) == prefix then entries[#entries + 1] = s end
    end
    table.sort(entries, less)
    for _, s in ipairs(entries) do
      if op == 'L' then
        local _, json = split(data[s])
        taken[#taken + 1] = s
        taken[#taken + 1] = json
      end
      data[s] = nil
      touched[s] = true
    end
  end
end

local total, keys = measure(data)
if (total > tonumber(ARGV[2]) and total > before_total)
  or (keys > tonumber(ARGV[3]) and keys > before_keys) then
  return {-2}
end
for slot in pairs(touched) do
  if data[slot] then
    redis.call('HSET', rec, '=' .. slot, data[slot])
  else
    redis.call('HDEL', rec, '=' .. slot)
  end
end
redis.call('HSET', rec, 'v', version)
local out = {1, version}
for _, v in ipairs(taken) do out[#out + 1] = v end
return out
