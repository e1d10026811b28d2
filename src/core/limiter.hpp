#pragma once
// The limits against guessing and floods behind one interface: kept in this process (local_limiter) on the
// embedded default, or shared by every server process through Redis when REDIS_URL is set
// (make_redis_limiter). Services ask the interface and never know which one answers.
#include "core/clock.hpp"
#include "core/rate_limits.hpp"

#include <boost/asio/awaitable.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace windi {

// The token buckets, each keyed by its caller: registrations per client address, sends and mark-reads per
// user, typing indicators per (user, chat).
enum class bucket_kind : std::uint8_t { registration = 0, send = 1, read = 2, typing = 3 };
inline constexpr std::size_t bucket_kinds = 4;
std::string_view name_of(bucket_kind kind);

struct limiter_settings {
  login_throttle_settings login;
  std::array<token_bucket_settings, bucket_kinds> buckets;
  token_bucket_settings const& bucket(bucket_kind kind) const { return buckets[static_cast<int>(kind)]; }
};

class limiter {
 public:
  // How long the caller must wait before trying again; nullopt when it may go ahead.
  using wait = std::optional<std::chrono::seconds>;

  virtual ~limiter() = default;
  // Spends one token of the bucket `key` of this kind.
  virtual boost::asio::awaitable<wait> take(bucket_kind kind, std::string key) = 0;
  // Failed logins, counted per (username, client address) and per client address (see login_throttle).
  virtual boost::asio::awaitable<wait> login_locked(std::string username, std::string address) = 0;
  virtual boost::asio::awaitable<void> login_failed(std::string username, std::string address) = 0;
  virtual boost::asio::awaitable<void> login_succeeded(std::string username, std::string address) = 0;
  // Places for open connections: admits connection `id` under `key` (a user, a client address) unless `cap`
  // connections hold places there already. release_connection gives the place back; the places of a process
  // that died expire by themselves.
  virtual boost::asio::awaitable<bool> admit_connection(std::string key, std::string id, std::size_t cap) = 0;
  virtual void release_connection(std::string const& key, std::string const& id) = 0;
  // A shared limiter connects here and lets go at stop(); destroy it before its io_context.
  virtual void start() {}
  virtual void stop() {}
  // False while a shared limiter cannot reach Redis (each process then limits on its own).
  virtual bool connected() const { return true; }
};

// Everything in this process's memory, answered at once. Also the first layer of the shared limiter, which
// refuses a flood without a round trip and keeps limiting while Redis is unreachable.
class local_limiter final : public limiter {
 public:
  local_limiter(limiter_settings const& settings, clock const& clock);

  wait take_now(bucket_kind kind, std::string_view key);
  wait login_locked_now(std::string_view username, std::string_view address);
  void login_failed_now(std::string_view username, std::string_view address);
  void login_succeeded_now(std::string_view username, std::string_view address);
  bool admit_connection_now(std::string const& key, std::size_t cap);
  void release_connection_now(std::string const& key);
  // Places held under `key` in this process.
  std::size_t connections(std::string const& key) const;

  boost::asio::awaitable<wait> take(bucket_kind kind, std::string key) override;
  boost::asio::awaitable<wait> login_locked(std::string username, std::string address) override;
  boost::asio::awaitable<void> login_failed(std::string username, std::string address) override;
  boost::asio::awaitable<void> login_succeeded(std::string username, std::string address) override;
  boost::asio::awaitable<bool> admit_connection(std::string key, std::string id, std::size_t cap) override;
  void release_connection(std::string const& key, std::string const& id) override;

 private:
  clock const& clock_;
  login_throttle logins_;
  std::array<token_buckets, bucket_kinds> buckets_;
  mutable std::mutex connections_lock_;
  // Entries go when their last connection does, so the map holds only who is connected now.
  std::unordered_map<std::string, std::size_t> connections_;  // guarded by connections_lock_
};

}  // namespace windi
