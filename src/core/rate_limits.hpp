#pragma once
// Limits against online password guessing and floods (OWASP ASVS V6.3), kept in this process. Times are
// microseconds since the epoch, given by the caller, so tests control them.
#include "core/error.hpp"
#include "core/types.hpp"

#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace windi {

struct login_throttle_settings {
  int account_free_failures = 5;   // per (username, client address): failures answered at once
  int address_free_failures = 20;  // per client address, whatever the usernames
  std::chrono::seconds first_delay{1};
  std::chrono::seconds max_delay{15 * 60};
  std::chrono::seconds forget_after{60 * 60};  // a key with no failure for this long starts afresh
};

// Failed logins counted per (username, client address) and per client address. Past the free failures, each
// further failure locks the key for a delay that doubles, up to max_delay; while locked, a login is refused
// before its password is checked, a correct one included. Keys are usernames as typed (lowercased), so an
// unknown username is throttled exactly like a known one, and one account's lock never stops another account
// or the same account from an address that has not failed. Thread-safe.
class login_throttle {
 public:
  explicit login_throttle(login_throttle_settings settings) : settings_(settings) {}

  // How long the caller must wait before trying again, or nullopt when it may try now.
  std::optional<std::chrono::seconds> locked(std::string_view username, std::string_view address, micros now);
  void failed(std::string_view username, std::string_view address, micros now);
  // A correct password: the account's count from this address starts afresh.
  void succeeded(std::string_view username, std::string_view address);

 private:
  struct record {
    int failures = 0;
    micros last_failure = 0;
    micros locked_until = 0;
  };
  std::optional<std::chrono::seconds> wait(std::string const& key, micros now);
  void count(std::string const& key, int free_failures, micros now);
  void forget_stale(micros now);

  login_throttle_settings settings_;
  std::mutex mutex_;
  std::unordered_map<std::string, record> records_;  // guarded by mutex_
  micros last_sweep_ = 0;                            // guarded by mutex_
};

struct token_bucket_settings {
  double burst = 5;                 // tokens a key starts with and can save up
  double per_second = 20.0 / 3600;  // refill rate
};

// One token bucket per key (e.g. a client address): take() spends a token, or says how long until one is
// there. Thread-safe; keys idle long enough to have refilled are dropped.
class token_buckets {
 public:
  explicit token_buckets(token_bucket_settings settings) : settings_(settings) {}

  std::optional<std::chrono::seconds> take(std::string_view key, micros now);

 private:
  struct bucket {
    double tokens = 0;
    micros updated = 0;
  };
  token_bucket_settings settings_;
  std::mutex mutex_;
  std::unordered_map<std::string, bucket> buckets_;  // guarded by mutex_
  micros last_sweep_ = 0;                            // guarded by mutex_
};

// The failure a refused request gets: 429 with Retry-After.
failure too_many_requests(std::string detail, std::chrono::seconds retry_after);

// The account a login attempt counts against, whichever process limits it: the username with case ignored, as
// login itself ignores it.
std::string login_account(std::string_view username);

}  // namespace windi
