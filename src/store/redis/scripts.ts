// The Lua scripts of the Redis store. Every read-modify-write that must be atomic runs as one script (EVALSHA through
// ioredis defineCommand), so two nodes on one Redis can never interleave inside a charge, a claim or a cancel.
//
// Calling convention of every script: no declared KEYS (keys are built from the prefix, so the store runs on one
// Redis primary, not Redis Cluster); ARGV[1] = key prefix, ARGV[2] = the store's clock (ms) for `updated_at`,
// ARGV[3] = claim timeout (ms), ARGV[4] = this node's id; the script's own arguments follow from ARGV[5].
// The MT writes (sgCharge, sgCredit, sgAccept) and sgClaim take a deadline as their LAST argument (epoch ms, '' =
// none): run after it by Redis's clock, they write nothing and answer 'late' — their caller has given up (and answered
// a refusal, or claims again later).
//
// Numbers that must stay exact (money, rates, scores) travel as strings and are stored as given: Lua's tostring keeps
// only 14 digits, so the scripts never format a number with it (string.format('%.0f') for integer scores).
//
// Keys (P = prefix):
//   P groups (hash gid → 1|0)      P gusers:<gid> (set of uids)    P users (set)      P usernames (hash → uid)
//   P user:<uid> (hash: j = record JSON without the moving quotas, un, gid, b = balance µ, s = sms_count; absent = null)
//   P conns (hash cid → JSON)      P connstarted (hash cid → 1|0)  P mtroutes / P moroutes (hash order → JSON)
//   P routesver (counter)          P seq (acceptance counter)
//   P m:<id> (hash: what moves in a message part, every value short so Redis keeps it in its compact encoding)
//   P b:<id> (string: the part's immutable fields as JSON, a newline, then short_message's bytes)
//   P q:<cid> (zset: due queued parts, score = (255 − priority)·2^44 + acceptance seq)
//   P qs:<cid> (zset: scheduled queued parts by schedule_at)        P depth (hash cid → queued parts)
//   P qexp (zset: queued parts by expires_at)                        P infl (zset: parts being sent, by claim deadline)
//   P hu:<uid>, P hd:<destination>, P hall (zsets: history by submitted_at)
//   P rm:<len(cid)>:<cid>:<upstream id> (string "expires_at\tmessage_id", PXAT)  P rmexp (zset by expires_at)
//   P dseq (counter)  P d:<seq> (hash: one delivery)  P dq:<uid> (zset by seq)  P dusers (zset uid → head's due time)
//   P dexp (zset: deliveries by expires_at)           P changes (pub/sub channel of StoreChange JSON)

