#pragma once
// How many WebSockets one user and one client address may hold open at once (on every process together when
// the limits are shared through Redis), so that one client cannot exhaust the servers' sockets and memory. A
// connection takes a place for its address before the upgrade and one for its user once authenticated; each
// place is released when its lease is destroyed.
#include "core/limiter.hpp"
#include "core/types.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <utility>

namespace windi::ws {

class connection_caps {
 public:
  connection_caps(limiter& limits, std::size_t per_user, std::size_t per_address)
      : limits_(limits), per_user_(per_user), per_address_(per_address) {}
  connection_caps(connection_caps const&) = delete;
  connection_caps& operator=(connection_caps const&) = delete;

  // Holds one place until destroyed. Move-only.
  class lease {
   public:
    lease(lease&& other) noexcept
        : limits_(std::exchange(other.limits_, nullptr)),
          key_(std::move(other.key_)),
          id_(std::move(other.id_)) {}
    lease& operator=(lease&& other) noexcept;
    lease(lease const&) = delete;
    lease& operator=(lease const&) = delete;
    ~lease() { release(); }

   private:
    friend class connection_caps;
    lease(limiter* limits, std::string key, std::string id)
        : limits_(limits), key_(std::move(key)), id_(std::move(id)) {}
    void release();
    limiter* limits_;
    std::string key_;
    std::string id_;
  };

  // A place for the connection `connection_id` of the user, or none when the user has per_user open already.
  boost::asio::awaitable<std::optional<lease>> admit_user(user_id user, std::string connection_id);
  // The same for a client address (the peer's, or X-Forwarded-For's from a trusted proxy).
  boost::asio::awaitable<std::optional<lease>> admit_address(std::string address, std::string connection_id);

  // The keys under which the places are counted.
  static std::string user_key(user_id user) { return "user:" + std::to_string(user); }
  static std::string address_key(std::string const& address) { return "address:" + address; }

 private:
  boost::asio::awaitable<std::optional<lease>> admit(std::string key, std::string connection_id,
                                                     std::size_t cap);

  limiter& limits_;
  std::size_t const per_user_;
  std::size_t const per_address_;
};

}  // namespace windi::ws
