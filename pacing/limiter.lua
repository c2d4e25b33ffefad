-- outreach rolling-window limiter: one script, one operation per call.
-- The algorithm mirrors memlimiter.go; pacing/limitertest holds both to one
-- suite. Times are integer unix milliseconds.
--
-- KEYS (all of one account, one hash tag {acct:ID}, built by the caller):
--   1 sends  ZSET  member = send ID, score = send time
--   2 notes  ZSET  the sends with a personalized note (kept longer)
--   3 state  HASH  send ID -> "r" (reserved) | "c" (confirmed: restored from
--                  the platform's record by restore.go, never released)
--   4 pause  STRING the pause end
-- ARGV[1] = op:
--   reserve id t note(0|1) weekly daily dayStart dayEnd gap notesPerMonth
--           monthStart monthEnd sendCutoff noteCutoff idleTTL
--     -> {granted(0|1), denial, retryAt(0 = unknown), existing(0|1)}
--     daily / notesPerMonth -1 = unlimited
--   release id          -> 0 ok (or not there) | 2 confirmed
--   pause until         -> 0
--   usage now dayStart dayEnd monthStart monthEnd
--     -> {week, day, notesMonth, last(0 = none), pausedUntil(0 = none)}
local sends, notes, state, pause = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local op = ARGV[1]
local WEEK = 604800000

-- entries in [lo, hi)
local function countRange(key, lo, hi)
  if lo >= hi then return 0 end
  return redis.call('ZCOUNT', key, lo, '(' .. hi)
end

local function pauseEnd()
  return tonumber(redis.call('GET', pause) or '0')
end

-- xs: sorted send times (a Lua array). upper: first index with xs[i] > v;
-- lower: first index with xs[i] >= v (#xs+1 if none).
local function upper(xs, v)
  local lo, hi = 1, #xs + 1
  while lo < hi do
    local m = math.floor((lo + hi) / 2)
    if xs[m] > v then hi = m else lo = m + 1 end
  end
  return lo
end

local function lower(xs, v)
  local lo, hi = 1, #xs + 1
  while lo < hi do
    local m = math.floor((lo + hi) / 2)
    if xs[m] >= v then hi = m else lo = m + 1 end
  end
  return lo
end

-- the most sends in one rolling week [s, s+WEEK) containing u (xs must hold
-- every send after u-WEEK): windows starting at a send in (u-WEEK, u] or at u.
local function weeklyMax(xs, u)
  local n = #xs
  local i, e = upper(xs, u - WEEK), upper(xs, u)
  if e > n then return e - i end
  local best = lower(xs, u + WEEK) - lower(xs, u)
  local j = i
  for k = i, e - 1 do
    if k == i or xs[k] ~= xs[k - 1] then
      local lim = xs[k] + WEEK
      while j <= n and xs[j] < lim do j = j + 1 end
      if j - k > best then best = j - k end
    end
  end
  return best
end

-- the earliest time after t at which the weekly check passes (0: never).
local function weeklyRetry(xs, t, weekly)
  if weekly <= 0 then return 0 end
  local i, e = upper(xs, t - WEEK), upper(xs, t)
  local skip = (e - i) - weekly
  if skip < 0 then skip = 0 end
  local prev = 0
  for idx = i + skip, #xs do
    local u = xs[idx] + WEEK
    if u ~= prev then
      prev = u
      if weeklyMax(xs, u) < weekly then return u end
    end
  end
  return xs[#xs] + WEEK
end

if op == 'reserve' then
  local id = ARGV[2]
  local t = tonumber(ARGV[3])
  local note = ARGV[4] == '1'
  local weekly, daily = tonumber(ARGV[5]), tonumber(ARGV[6])
  local dayStart, dayEnd = tonumber(ARGV[7]), tonumber(ARGV[8])
  local gap, npm = tonumber(ARGV[9]), tonumber(ARGV[10])
  local monthStart, monthEnd = tonumber(ARGV[11]), tonumber(ARGV[12])
  local sendCutoff, noteCutoff = tonumber(ARGV[13]), tonumber(ARGV[14])
  local idleTTL = ARGV[15]

  -- trim: sends (and their IDs) and notes that no window can need any more
  local old = redis.call('ZRANGEBYSCORE', sends, '-inf', '(' .. sendCutoff)
  if #old > 0 then
    for i = 1, #old, 1000 do
      redis.call('HDEL', state, unpack(old, i, math.min(i + 999, #old)))
    end
    redis.call('ZREMRANGEBYSCORE', sends, '-inf', '(' .. sendCutoff)
  end
  redis.call('ZREMRANGEBYSCORE', notes, '-inf', '(' .. noteCutoff)

  if redis.call('HEXISTS', state, id) == 1 then
    return {1, '', 0, 1}
  end

  local denial, retry, unknown = '', 0, false
  local function deny(d, at)
    if denial == '' then denial = d end
    if at == 0 then unknown = true elseif at > retry then retry = at end
  end

  local p = pauseEnd()
  if p > t then deny('paused', p) end

  -- weekly: the fast path when no send is after t
  local after = redis.call('ZCOUNT', sends, '(' .. t, '+inf')
  local wmax, xs
  if after == 0 then
    wmax = redis.call('ZCOUNT', sends, '(' .. (t - WEEK), t)
  else
    local r = redis.call('ZRANGEBYSCORE', sends, '(' .. (t - WEEK), '+inf', 'WITHSCORES')
    xs = {}
    for i = 2, #r, 2 do xs[#xs + 1] = tonumber(r[i]) end
    wmax = weeklyMax(xs, t)
  end
  if wmax >= weekly then
    if not xs then
      local r = redis.call('ZRANGEBYSCORE', sends, '(' .. (t - WEEK), '+inf', 'WITHSCORES')
      xs = {}
      for i = 2, #r, 2 do xs[#xs + 1] = tonumber(r[i]) end
    end
    deny('weekly', weeklyRetry(xs, t, weekly))
  end

  if daily >= 0 and countRange(sends, dayStart, dayEnd) >= daily then
    deny('daily', dayEnd)
  end

  if gap > 0 then
    local u = t
    while true do
      local r = redis.call('ZREVRANGEBYSCORE', sends, '(' .. (u + gap), '(' .. (u - gap), 'WITHSCORES', 'LIMIT', 0, 1)
      if #r == 0 then break end
      u = tonumber(r[2]) + gap
    end
    if u ~= t then deny('gap', u) end
  end

  if denial ~= '' then
    if unknown then retry = 0 end
    return {0, denial, retry, 0}
  end
  if note and npm >= 0 and countRange(notes, monthStart, monthEnd) >= npm then
    return {0, 'note_allowance', 0, 0}
  end

  -- an ID forgotten with its send (older than the send log) may still name
  -- a note of the note log: keep that note counted under another name
  local oldNote = redis.call('ZSCORE', notes, id)
  if oldNote then
    redis.call('ZADD', notes, oldNote, id .. '\0' .. oldNote)
    redis.call('ZREM', notes, id)
  end
  redis.call('ZADD', sends, ARGV[3], id)
  redis.call('HSET', state, id, 'r')
  if note then
    redis.call('ZADD', notes, ARGV[3], id)
    redis.call('PEXPIRE', notes, idleTTL)
  end
  redis.call('PEXPIRE', sends, idleTTL)
  redis.call('PEXPIRE', state, idleTTL)
  return {1, '', 0, 0}

elseif op == 'release' then
  local id = ARGV[2]
  local v = redis.call('HGET', state, id)
  if not v then return 0 end
  if v == 'c' then return 2 end
  redis.call('HDEL', state, id)
  redis.call('ZREM', sends, id)
  redis.call('ZREM', notes, id)
  return 0

elseif op == 'pause' then
  if tonumber(ARGV[2]) > pauseEnd() then
    redis.call('SET', pause, ARGV[2])
  end
  return 0

elseif op == 'usage' then
  local now = tonumber(ARGV[2])
  local last = 0
  local r = redis.call('ZREVRANGE', sends, 0, 0, 'WITHSCORES')
  if #r > 0 then last = tonumber(r[2]) end
  local p = pauseEnd()
  if p <= now then p = 0 end
  return {
    redis.call('ZCOUNT', sends, '(' .. (now - WEEK), now),
    countRange(sends, tonumber(ARGV[3]), tonumber(ARGV[4])),
    countRange(notes, tonumber(ARGV[5]), tonumber(ARGV[6])),
    last, p,
  }
end
return redis.error_reply('outreach limiter: unknown op ' .. tostring(op))
