#include "core/rate_limits.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace windi {
namespace {

constexpr micros micros_per_second = 1'000'000;
// How often the maps are swept of keys that no longer matter, so an attacker's many keys cannot grow them for
// ever.
constexpr micros sweep_interval = 60 * micros_per_second;

std::chrono::seconds seconds_until(micros until, micros now) {
  return std::chrono::seconds((until - now + micros_per_second - 1) / micros_per_second);
}

// Separated by a byte no username or address contains.
std::string account_key(std::string_view username, std::string_view address) {
  return "a\x1f" + login_account(username) + "\x1f" + std::string(address);
}
std::string address_key(std::string_view address) { return "i\x1f" + std::string(address); }

}  // namespace

std::string login_account(std::string_view username) {
  std::string out(username);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

failure too_many_requests(std::string detail, std::chrono::seconds retry_after) {
  return failure{errc::rate_limited,
                 std::move(detail),
                 {},
                 static_cast<int>(std::max<std::int64_t>(1, retry_after.count()))};
}

std::optional<std::chrono::seconds> login_throttle::wait(std::string const& key, micros now) {
  auto it = records_.find(key);
  if (it == records_.end() || it->second.locked_until <= now) return std::nullopt;
  return seconds_until(it->second.locked_until, now);
}

std::optional<std::chrono::seconds> login_throttle::locked(std::string_view username,
                                                           std::string_view address, micros now) {
  std::lock_guard lock(mutex_);
  auto by_account = wait(account_key(username, address), now);
  auto by_address = wait(address_key(address), now);
  if (by_account && by_address) return std::max(*by_account, *by_address);
  return by_account ? by_account : by_address;
}

void login_throttle::count(std::string const& key, int free_failures, micros now) {
  auto& r = records_[key];
  auto const forget = settings_.forget_after.count() * micros_per_second;
  if (r.failures > 0 && now - r.last_failure > forget) r = record{};
  ++r.failures;
  r.last_failure = now;
  int const over = r.failures - free_failures;
  if (over <= 0) return;
  // 1 s, 2 s, 4 s, ... up to the maximum.
  double const delay = std::min(static_cast<double>(settings_.max_delay.count()),
                                static_cast<double>(settings_.first_delay.count()) * std::pow(2.0, over - 1));
  r.locked_until = now + static_cast<micros>(delay * micros_per_second);
}

void login_throttle::failed(std::string_view username, std::string_view address, micros now) {
  std::lock_guard lock(mutex_);
  forget_stale(now);
  count(account_key(username, address), settings_.account_free_failures, now);
  count(address_key(address), settings_.address_free_failures, now);
}

void login_throttle::succeeded(std::string_view username, std::string_view address) {
  std::lock_guard lock(mutex_);
  records_.erase(account_key(username, address));
}

void login_throttle::forget_stale(micros now) {
  if (now - last_sweep_ < sweep_interval) return;
  last_sweep_ = now;
  auto const forget = settings_.forget_after.count() * micros_per_second;
  std::erase_if(records_, [&](auto const& entry) {
    return entry.second.locked_until <= now && now - entry.second.last_failure > forget;
  });
}

std::optional<std::chrono::seconds> token_buckets::take(std::string_view key, micros now) {
  std::lock_guard lock(mutex_);
  double const per_micro = settings_.per_second / micros_per_second;
  if (now - last_sweep_ >= sweep_interval) {
    last_sweep_ = now;
    // A bucket that has refilled completely is the same as no bucket.
    std::erase_if(buckets_, [&](auto const& entry) {
      return entry.second.tokens + (now - entry.second.updated) * per_micro >= settings_.burst;
    });
  }
  auto [it, fresh] = buckets_.try_emplace(std::string(key), bucket{settings_.burst, now});
  auto& b = it->second;
  if (!fresh) {
    b.tokens = std::min(settings_.burst, b.tokens + (now - b.updated) * per_micro);
    b.updated = now;
  }
  if (b.tokens >= 1) {
    b.tokens -= 1;
    return std::nullopt;
  }
  auto const missing = 1 - b.tokens;
  return std::chrono::seconds(static_cast<std::int64_t>(std::ceil(missing / settings_.per_second)));
}

}  // namespace windi
