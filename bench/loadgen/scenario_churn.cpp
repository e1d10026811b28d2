// churn: many WebSocket open-authenticate-close cycles at full speed (churn.hpp), while a few users stay
// connected, one of them reading every online/offline event of the churning users; then whether the server
// kept anything of the connections that are gone: memory (RSS against the figure after a warm-up), file
// descriptors, /health's connection count, and who it says is online.
#include "churn.hpp"
#include "client/http_client.hpp"
#include "client/ws_client.hpp"
#include "connections.hpp"
#include "population.hpp"
#include "scenarios.hpp"
#include "servers.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>
#include <thread>

namespace windi::loadgen {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

struct steady_counts {
  std::atomic<int> connected{0};
  std::atomic<int> lost{0};  // closed by the server, or failed, before the end
  std::atomic<std::uint64_t> frames{0};
};

// Connects and reads every frame until the connection is closed: by the server (counted as lost) or by
// close_now() at the end.
asio::awaitable<void> stay_connected(std::shared_ptr<client::ws_client> ws, client::endpoint server,
                                     member who, std::atomic<bool> const* stopping, steady_counts* counts) {
  try {
    co_await ws->connect(server, client::chat_socket_path(who.token));
    ++counts->connected;
    for (;;) {
      co_await ws->read();
      ++counts->frames;
    }
  } catch (std::exception const& e) {
    if (!stopping->load()) {
      ++counts->lost;
      std::fprintf(stderr, "churn: user %s lost its connection (close code %d): %s\n", who.username.c_str(),
                   ws->close_code(), e.what());
    }
  }
}

// The sum over the processes of /health's websocket_connections.
std::int64_t health_connections(client_pool& pool, server_set& servers) {
  std::int64_t total = 0;
  for (std::size_t i = 0; i < servers.size(); ++i) {
    auto ask = [](client::endpoint server) -> asio::awaitable<std::int64_t> {
      client::http_client http(co_await asio::this_coro::executor, server);
      auto r = co_await http.get("/health");
      if (r.status != 200 || !r.body.is_object()) throw std::runtime_error("/health: " + r.text);
      co_return r.body.as_object().at("websocket_connections").to_number<std::int64_t>();
    };
    total += pool.spawn(0, ask(servers.endpoint_for(i))).get();
  }
  return total;
}

// Who is online among the members of `who`'s chats, as a fresh connection's sync answer says.
asio::awaitable<std::set<std::int64_t>> online_now(client::endpoint server, member who) {
  client::ws_client ws(co_await asio::this_coro::executor);
  co_await ws.connect(server, client::chat_socket_path(who.token));
  co_await ws.send(R"({"action": "sync", "data": {}})");
  std::set<std::int64_t> online;
  for (;;) {
    auto frame = json::parse(co_await ws.read(10s)).as_object();
    if (frame.at("type") != "sync") continue;
    for (auto const& id : frame.at("data").as_object().at("online_user_ids").as_array())
      online.insert(id.to_number<std::int64_t>());
    break;
  }
  ws.close_now();
  co_return online;
}

struct resources {
  std::int64_t rss_kib = 0;
  std::int64_t open_fds = 0;
};

resources sample_all(server_set& servers) {
  resources r;
  for (std::size_t i = 0; i < servers.size(); ++i) {
    auto s = servers.process(i).sample();
    r.rss_kib += s.rss_kib;
    r.open_fds += s.open_fds;
  }
  return r;
}

}  // namespace

