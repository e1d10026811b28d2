#pragma once
// The shared limits' state in Redis, one atomic script per operation, on Redis's clock (`now`, ms, from
// redis_scripts::now_ms). Times and counts are whole numbers of at most 14 digits, which Lua's doubles and
// Redis's conversion of script numbers to strings keep exact; fractional tokens are formatted explicitly.
namespace windi::redis_limiter_scripts {

// A token bucket. KEYS[1] the bucket; ARGV[1] burst, ARGV[2] tokens per ms. Returns {refused, next}: refused
// is 0 when a token was spent, else the ms until one is there; next is the ms until the bucket holds a token
// again after this call (0 while it still does). The key expires when the bucket would be full again (the
// same as no key).
inline constexpr char const* take = R"lua(
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
else
  tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
end
local refused = 0
if tokens >= 1 then tokens = tokens - 1 else refused = math.ceil((1 - tokens) / rate) end
local next = 0
if tokens < 1 then next = math.ceil((1 - tokens) / rate) end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate) + 1000)
return {refused, next}
)lua";

// KEYS: the throttle keys of a login (the account's from this address, the address's). Returns the ms until
// the latest lock among them ends, 0 when none holds.
inline constexpr char const* locked = R"lua(
local wait = 0
for _, key in ipairs(KEYS) do
  local till = tonumber(redis.call('HGET', key, 'locked_until'))
  if till ~= nil and till - now > wait then wait = till - now end
end
return wait
)lua";

// A failed login. KEYS[1] the account's key, KEYS[2] the address's; ARGV[1] the account's free failures,
// ARGV[2] the address's, ARGV[3] the first delay in ms, ARGV[4] the longest, ARGV[5] how long a key without
// failures is remembered. Past the free failures each failure locks the key for a delay that doubles.
inline constexpr char const* failed = R"lua(
local first = tonumber(ARGV[3])
local longest = tonumber(ARGV[4])
local forget = tonumber(ARGV[5])
local function count(key, free)
  local state = redis.call('HMGET', key, 'failures', 'last', 'locked_until')
  local failures = tonumber(state[1]) or 0
  local last = tonumber(state[2]) or 0
  local locked_until = tonumber(state[3]) or 0
  if failures > 0 and now - last > forget then
    failures = 0
    locked_until = 0
  end
  failures = failures + 1
  local over = failures - free
  if over > 0 then locked_until = now + math.min(longest, first * 2 ^ math.min(over - 1, 40)) end
  redis.call('HSET', key, 'failures', failures, 'last', now, 'locked_until', locked_until)
  redis.call('PEXPIRE', key, forget + longest)
end
count(KEYS[1], tonumber(ARGV[1]))
count(KEYS[2], tonumber(ARGV[2]))
return 1
)lua";

// A place for a connection. KEYS[1] a sorted set of connection ids scored by the time their place expires
// unless refreshed (redis_scripts::refresh); ARGV[1] the connection id, ARGV[2] the cap, ARGV[3] the lifetime
// in ms. Returns 1 when the connection holds a place, 0 when `cap` others do.
inline constexpr char const* admit = R"lua(
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
)lua";

}  // namespace windi::redis_limiter_scripts
