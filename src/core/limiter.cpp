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

bool local_limiter::admit_connection_now(std::string const& key, std::size_t cap) {
  std::lock_guard guard(connections_lock_);
  if (cap == 0) return false;
  auto& open = connections_[key];
  if (open >= cap) return false;
  ++open;
  return true;
}

void local_limiter::release_connection_now(std::string const& key) {
  std::lock_guard guard(connections_lock_);
  auto found = connections_.find(key);
  if (found == connections_.end()) return;
  if (--found->second == 0) connections_.erase(found);
}

std::size_t local_limiter::connections(std::string const& key) const {
  std::lock_guard guard(connections_lock_);
  auto found = connections_.find(key);
  return found == connections_.end() ? 0 : found->second;
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

boost::asio::awaitable<bool> local_limiter::admit_connection(std::string key, std::string id,
                                                             std::size_t cap) {
  (void)id;
  co_return admit_connection_now(key, cap);
}

void local_limiter::release_connection(std::string const& key, std::string const& id) {
  (void)id;
  release_connection_now(key);
}

}  // namespace windi
