#pragma once
// Login loops: each client does POST /auth/login-json back to back over one keep-alive connection. The login
// scenario measures them alone; the latency scenario's login storm runs them beside its message load.
#include "client_pool.hpp"
#include "population.hpp"
#include "servers.hpp"

#include <cstdint>
#include <future>
#include <vector>

namespace windi::loadgen {

// Loop i logs in as users[i % users.size()] at servers.endpoint_for(i) until `stop_at_ns` (a login under way
// then still finishes); each future carries its count of successful logins.
std::vector<std::future<std::uint64_t>> start_login_loops(client_pool& pool, server_set const& servers,
                                                          std::vector<member> const& users, int clients,
                                                          std::int64_t stop_at_ns);

// Waits for every loop; the successful logins of all of them.
std::uint64_t wait_logins(std::vector<std::future<std::uint64_t>>& loops);

}  // namespace windi::loadgen
