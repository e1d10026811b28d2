#pragma once
// Presence in Redis: per user a sorted set "<prefix>:presence:<user>" of connection ids scored by the time
// (Redis's clock, ms) at which they expire unless refreshed, so a crashed process's connections vanish by
// themselves. Each script is atomic; expired entries are dropped before counting.
namespace windi::redis_scripts {

inline constexpr char const* now_ms = R"lua(
local clock = redis.call('TIME')
local now = clock[1] * 1000 + math.floor(clock[2] / 1000)
)lua";

// KEYS[1] presence key; ARGV[1] connection id, ARGV[2] lifetime in ms. Returns {added, count}.
inline constexpr char const* connect = R"lua(
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local added = redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {added, redis.call('ZCARD', KEYS[1])}
)lua";

// KEYS[1] presence key; ARGV[1] connection id. Returns {removed, count}.
inline constexpr char const* disconnect = R"lua(
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
return {removed, redis.call('ZCARD', KEYS[1])}
)lua";

// KEYS[1] presence key; ARGV[1] lifetime in ms, ARGV[2..] this process's live connection ids. Re-adds them
// too, so that the users of a process come back online after Redis lost its data (a restart).
inline constexpr char const* refresh = R"lua(
local expiry = now + tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], expiry, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return #ARGV - 1
)lua";

// The registry of live server processes: KEYS[1] a sorted set of process ids scored by the time they expire
// unless refreshed; ARGV[1] this process's id, ARGV[2] lifetime in ms.
inline constexpr char const* register_process = R"lua(
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
return 1
)lua";

// KEYS[1] the registry. Removes and returns the processes that expired: whoever gets one reaps it, once.
inline constexpr char const* claim_lost_processes = R"lua(
local lost = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
if #lost > 0 then redis.call('ZREM', KEYS[1], unpack(lost)) end
return lost
)lua";

// KEYS[1] a process's set of users with connections there; ARGV[1] its lifetime in ms, ARGV[2..] the users.
inline constexpr char const* replace_users = R"lua(
redis.call('DEL', KEYS[1])
if #ARGV > 1 then redis.call('SADD', KEYS[1], unpack(ARGV, 2)) end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return #ARGV - 1
)lua";

// KEYS: presence keys. Returns the number of live connections of each.
inline constexpr char const* count = R"lua(
local counts = {}
for i, key in ipairs(KEYS) do counts[i] = redis.call('ZCOUNT', key, '(' .. now, '+inf') end
return counts
)lua";

}  // namespace windi::redis_scripts
