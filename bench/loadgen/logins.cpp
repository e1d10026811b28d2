#include "logins.hpp"

#include "client/api.hpp"
#include "frames.hpp"

#include <stdexcept>

namespace windi::loadgen {

namespace asio = boost::asio;

namespace {

asio::awaitable<std::uint64_t> login_loop(client::endpoint server, std::string username,
                                          std::int64_t stop_at) {
  client::http_client http(co_await asio::this_coro::executor, server, std::chrono::seconds(60));
  std::uint64_t done = 0;
  while (now_ns() < stop_at) {
    auto session = co_await client::login(http, username, bench_password);
    if (!session.token.empty()) ++done;
  }
  co_return done;
}

}  // namespace

std::vector<std::future<std::uint64_t>> start_login_loops(client_pool& pool, server_set const& servers,
                                                          std::vector<member> const& users, int clients,
                                                          std::int64_t stop_at_ns) {
  if (users.empty()) throw std::runtime_error("login loops need at least one user");
  std::vector<std::future<std::uint64_t>> loops;
  for (int i = 0; i < clients; ++i) {
    auto const k = static_cast<std::size_t>(i);
    loops.push_back(
        pool.spawn(k, login_loop(servers.endpoint_for(k), users[k % users.size()].username, stop_at_ns)));
  }
  return loops;
}

std::uint64_t wait_logins(std::vector<std::future<std::uint64_t>>& loops) {
  std::uint64_t logins = 0;
  for (auto n : wait_all(loops)) logins += n;
  return logins;
}

}  // namespace windi::loadgen
