#include "population.hpp"

#include "client/api.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <random>

namespace windi::loadgen {

namespace asio = boost::asio;

namespace {

// `parallel` workers, each with its own keep-alive connection, take the next index until `count` is reached.
struct job {
  std::size_t count = 0;
  std::atomic<std::size_t> next{0};
  std::function<asio::awaitable<void>(client::http_client&, std::size_t)> step;
};

asio::awaitable<void> worker(client::endpoint server, std::shared_ptr<job> work) {
  client::http_client http(co_await asio::this_coro::executor, server, std::chrono::seconds(60));
  for (auto i = work->next++; i < work->count; i = work->next++) co_await work->step(http, i);
}

void run_parallel(client_pool& pool, client::endpoint const& server, std::shared_ptr<job> work,
                  std::size_t parallel) {
  std::vector<std::future<void>> done;
  for (std::size_t w = 0; w < std::min(parallel, work->count); ++w)
    done.push_back(pool.spawn(w, worker(server, work)));
  wait_all(done);
}

asio::awaitable<void> register_one(client::http_client& http, std::string username, member* out) {
  auto id = co_await client::register_user(http, username, username + "@loadgen.test", bench_password);
  auto session = co_await client::login(http, username, bench_password);
  out->id = id;
  out->username = std::move(username);
  out->token = std::move(session.token);
}

asio::awaitable<void> group_one(client::http_client& http, std::string token, std::string name,
                                std::vector<std::int64_t> member_ids, std::int64_t* out) {
  *out = co_await client::create_group(http, std::move(token), std::move(name), std::move(member_ids));
}

}  // namespace

std::string run_tag() {
  std::random_device rd;
  static char const digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out;
  for (int i = 0; i < 6; ++i) out += digits[rd() % 36];
  return out;
}

std::vector<member> create_users(client_pool& pool, client::endpoint const& server, std::size_t count,
                                 std::string const& prefix, std::size_t parallel) {
  std::vector<member> users(count);
  auto work = std::make_shared<job>();
  work->count = count;
  auto const base = prefix + "_" + run_tag() + "_";
  work->step = [&users, base](client::http_client& http, std::size_t i) {
    return register_one(http, base + std::to_string(i), &users[i]);
  };
  run_parallel(pool, server, work, parallel);
  return users;
}

std::vector<std::int64_t> create_groups(client_pool& pool, client::endpoint const& server,
                                        std::vector<member> const& users,
                                        std::vector<std::vector<std::size_t>> const& groups,
                                        std::size_t parallel) {
  std::vector<std::int64_t> ids(groups.size());
  auto work = std::make_shared<job>();
  work->count = groups.size();
  work->step = [&users, &groups, &ids](client::http_client& http, std::size_t i) {
    auto const& g = groups[i];
    std::vector<std::int64_t> others;
    for (std::size_t k = 1; k < g.size(); ++k) others.push_back(users[g[k]].id);
    return group_one(http, users[g[0]].token, "lg-" + std::to_string(i), std::move(others), &ids[i]);
  };
  run_parallel(pool, server, work, parallel);
  return ids;
}

}  // namespace windi::loadgen