report run_churn(common_options const& o, churn_options const& c) {
  report out;
  out.scenario = "churn";
  out.config = {{"cycles", c.cycles},       {"warmup_cycles", c.warmup_cycles}, {"loops", c.loops},
                {"steady", c.steady},       {"churner_chats", c.churner_chats}, {"backend", o.backend},
                {"processes", o.processes}, {"rss_tolerance", c.rss_tolerance}};
  work_dir dir(o.keep_logs);
  auto servers = server_set::windi(o, dir, true);
  client_pool pool(o.threads);

  auto const steady = static_cast<std::size_t>(c.steady);
  auto const loops = static_cast<std::size_t>(c.loops);
  auto users = create_users(pool, servers.endpoint_for(0), steady + loops, "churn");
  // The first steady member (the observer) shares a group with the churning users, so that each cycle is an
  // online and an offline event it reads, and another with the other steady members, so that its sync
  // answer says who of all of them is online. (Every steady member in the churners' group would be a flood
  // of events no reader on this machine keeps up with: the server rightly closes such readers, 4008.)
  std::vector<std::size_t> churners_group(1, 0), steady_group(steady);
  for (std::size_t k = 0; k < loops; ++k) churners_group.push_back(steady + k);
  std::iota(steady_group.begin(), steady_group.end(), std::size_t{0});
  std::vector<std::vector<std::size_t>> groups{churners_group};
  if (steady > 1) groups.push_back(steady_group);
  // Each round puts every churning user in one more group of (up to) 8, the loops in a different order each
  // time, so that a connect has that many more chats to follow and more people to tell it is online.
  constexpr std::size_t churner_group_size = 8;
  std::vector<std::size_t> churners(loops);
  std::iota(churners.begin(), churners.end(), steady);
  std::mt19937 order(20261204);
  for (int round = 0; round < c.churner_chats; ++round) {
    std::shuffle(churners.begin(), churners.end(), order);
    for (std::size_t start = 0; start < loops; start += churner_group_size) {
      auto const end = std::min(loops, start + churner_group_size);
      groups.emplace_back(churners.begin() + static_cast<std::ptrdiff_t>(start),
                          churners.begin() + static_cast<std::ptrdiff_t>(end));
    }
  }
  create_groups(pool, servers.endpoint_for(0), users, groups);

  // The steady connections read on a thread of their own: on the churn loops' thread (one by default) the
  // observer gets one turn in 33 and falls behind the thousands of events a second it is sent, until the
  // server rightly closes it as too slow (4008) on a slower machine.
  client_pool readers(1);
  std::atomic<bool> stopping{false};
  steady_counts counts;
  std::vector<std::shared_ptr<client::ws_client>> steady_sockets;
  std::vector<std::future<void>> steady_running;
  for (std::size_t i = 0; i < steady; ++i) {
    steady_sockets.push_back(std::make_shared<client::ws_client>(readers.at(i).get_executor()));
    steady_running.push_back(readers.spawn(
        i, stay_connected(steady_sockets.back(), servers.endpoint_for(i), users[i], &stopping, &counts)));
  }
  // Each check of the settling below asks /health or reads /proc: every 100 ms is often enough.
  constexpr auto poll = 100ms;
  if (!wait_until([&] { return counts.connected.load() == c.steady; }, 15s, poll))
    throw std::runtime_error("churn: the steady connections did not all connect");

  auto phase = [&](std::uint64_t count) {
    std::atomic<std::uint64_t> cycles{0};
    std::atomic<bool> never{false};
    churn_plan plan;
    plan.endpoint = [&servers](std::size_t i) { return servers.endpoint_for(i); };
    plan.stopping = &never;
    plan.cycles = &cycles;
    plan.limit = count;
    std::vector<std::future<void>> running;
    auto const started = clock_type::now();
    for (std::size_t k = 0; k < loops; ++k)
      running.push_back(pool.spawn(k, churn_loop(plan, users[steady + k], k)));
    wait_all(running);
    return std::pair{cycles.load(), std::chrono::duration<double>(clock_type::now() - started).count()};
  };
  // Gone connections leave the server's count, and their sockets close, a moment after the client's close.
  auto settle = [&](resources const* fds_at_most) {
    bool const counted = wait_until(
        [&] { return health_connections(pool, servers) == static_cast<std::int64_t>(c.steady); }, 15s, poll);
    if (fds_at_most) {
      wait_until([&] { return sample_all(servers).open_fds <= fds_at_most->open_fds; }, 10s, poll);
    }
    std::this_thread::sleep_for(1s);
    return counted;
  };

  phase(static_cast<std::uint64_t>(c.warmup_cycles));
  settle(nullptr);
  auto const before = sample_all(servers);
  servers.mark();
  auto const [cycles, seconds] = phase(static_cast<std::uint64_t>(c.cycles));
  bool const counted = settle(&before);
  auto const after = sample_all(servers);
  auto const connections_after = health_connections(pool, servers);
  auto const online = pool.spawn(0, online_now(servers.endpoint_for(0), users[0])).get();

  std::set<std::int64_t> expected;
  for (std::size_t i = 0; i < steady; ++i) expected.insert(users[i].id);
  std::size_t churners_online = 0;
  for (std::size_t k = 0; k < loops; ++k) churners_online += online.count(users[steady + k].id);
  auto const rss_ratio =
      static_cast<double>(after.rss_kib) / static_cast<double>(std::max<std::int64_t>(1, before.rss_kib));

  auto& load = out.section("churn");
  load["cycles"] = cycles;
  load["seconds"] = rounded(seconds, 1);
  load["cycles_per_second"] = rounded(static_cast<double>(cycles) / seconds, 0);
  load["steady_frames_read"] = counts.frames.load();
  load["steady_connections_lost"] = counts.lost.load();
  auto& kept = out.section("after");
  kept["rss_before_mib"] = rounded(static_cast<double>(before.rss_kib) / 1024, 1);
  kept["rss_after_mib"] = rounded(static_cast<double>(after.rss_kib) / 1024, 1);
  kept["rss_after_over_before"] = rounded(rss_ratio, 3);
  kept["open_fds_before"] = before.open_fds;
  kept["open_fds_after"] = after.open_fds;
  kept["health_connections"] = connections_after;
  kept["connected_now"] = c.steady;
  kept["online_users"] = online.size();
  kept["online_expected"] = expected.size();
  kept["churners_online"] = churners_online;
  bool const passed = rss_ratio <= 1 + c.rss_tolerance && after.open_fds <= before.open_fds && counted &&
                      connections_after == c.steady && online == expected && counts.lost.load() == 0;
  kept["passed"] = passed;
  out.section("windi") = servers.figures(seconds);
  // What one open-authenticate-close cycle costs the windi processes together.
  // (Sections are looked up again: adding one may move the others.)
  if (auto const* cpu = out.section("windi").if_contains("server_cpu_seconds"); cpu && cycles > 0)
    out.section("churn")["server_cpu_ms_per_cycle"] =
        rounded(cpu->to_number<double>() * 1000 / static_cast<double>(cycles), 3);

  stopping = true;
  for (std::size_t i = 0; i < steady; ++i)
    asio::post(readers.at(i), [ws = steady_sockets[i]] { ws->close_now(); });
  wait_all(steady_running);
  servers.stop();
  if (!passed) {
    out.print();
    throw std::runtime_error("churn: the server kept something of the connections that are gone");
  }
  return out;
}

}  // namespace windi::loadgen