const PRELUDE = `
local P = ARGV[1]
local function srvnow()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function fmt(n) return string.format('%.0f', n) end
-- True when the deadline (the script's last argument) has passed by Redis's clock: the caller's timeout has fired.
local function late()
  local d = ARGV[#ARGV]
  return d ~= '' and srvnow() > tonumber(d)
end
local function publish(kind, id)
  redis.call('PUBLISH', P .. 'changes', cjson.encode({ kind = kind, id = id }))
end
-- A part as the store reads it: its hash's fields, then '_b' and its blob (immutable JSON, newline, short_message).
local function record(id)
  local h = redis.call('HGETALL', P .. 'm:' .. id)
  h[#h + 1] = '_b'
  h[#h + 1] = redis.call('GET', P .. 'b:' .. id)
  return h
end
-- Removes a part from the queue structures its status puts it in.
local function unindex(id, st, cid)
  if st == 'queued' then
    redis.call('ZREM', P .. 'q:' .. cid, id)
    redis.call('ZREM', P .. 'qs:' .. cid, id)
    redis.call('ZREM', P .. 'qexp', id)
    if redis.call('HINCRBY', P .. 'depth', cid, -1) <= 0 then redis.call('HDEL', P .. 'depth', cid) end
  elseif st == 'sending' then
    redis.call('ZREM', P .. 'infl', id)
  end
end
-- Puts a part into the queue structures of its (new) status: queued parts in their connector's queue (scheduled
-- ones apart), parts being sent under a claim deadline.
local function index(id)
  local k = P .. 'm:' .. id
  local v = redis.call('HMGET', k, 'status', 'cid', 'sa', 'ea', 'rs')
  if v[1] == 'queued' then
    if v[3] then redis.call('ZADD', P .. 'qs:' .. v[2], v[3], id)
    else redis.call('ZADD', P .. 'q:' .. v[2], v[5], id) end
    if v[4] then redis.call('ZADD', P .. 'qexp', v[4], id) end
    redis.call('HINCRBY', P .. 'depth', v[2], 1)
  elseif v[1] == 'sending' then
    redis.call('ZADD', P .. 'infl', fmt(srvnow() + tonumber(ARGV[3])), id)
    redis.call('HSETNX', k, 'own', ARGV[4])
  end
end
-- A part being sent back to its queue (keeping its schedule unless sa is given); 1 when it was being sent.
local function requeue(id, sa)
  local k = P .. 'm:' .. id
  local v = redis.call('HMGET', k, 'status', 'cid')
  redis.call('ZREM', P .. 'infl', id)
  if v[1] ~= 'sending' then return 0 end
  redis.call('HSET', k, 'status', 'queued', 'ua', ARGV[2])
  if sa then redis.call('HSET', k, 'sa', sa) end
  redis.call('HDEL', k, 'own')
  index(id)
  return 1
end
-- Parts done (final, failed, cancelled: by final_at; sent and not heard of since: by updated_at) are indexed for
-- history pruning; every other part is not.
local function donemark(id)
  local v = redis.call('HMGET', P .. 'm:' .. id, 'status', 'fin', 'ua')
  if (v[1] == 'final' or v[1] == 'failed' or v[1] == 'cancelled') and v[2] then
    redis.call('ZADD', P .. 'done', v[2], id)
  elseif v[1] == 'sent' then
    redis.call('ZADD', P .. 'done', v[3], id)
  else
    redis.call('ZREM', P .. 'done', id)
  end
end
-- The delivery queue head of a user decides whether the user is offered as work (strict order per user).
local function fixhead(uid)
  local h = redis.call('ZRANGE', P .. 'dq:' .. uid, 0, 0)
  if #h == 0 then redis.call('ZREM', P .. 'dusers', uid)
  else redis.call('ZADD', P .. 'dusers', redis.call('HGET', P .. 'd:' .. h[1], 'n'), uid) end
end
`;

