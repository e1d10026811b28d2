#pragma once
// How many WebSockets one user and one client address may hold open on this process at once, so that one
// client cannot exhaust the server's sockets and memory. A connection takes a place for its address before
// the upgrade and one for its user once authenticated; each place is released when its lease is destroyed.
#include "core/types.hpp"

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>

namespace windi::ws {

class connection_caps {
 public:
  connection_caps(std::size_t per_user, std::size_t per_address)
      : per_user_(per_user), per_address_(per_address) {}
  connection_caps(connection_caps const&) = delete;
  connection_caps& operator=(connection_caps const&) = delete;

  // Holds one place until destroyed. Move-only.
  class lease {
   public:
    lease(lease&& other) noexcept : caps_(std::exchange(other.caps_, nullptr)), key_(std::move(other.key_)) {}
    lease& operator=(lease&& other) noexcept;
    lease(lease const&) = delete;
    lease& operator=(lease const&) = delete;
    ~lease() { release(); }

   private:
    friend class connection_caps;
    lease(connection_caps* caps, std::variant<user_id, std::string> key)
        : caps_(caps), key_(std::move(key)) {}
    void release();
    connection_caps* caps_;
    std::variant<user_id, std::string> key_;
  };

  // A place for one more connection of the user, or none when the user has per_user open already.
  std::optional<lease> admit_user(user_id user);
  // The same for a client address (the peer's, or X-Forwarded-For's from a trusted proxy).
  std::optional<lease> admit_address(std::string const& address);

  std::size_t open_for(user_id user) const;
  std::size_t open_for(std::string const& address) const;

 private:
  template <class Key>
  static bool take(std::unordered_map<Key, std::size_t>& counts, Key const& key, std::size_t cap);
  template <class Key>
  static void give_back(std::unordered_map<Key, std::size_t>& counts, Key const& key);

  std::size_t const per_user_;
  std::size_t const per_address_;
  mutable std::mutex lock_;
  std::unordered_map<user_id, std::size_t> users_;
  std::unordered_map<std::string, std::size_t> addresses_;
};

}  // namespace windi::ws
