#pragma once
// Whether a signed, unexpired token still counts: its user exists, it carries the user's current token
// generation (a password change raises it), and it was not revoked by id (logout). What the store says of a
// user is cached, so an authenticated request costs no store query once its user is known. A process that
// changes a user's credentials publishes credentials_changed, and every process forgets that user; entries
// are also reloaded after `max_age`, in case such an event was lost while the bus was down.
#include "core/clock.hpp"
#include "core/tokens.hpp"
#include "store/store.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace windi {

class credentials_cache {
 public:
  credentials_cache(store& db, clock const& clock, std::chrono::seconds max_age);

  // errc::unauthorized when the token no longer counts (or its user does not exist); errc::unavailable (or
  // another store failure) when the store cannot say.
  task<outcome<void>> check(token_claims const& claims);
  // Drops what is cached of the user: the next check asks the store. From any thread.
  void forget(user_id user);

 private:
  struct entry {
    credential_state state;
    micros loaded_at = 0;
  };
  // Sharded so that checks on different I/O threads rarely meet on one mutex.
  struct shard {
    std::mutex lock;
    std::unordered_map<user_id, entry> users;
    std::uint64_t forgets = 0;  // a load that overlapped a forget must not cache what it read
  };
  enum class verdict { valid, revoked, unknown };

  shard& shard_of(user_id user) { return shards_[static_cast<std::uint64_t>(user) % shards_.size()]; }
  verdict cached(token_claims const& claims, micros now);

  store& db_;
  clock const& clock_;
  micros max_age_;
  std::array<shard, 16> shards_;
};

}  // namespace windi