/** The scripts by name: each becomes an ioredis custom command (and its `…Buffer` variant). */
export const SCRIPTS = {
  // ------------------------------------------------------------------------------------------ groups and users
  sgCreateGroup: `
if redis.call('HSETNX', P .. 'groups', ARGV[5], ARGV[6]) == 0 then return 'conflict' end
publish('accounts', ARGV[5])
return 'ok'`,

  sgUpdateGroup: `
if redis.call('HEXISTS', P .. 'groups', ARGV[5]) == 0 then return 'nf' end
redis.call('HSET', P .. 'groups', ARGV[5], ARGV[6])
publish('accounts', ARGV[5])
return 'ok'`,

  sgDeleteGroup: `
local n = redis.call('SCARD', P .. 'gusers:' .. ARGV[5])
if n > 0 then return 'inuse:' .. n end
if redis.call('HDEL', P .. 'groups', ARGV[5]) == 0 then return 'nf' end
publish('accounts', ARGV[5])
return 'ok'`,

  // ARGV: uid, username, gid, j, balance µ ('' = unlimited), sms_count ('' = unlimited)
  sgCreateUser: `
local uid, un, gid = ARGV[5], ARGV[6], ARGV[7]
local k = P .. 'user:' .. uid
if redis.call('EXISTS', k) == 1 then return 'uid' end
if redis.call('HEXISTS', P .. 'usernames', un) == 1 then return 'username' end
redis.call('HSET', k, 'j', ARGV[8], 'un', un, 'gid', gid)
if ARGV[9] ~= '' then redis.call('HSET', k, 'b', ARGV[9]) end
if ARGV[10] ~= '' then redis.call('HSET', k, 's', ARGV[10]) end
redis.call('HSET', P .. 'usernames', un, uid)
redis.call('SADD', P .. 'users', uid)
redis.call('SADD', P .. 'gusers:' .. gid, uid)
publish('accounts', uid)
return 'ok'`,

  // Compare-and-set of a merged user. ARGV: uid, j as read, new uid, username, gid, j,
  // balance mode (keep|set|null), balance µ, sms mode, sms_count. Answers {status, b, s}.
  sgReplaceUser: `
local uid, oldj, nuid, un, gid, j = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
local k = P .. 'user:' .. uid
local cur = redis.call('HMGET', k, 'j', 'un', 'gid')
if not cur[1] then return { 'nf' } end
if cur[1] ~= oldj then return { 'retry' } end
if un ~= cur[2] and redis.call('HEXISTS', P .. 'usernames', un) == 1 then return { 'username' } end
if nuid ~= uid then
  if redis.call('EXISTS', P .. 'user:' .. nuid) == 1 then return { 'uid' } end
  local nk = P .. 'user:' .. nuid
  redis.call('RENAME', k, nk)
  redis.call('SREM', P .. 'users', uid)
  redis.call('SADD', P .. 'users', nuid)
  k = nk
end
redis.call('HDEL', P .. 'usernames', cur[2])
redis.call('HSET', P .. 'usernames', un, nuid)
redis.call('SREM', P .. 'gusers:' .. cur[3], uid)
redis.call('SADD', P .. 'gusers:' .. gid, nuid)
redis.call('HSET', k, 'j', j, 'un', un, 'gid', gid)
if ARGV[11] == 'set' then redis.call('HSET', k, 'b', ARGV[12]) elseif ARGV[11] == 'null' then redis.call('HDEL', k, 'b') end
if ARGV[13] == 'set' then redis.call('HSET', k, 's', ARGV[14]) elseif ARGV[13] == 'null' then redis.call('HDEL', k, 's') end
publish('accounts', uid)
if nuid ~= uid then publish('accounts', nuid) end
local q = redis.call('HMGET', k, 'b', 's')
return { 'ok', q[1], q[2] }`,

  sgDeleteUser: `
local k = P .. 'user:' .. ARGV[5]
local v = redis.call('HMGET', k, 'un', 'gid')
if not v[1] then return 'nf' end
redis.call('DEL', k)
redis.call('HDEL', P .. 'usernames', v[1])
redis.call('SREM', P .. 'users', ARGV[5])
redis.call('SREM', P .. 'gusers:' .. v[2], ARGV[5])
publish('accounts', ARGV[5])
return 'ok'`,

  // ARGV: uid, µ, sms, deadline. Both quotas or nothing; an absent quota is unlimited and does not move. {status, b, s}.
  sgCharge: `
if late() then return { 'late' } end
local k = P .. 'user:' .. ARGV[5]
local v = redis.call('HMGET', k, 'un', 'b', 's')
if not v[1] then return { 'nf' } end
if v[2] and tonumber(v[2]) < tonumber(ARGV[6]) then return { 'balance' } end
if v[3] and tonumber(v[3]) < tonumber(ARGV[7]) then return { 'sms_count' } end
local b, s = false, false
-- HINCRBY refuses '-0', so a zero move only reads.
if v[2] then b = ARGV[6] == '0' and tonumber(v[2]) or redis.call('HINCRBY', k, 'b', '-' .. ARGV[6]) end
if v[3] then s = ARGV[7] == '0' and tonumber(v[3]) or redis.call('HINCRBY', k, 's', '-' .. ARGV[7]) end
return { 'ok', b, s }`,

  // ARGV: uid, µ, sms (either may be negative), deadline; never below zero; unlimited quotas stay unlimited.
  sgCredit: `
if late() then return 'late' end
local k = P .. 'user:' .. ARGV[5]
local v = redis.call('HMGET', k, 'un', 'b', 's')
if not v[1] then return 'nf' end
if v[2] and redis.call('HINCRBY', k, 'b', ARGV[6]) < 0 then redis.call('HSET', k, 'b', '0') end
if v[3] and redis.call('HINCRBY', k, 's', ARGV[7]) < 0 then redis.call('HSET', k, 's', '0') end
return 'ok'`,

  // ------------------------------------------------------------------------------------------ connectors, routes
  sgPutConnector: `
redis.call('HSET', P .. 'conns', ARGV[5], ARGV[6])
redis.call('HSET', P .. 'connstarted', ARGV[5], ARGV[7])
publish('connectors', ARGV[5])
return 'ok'`,

  sgDeleteConnector: `
if redis.call('HDEL', P .. 'conns', ARGV[5]) == 0 then return 'nf' end
redis.call('HDEL', P .. 'connstarted', ARGV[5])
publish('connectors', ARGV[5])
return 'ok'`,

  sgSetStarted: `
if redis.call('HEXISTS', P .. 'conns', ARGV[5]) == 0 then return 'nf' end
redis.call('HSET', P .. 'connstarted', ARGV[5], ARGV[6])
publish('connectors', ARGV[5])
return 'ok'`,

  // ARGV: mt|mo, order, JSON ('' = delete)
  sgRoute: `
local k = P .. ARGV[5] .. 'routes'
if ARGV[7] == '' then
  if redis.call('HDEL', k, ARGV[6]) == 0 then return 'nf' end
else
  redis.call('HSET', k, ARGV[6], ARGV[7])
end
redis.call('INCR', P .. 'routesver')
publish('routes', ARGV[5] .. ':' .. ARGV[6])
return 'ok'`,

  // ------------------------------------------------------------------------------------------ messages
  // ARGV: n, then per part: id, priority, submitted_at, uid, destination, status, cid, schedule_at ('' = none),
  // expires_at ('' = none), blob, field count f, 2f field/value strings; then the deadline. All or nothing: a taken
  // id (or a run past the deadline) refuses the whole call.
  // Acceptance order comes from one counter, so it is global across nodes. The hot path of the gateway: the queue
  // entries are written from the arguments (no read back), depths are added once per connector per call.
  sgAccept: `
if late() then return { 'late' } end
local n = tonumber(ARGV[5])
local parts, seen, pos = {}, {}, 6
for i = 1, n do
  local id = ARGV[pos]
  if seen[id] or redis.call('EXISTS', P .. 'm:' .. id) == 1 then return { 'conflict', id } end
  seen[id] = true
  local f = tonumber(ARGV[pos + 10])
  parts[i] = pos
  pos = pos + 11 + 2 * f
end
local last = redis.call('INCRBY', P .. 'seq', n)
local depth = {}
for i = 1, n do
  local p = parts[i]
  local id, uid, dest, sub, st, cid = ARGV[p], ARGV[p + 3], ARGV[p + 4], ARGV[p + 2], ARGV[p + 5], ARGV[p + 6]
  local k = P .. 'm:' .. id
  local seq = last - n + i
  local rs = fmt((255 - tonumber(ARGV[p + 1])) * 17592186044416 + seq)
  -- History member: the zero-padded acceptance seq orders parts of one submitted_at (same score) by acceptance.
  local hm = string.format('%016.0f', seq) .. ':' .. id
  redis.call('HSET', k, 'rs', rs, 'hm', hm, 'sub', sub, unpack(ARGV, p + 11, p + 10 + 2 * tonumber(ARGV[p + 10])))
  redis.call('SET', P .. 'b:' .. id, ARGV[p + 9])
  if st == 'queued' then
    if ARGV[p + 7] ~= '' then redis.call('ZADD', P .. 'qs:' .. cid, ARGV[p + 7], id)
    else redis.call('ZADD', P .. 'q:' .. cid, rs, id) end
    if ARGV[p + 8] ~= '' then redis.call('ZADD', P .. 'qexp', ARGV[p + 8], id) end
    depth[cid] = (depth[cid] or 0) + 1
  else
    index(id)
    donemark(id)
  end
  redis.call('ZADD', P .. 'hu:' .. uid, sub, hm)
  redis.call('ZADD', P .. 'hd:' .. dest, sub, hm)
  redis.call('ZADD', P .. 'hall', sub, hm)
end
for cid, d in pairs(depth) do redis.call('HINCRBY', P .. 'depth', cid, d) end
return { 'ok' }`,

  // ARGV: count, want record (1|0), then per patch: id, s, s field/value pairs, d, d field names to delete.
  sgPatch: `
local n, want, pos = tonumber(ARGV[5]), ARGV[6] == '1', 7
local moving = { status = true, cid = true, sa = true, ea = true }
local last = false
for i = 1, n do
  local id = ARGV[pos]
  local s = tonumber(ARGV[pos + 1])
  local setFrom, setTo = pos + 2, pos + 1 + 2 * s
  local d = tonumber(ARGV[setTo + 1])
  local delFrom, delTo = setTo + 2, setTo + 1 + d
  pos = delTo + 1
  local k = P .. 'm:' .. id
  local old = redis.call('HMGET', k, 'status', 'cid')
  if old[1] then
    local touch = false
    for j = setFrom, setTo, 2 do if moving[ARGV[j]] then touch = true end end
    for j = delFrom, delTo do if moving[ARGV[j]] then touch = true end end
    if touch then unindex(id, old[1], old[2]) end
    redis.call('HSET', k, 'ua', ARGV[2])
    if s > 0 then redis.call('HSET', k, unpack(ARGV, setFrom, setTo)) end
    if d > 0 then redis.call('HDEL', k, unpack(ARGV, delFrom, delTo)) end
    if touch then
      if redis.call('HGET', k, 'status') ~= 'sending' then redis.call('HDEL', k, 'own') end
      index(id)
    end
    donemark(id)
    if want then last = record(id) end
  end
end
return last`,

  // ARGV: cid, max, now, deadline (the call's, as the MT writes'). Reclaims parts whose claim deadline passed (a dead
  // node's), moves due scheduled parts into the queue, then pops the best ones and marks them sending under this node
  // with a new claim deadline.
  sgClaim: `
if late() then return 'late' end
local cid, max, now = ARGV[5], tonumber(ARGV[6]), ARGV[7]
local srv = srvnow()
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'infl', '-inf', srv, 'LIMIT', 0, 100)) do requeue(id) end
local qk, sk = P .. 'q:' .. cid, P .. 'qs:' .. cid
-- At most 1000 a call (earliest schedules first), so a large backlog falling due at once never blocks Redis long.
for _, id in ipairs(redis.call('ZRANGEBYSCORE', sk, '-inf', now, 'LIMIT', 0, 1000)) do
  redis.call('ZADD', qk, redis.call('HGET', P .. 'm:' .. id, 'rs'), id)
  redis.call('ZREM', sk, id)
end
local out = {}
if max < 1 then return out end
local popped = redis.call('ZPOPMIN', qk, max)
local dl = fmt(srv + tonumber(ARGV[3]))
local n = 0
for i = 1, #popped, 2 do
  local id = popped[i]
  local k = P .. 'm:' .. id
  redis.call('HSET', k, 'status', 'sending', 'ua', ARGV[2], 'own', ARGV[4])
  redis.call('ZREM', P .. 'qexp', id)
  redis.call('ZADD', P .. 'infl', dl, id)
  n = n + 1
  out[n] = record(id)
end
if n > 0 and redis.call('HINCRBY', P .. 'depth', cid, -n) <= 0 then redis.call('HDEL', P .. 'depth', cid) end
return out`,

  // ARGV: id, not before.
  sgRelease: `
return requeue(ARGV[5], ARGV[6])`,

  // Parts this node was sending (a restart of the same node id) and parts whose claim deadline passed (a dead node's)
  // go back to their queue; a live node's parts stay with it.
  sgRecover: `
local all = redis.call('ZRANGE', P .. 'infl', 0, -1, 'WITHSCORES')
local srv, n = srvnow(), 0
for i = 1, #all, 2 do
  local id = all[i]
  if tonumber(all[i + 1]) <= srv or redis.call('HGET', P .. 'm:' .. id, 'own') == ARGV[4] then n = n + requeue(id) end
end
return n`,

  // ARGV: cid. The parts of this connector being sent under another node go back to the queue: this node now holds
  // the connector's lease, so their claimer has lost it (dead or cut off).
  sgRecoverConnector: `
local all, n = redis.call('ZRANGE', P .. 'infl', 0, -1), 0
for _, id in ipairs(all) do
  local v = redis.call('HMGET', P .. 'm:' .. id, 'cid', 'own')
  if v[1] == ARGV[5] and v[2] ~= ARGV[4] then n = n + requeue(id) end
end
return n`,

  // ARGV: uid, id, new state, then for replace: sm, rd, sa ('' = null), ea ('' = null). Answers a refusal or the record.
  sgCancel: `
local k = P .. 'm:' .. ARGV[6]
local v = redis.call('HMGET', k, 'uid', 'status', 'cid')
if not v[1] then return 'not_found' end
if v[1] ~= ARGV[5] then return 'not_owner' end
if v[2] ~= 'queued' then return 'not_queued' end
unindex(ARGV[6], 'queued', v[3])
redis.call('HSET', k, 'status', 'cancelled', 'state', ARGV[7], 'fin', ARGV[2], 'ua', ARGV[2])
donemark(ARGV[6])
return record(ARGV[6])`,

  sgReplace: `
local k = P .. 'm:' .. ARGV[6]
local v = redis.call('HMGET', k, 'uid', 'status', 'cid')
if not v[1] then return 'not_found' end
if v[1] ~= ARGV[5] then return 'not_owner' end
if v[2] ~= 'queued' then return 'not_queued' end
unindex(ARGV[6], 'queued', v[3])
local bk = P .. 'b:' .. ARGV[6]
local blob = redis.call('GET', bk)
redis.call('SET', bk, string.sub(blob, 1, string.find(blob, '\\n', 1, true)) .. ARGV[7])
redis.call('HSET', k, 'rd', ARGV[8], 'ua', ARGV[2])
if ARGV[9] == '' then redis.call('HDEL', k, 'sa') else redis.call('HSET', k, 'sa', ARGV[9]) end
if ARGV[10] == '' then redis.call('HDEL', k, 'ea') else redis.call('HSET', k, 'ea', ARGV[10]) end
index(ARGV[6])
return record(ARGV[6])`,

  // ARGV: now, EXPIRED state.
  sgExpireQueued: `
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'qexp', '-inf', ARGV[5])) do
  local k = P .. 'm:' .. id
  local v = redis.call('HMGET', k, 'status', 'cid')
  if v[1] == 'queued' then
    unindex(id, 'queued', v[2])
    redis.call('HSET', k, 'status', 'failed', 'state', ARGV[6], 'fin', ARGV[5], 'ua', ARGV[5])
    donemark(id)
    out[#out + 1] = record(id)
  else
    redis.call('ZREM', P .. 'qexp', id)
  end
end
return out`,

  // Per connector with queued parts: depth, and the earliest time a queued part became due (max of acceptance and
  // schedule) among the head of each priority band and the earliest scheduled part. {cid, depth, oldest|'', …}.
  sgQueueStats: `
local out, BAND = {}, 17592186044416
local all = redis.call('HGETALL', P .. 'depth')
for i = 1, #all, 2 do
  local cid = all[i]
  local best = false
  local s = redis.call('ZRANGE', P .. 'qs:' .. cid, 0, 0, 'WITHSCORES')
  if #s > 0 then best = tonumber(s[2]) end
  local q = P .. 'q:' .. cid
  local head = redis.call('ZRANGE', q, 0, 0, 'WITHSCORES')
  while #head > 0 do
    local v = redis.call('HMGET', P .. 'm:' .. head[1], 'sub', 'sa')
    local due = tonumber(v[1])
    if v[2] and tonumber(v[2]) > due then due = tonumber(v[2]) end
    if not best or due < best then best = due end
    local band = math.floor(tonumber(head[2]) / BAND)
    head = redis.call('ZRANGEBYSCORE', q, fmt((band + 1) * BAND), '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  end
  out[#out + 1] = cid
  out[#out + 1] = all[i + 1]
  out[#out + 1] = best and fmt(best) or ''
end
return out`,

  // ------------------------------------------------------------------------------------------ history
  // ARGV: n, then per event: message id, at, element ("at\ttype\tdata JSON"). P ev:<id> lists a part's events in
  // append order; P evt indexes parts by their oldest event, for pruning.
  sgAppendHistory: `
local n = tonumber(ARGV[5])
for i = 0, n - 1 do
  local id, at = ARGV[6 + 3 * i], ARGV[7 + 3 * i]
  redis.call('RPUSH', P .. 'ev:' .. id, ARGV[8 + 3 * i])
  redis.call('ZADD', P .. 'evt', 'LT', at, id)
end
return n`,

  // ARGV: before, most parts per call. Drops events older than before. {parts looked at, events deleted}.
  sgPruneEvents: `
local before = tonumber(ARGV[5])
local ids = redis.call('ZRANGEBYSCORE', P .. 'evt', '-inf', '(' .. ARGV[5], 'LIMIT', 0, tonumber(ARGV[6]))
local removed = 0
for _, id in ipairs(ids) do
  local k = P .. 'ev:' .. id
  local kept, low = {}, false
  for _, e in ipairs(redis.call('LRANGE', k, 0, -1)) do
    local at = tonumber(string.match(e, '^[^\t]+'))
    if at < before then removed = removed + 1
    else
      kept[#kept + 1] = e
      if not low or at < low then low = at end
    end
  end
  redis.call('DEL', k)
  if #kept == 0 then redis.call('ZREM', P .. 'evt', id)
  else
    for j = 1, #kept, 1000 do redis.call('RPUSH', k, unpack(kept, j, math.min(j + 999, #kept))) end
    redis.call('ZADD', P .. 'evt', fmt(low), id)
  end
end
return { #ids, removed }`,

  // ARGV: before, most parts per call. Deletes parts done before it, with their events. {parts looked at, deleted}.
  sgPruneMessages: `
local ids = redis.call('ZRANGEBYSCORE', P .. 'done', '-inf', '(' .. ARGV[5], 'LIMIT', 0, tonumber(ARGV[6]))
local removed = 0
for _, id in ipairs(ids) do
  local k = P .. 'm:' .. id
  local v = redis.call('HMGET', k, 'uid', 'dst', 'hm')
  if v[1] then
    redis.call('ZREM', P .. 'hu:' .. v[1], v[3])
    redis.call('ZREM', P .. 'hd:' .. v[2], v[3])
    redis.call('ZREM', P .. 'hall', v[3])
    redis.call('DEL', k, P .. 'b:' .. id)
    local ek = P .. 'ev:' .. id
    removed = removed + 1 + redis.call('LLEN', ek)
    redis.call('DEL', ek)
    redis.call('ZREM', P .. 'evt', id)
  end
  redis.call('ZREM', P .. 'done', id)
end
return { #ids, removed }`,

  // ------------------------------------------------------------------------------------------ receipt map
  // ARGV: grace ms, n, then per entry: key suffix, value, expires_at. The key's own TTL (expires_at or now, plus
  // the grace) drops entries nobody expires; expireReceiptMaps drops them on time through the P rmexp index.
  sgPutReceiptMaps: `
local grace, n, srv = tonumber(ARGV[5]), tonumber(ARGV[6]), srvnow()
for i = 0, n - 1 do
  local suffix, value, exp = ARGV[7 + 3 * i], ARGV[8 + 3 * i], ARGV[9 + 3 * i]
  redis.call('SET', P .. 'rm:' .. suffix, value, 'PXAT', fmt(math.max(tonumber(exp), srv) + grace))
  redis.call('ZADD', P .. 'rmexp', exp, suffix)
end
return n`,

  sgDeleteReceiptMap: `
redis.call('ZREM', P .. 'rmexp', ARGV[5])
return redis.call('DEL', P .. 'rm:' .. ARGV[5])`,

  sgExpireReceiptMaps: `
local n = 0
for _, suffix in ipairs(redis.call('ZRANGEBYSCORE', P .. 'rmexp', '-inf', ARGV[5])) do
  n = n + redis.call('DEL', P .. 'rm:' .. suffix)
end
redis.call('ZREMRANGEBYSCORE', P .. 'rmexp', '-inf', ARGV[5])
return n`,

  // ------------------------------------------------------------------------------------------ deliveries
  // ARGV: n, then per delivery: uid, kind, payload JSON, created_at, expires_at. Answers the seqs.
  sgEnqueue: `
local n, out = tonumber(ARGV[5]), {}
for i = 0, n - 1 do
  local uid, x = ARGV[6 + 5 * i], ARGV[10 + 5 * i]
  local seq = redis.call('INCR', P .. 'dseq')
  redis.call('HSET', P .. 'd:' .. seq, 'u', uid, 'k', ARGV[7 + 5 * i], 'p', ARGV[8 + 5 * i], 'c', ARGV[9 + 5 * i],
    'x', x, 'a', '0', 'n', '0')
  local q = P .. 'dq:' .. uid
  redis.call('ZADD', q, seq, seq)
  redis.call('ZADD', P .. 'dexp', x, seq)
  if redis.call('ZCARD', q) == 1 then redis.call('ZADD', P .. 'dusers', 0, uid) end
  out[i + 1] = seq
end
return out`,

  // ARGV: uid, max, now[, after seq]. The due prefix of the user's queue (after that seq): stops at the first held one.
  sgPeek: `
local out = {}
local q = P .. 'dq:' .. ARGV[5]
local seqs
if ARGV[8] then
  seqs = redis.call('ZRANGE', q, '(' .. ARGV[8], '+inf', 'BYSCORE', 'LIMIT', 0, tonumber(ARGV[6]))
else
  seqs = redis.call('ZRANGE', q, 0, tonumber(ARGV[6]) - 1)
end
for _, seq in ipairs(seqs) do
  local h = redis.call('HGETALL', P .. 'd:' .. seq)
  local nxt = redis.call('HGET', P .. 'd:' .. seq, 'n')
  if not nxt or tonumber(nxt) > tonumber(ARGV[7]) then break end
  h[#h + 1] = 'seq'
  h[#h + 1] = seq
  out[#out + 1] = h
end
return out`,

  // ARGV: uid, seq.
  sgAck: `
if redis.call('ZREM', P .. 'dq:' .. ARGV[5], ARGV[6]) == 0 then return 0 end
redis.call('DEL', P .. 'd:' .. ARGV[6])
redis.call('ZREM', P .. 'dexp', ARGV[6])
fixhead(ARGV[5])
return 1`,

  // ARGV: uid, seq, not before.
  sgRetry: `
if not redis.call('ZSCORE', P .. 'dq:' .. ARGV[5], ARGV[6]) then return 0 end
local k = P .. 'd:' .. ARGV[6]
redis.call('HINCRBY', k, 'a', 1)
redis.call('HSET', k, 'n', ARGV[7])
fixhead(ARGV[5])
return 1`,

  // ARGV: now. Removes and answers deliveries past expires_at.
  sgExpireDeliveries: `
local out, users = {}, {}
for _, seq in ipairs(redis.call('ZRANGEBYSCORE', P .. 'dexp', '-inf', ARGV[5])) do
  local k = P .. 'd:' .. seq
  local h = redis.call('HGETALL', k)
  local uid = redis.call('HGET', k, 'u')
  if uid then
    redis.call('ZREM', P .. 'dq:' .. uid, seq)
    users[uid] = true
    h[#h + 1] = 'seq'
    h[#h + 1] = seq
    out[#out + 1] = h
  end
  redis.call('DEL', k)
end
redis.call('ZREMRANGEBYSCORE', P .. 'dexp', '-inf', ARGV[5])
for uid in pairs(users) do fixhead(uid) end
return out`,
} as const;

/** A script's name (an ioredis custom command). */
export type ScriptName = keyof typeof SCRIPTS;

/** The full Lua text of a script: the shared helpers, then its body. */
export function scriptSource(name: ScriptName): string {
  return PRELUDE + SCRIPTS[name];
}
