#include "core/limiter.hpp"

namespace windi {

std::string_view name_of(bucket_kind kind) {
  switch (kind) {
    case bucket_kind::registration:
      return "registration";
    case bucket_kind::send:
      return "send";
    case bucket_kind::read:
      return "read";
    case bucket_kind::typing:
      return "typing";
  }
  return "unknown";
}

local_limiter::local_limiter(limiter_settings const& settings, clock const& clock)
    : clock_(clock),
      logins_(settings.login),
      buckets_{token_buckets(settings.buckets[0]), token_buckets(settings.buckets[1]),
               token_buckets(settings.buckets[2]), token_buckets(settings.buckets[3])} {}

limiter::wait local_limiter::take_now(bucket_kind kind, std::string_view key) {
  return buckets_[static_cast<int>(kind)].take(key, clock_.now());
}

limiter::wait local_limiter::login_locked_now(std::string_view username, std::string_view address) {
  return logins_.locked(username, address, clock_.now());
}

void local_limiter::login_failed_now(std::string_view username, std::string_view address) {
  logins_.failed(username, address, clock_.now());
}

void local_limiter::login_succeeded_now(std::string_view username, std::string_view address) {
  logins_.succeeded(username, address);
}

boost::asio::awaitable<limiter::wait> local_limiter::take(bucket_kind kind, std::string key) {
  co_return take_now(kind, key);
}

boost::asio::awaitable<limiter::wait> local_limiter::login_locked(std::string username, std::string address) {
  co_return login_locked_now(username, address);
}

boost::asio::awaitable<void> local_limiter::login_failed(std::string username, std::string address) {
  login_failed_now(username, address);
  co_return;
}

boost::asio::awaitable<void> local_limiter::login_succeeded(std::string username, std::string address) {
  login_succeeded_now(username, address);
  co_return;
}

}  // namespace windi
