#pragma once
// The people of a run, created through the public API: users with random-suffix names (so a PostgreSQL
// database can be reused across runs) and their chats. Requests run in parallel over several keep-alive
// connections.
#include "client/endpoint.hpp"
#include "client_pool.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace windi::loadgen {

struct member {
  std::int64_t id = 0;
  std::string username;
  std::string token;
};

inline constexpr char const* bench_password = "loadgen-password-1";

// Registers and logs in `count` users named <prefix>_<run>_<i>.
std::vector<member> create_users(client_pool& pool, client::endpoint const& server, std::size_t count,
                                 std::string const& prefix, std::size_t parallel = 16);

// One group per entry of `groups` (indices into `users`; the first is the admin). Returns the chat ids.
std::vector<std::int64_t> create_groups(client_pool& pool, client::endpoint const& server,
                                        std::vector<member> const& users,
                                        std::vector<std::vector<std::size_t>> const& groups,
                                        std::size_t parallel = 16);

// A short random tag that makes this run's names unique.
std::string run_tag();

}  // namespace windi::loadgen
