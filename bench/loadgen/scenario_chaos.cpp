// chaos: the real protocol under overlapping faults for --seconds, then a quiet drain and a checker that
// compares every client's view of every chat with the store (chaos_checker.hpp). Clients (chaos_client.hpp)
// send, edit, delete and react at a steady pace and resume with sync after every disconnect. Meanwhile, at
// moments drawn from a seeded generator: clients drop their sockets or stop reading for a while, a server
// process is SIGKILLed and restarted, Redis and PostgreSQL are restarted (through the commands given), and a
// few connections churn (open, authenticate, close) all the time.
#include "chaos_checker.hpp"
#include "chaos_client.hpp"
#include "churn.hpp"
#include "client/api.hpp"
#include "client/http_client.hpp"
#include "population.hpp"
#include "scenarios.hpp"
#include "servers.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/array.hpp>

#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <random>
#include <thread>

namespace windi::loadgen {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

asio::awaitable<void> create_private_chats(client::endpoint server, std::vector<member> const* users,
                                           std::vector<std::pair<std::size_t, std::size_t>> const* pairs,
                                           std::vector<std::int64_t>* ids) {
  client::http_client http(co_await asio::this_coro::executor, server);
  for (auto const& [a, b] : *pairs) {
    ids->push_back(co_await client::create_private(http, (*users)[a].token, (*users)[b].id));
  }
}

std::uint64_t random_seed() {
  std::uint64_t seed = 0;
  randombytes_buf(&seed, sizeof seed);
  return seed % 1'000'000'000;
}

}  // namespace

report run_chaos(common_options const& o, chaos_options const& c) {
  report out;
  out.scenario = "chaos";
  auto const seed = c.seed != 0 ? c.seed : random_seed();
  std::fprintf(stderr, "chaos: seed %llu (replay with --seed %llu)\n", static_cast<unsigned long long>(seed),
               static_cast<unsigned long long>(seed));
  out.config = {{"seconds", c.seconds},
                {"clients", c.clients},
                {"group_size", c.group_size},
                {"actions_per_second_per_client", c.actions_per_second},
                {"seed", seed},
                {"backend", o.backend},
                {"processes", o.processes},
                {"churn_connections", c.churn_connections},
                {"churn_per_second", c.churn_per_second},
                {"restart_redis", !c.restart_redis.empty()},
                {"restart_postgres", !c.restart_postgres.empty()}};
  std::mt19937_64 random(seed);

  work_dir dir(o.keep_logs);
  auto servers = server_set::windi(o, dir, true);
  client_pool pool(o.threads);

  auto const total_users = static_cast<std::size_t>(c.clients + c.churn_connections);
  auto users = create_users(pool, servers.endpoint_for(0), total_users, "chaos");
  std::vector<std::vector<std::int64_t>> chats_of(static_cast<std::size_t>(c.clients));
  std::map<std::int64_t, std::string> readers;  // a member's token per chat, for the checker

  std::vector<std::vector<std::size_t>> groups;
  for (std::size_t first = 0; first + 1 < chats_of.size(); first += static_cast<std::size_t>(c.group_size)) {
    std::vector<std::size_t> g;
    for (std::size_t k = first; k < std::min(chats_of.size(), first + static_cast<std::size_t>(c.group_size));
         ++k)
      g.push_back(k);
    if (g.size() >= 2) groups.push_back(std::move(g));
  }
  auto group_ids = create_groups(pool, servers.endpoint_for(0), users, groups);
  for (std::size_t i = 0; i < groups.size(); ++i) {
    for (auto k : groups[i]) chats_of[k].push_back(group_ids[i]);
    readers[group_ids[i]] = users[groups[i][0]].token;
  }
  // Private chats between neighbours: 0-1, 2-3, ...
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  for (std::size_t a = 0; a + 1 < chats_of.size(); a += 2) pairs.emplace_back(a, a + 1);
  std::vector<std::int64_t> private_ids;
  pool.spawn(0, create_private_chats(servers.endpoint_for(0), &users, &pairs, &private_ids)).get();
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    chats_of[pairs[i].first].push_back(private_ids[i]);
    chats_of[pairs[i].second].push_back(private_ids[i]);
    readers[private_ids[i]] = users[pairs[i].first].token;
  }

  auto shared = std::make_shared<chaos_shared>();
  shared->actions_per_second = c.actions_per_second;
  for (std::size_t i = 0; i < servers.size(); ++i) shared->endpoints.push_back(servers.endpoint_for(i));
  auto update_endpoints = [&] {
    std::lock_guard lock(shared->endpoints_mutex);
    for (std::size_t i = 0; i < servers.size(); ++i) shared->endpoints[i] = servers.endpoint_for(i);
  };

  std::vector<std::shared_ptr<chaos_client>> clients;
  std::vector<std::future<void>> running;
  for (std::size_t i = 0; i < chats_of.size(); ++i) {
    clients.push_back(std::make_shared<chaos_client>(pool.at(i).get_executor(), shared, users[i], i,
                                                     chats_of[i], seed + i + 1));
    running.push_back(pool.spawn(i, clients.back()->run()));
  }
  std::atomic<std::uint64_t> churned{0};
  churn_plan churn;
  churn.endpoint = [shared](std::size_t i) { return shared->endpoint(i); };
  churn.stopping = &shared->stopping;
  churn.cycles = &churned;
  churn.per_second = c.churn_per_second / std::max(1, c.churn_connections);
  for (int k = 0; k < c.churn_connections; ++k) {
    auto const i = chats_of.size() + static_cast<std::size_t>(k);
    running.push_back(pool.spawn(i, churn_loop(churn, users[i], i)));
  }

  // The faults.
  std::map<std::string, std::uint64_t> faults;
  auto const start = clock_type::now();
  auto const end = start + std::chrono::seconds(c.seconds);
  auto last_crash = start, last_redis = start, last_postgres = start;
  // Each server process's RSS and open descriptors over the run, so that a creep shows (a killed process
  // starts again from its baseline).
  auto const sample_every = std::chrono::seconds(std::max(1, c.seconds / 60));
  auto next_sample = start;
  json::array curve;
  auto sample_servers = [&] {
    json::array rss, fds;
    for (std::size_t i = 0; i < servers.size(); ++i) {
      auto const p = servers.process(i).sample();
      rss.push_back(rounded(static_cast<double>(p.rss_kib) / 1024, 1));
      fds.push_back(p.open_fds);
    }
    curve.push_back(json::object{
        {"t", std::chrono::duration_cast<std::chrono::seconds>(clock_type::now() - start).count()},
        {"rss_mib", std::move(rss)},
        {"open_fds", std::move(fds)}});
  };
  std::exponential_distribution<double> gap(1.0 / c.fault_interval_seconds);
  auto pick = [&random](std::size_t n) { return static_cast<std::size_t>(random() % n); };
  while (clock_type::now() < end) {
    std::this_thread::sleep_for(std::chrono::duration<double>(gap(random)));
    if (clock_type::now() >= next_sample) {
      sample_servers();
      next_sample += sample_every;
    }
    if (clock_type::now() >= end) break;
    auto const now = clock_type::now();
    auto const roll = random() % 100;
    if (roll < 45) {
      auto const n = 1 + pick(5);
      for (std::size_t k = 0; k < n; ++k) {
        auto const i = pick(clients.size());
        asio::post(pool.at(i), [client = clients[i]] { client->drop(); });
      }
      faults["client_drops"] += n;
    } else if (roll < 75) {
      auto const n = 1 + pick(5);
      for (std::size_t k = 0; k < n; ++k) {
        auto const i = pick(clients.size());
        auto const for_ms = std::chrono::milliseconds(500 + pick(5500));
        asio::post(pool.at(i), [client = clients[i], for_ms] { client->freeze(for_ms); });
      }
      faults["client_freezes"] += n;
    } else if (roll < 85 && now - last_crash >= std::chrono::seconds(c.min_fault_gap_seconds)) {
      servers.crash_and_restart(pick(servers.size()));
      update_endpoints();
      last_crash = now;
      ++faults["server_kills"];
    } else if (roll < 92 && !c.restart_redis.empty() &&
               now - last_redis >= std::chrono::seconds(c.min_fault_gap_seconds)) {
      if (std::system(c.restart_redis.c_str()) != 0)
        throw std::runtime_error("chaos: restarting Redis failed");
      last_redis = now;
      ++faults["redis_restarts"];
    } else if (roll >= 92 && !c.restart_postgres.empty() &&
               now - last_postgres >= std::chrono::seconds(c.min_fault_gap_seconds)) {
      auto const mode = random() % 2 ? "fast" : "immediate";
      if (std::system((c.restart_postgres + " " + mode).c_str()) != 0)
        throw std::runtime_error("chaos: restarting PostgreSQL failed");
      last_postgres = now;
      ++faults[std::string("postgres_restarts_") + mode];
    }
  }

  // The quiet drain: no more actions; every client reconnects, resumes and gets its sends acknowledged.
  shared->acting = false;
  auto const drain_start = clock_type::now();
  bool const settled = wait_settled(pool, clients, std::chrono::seconds(c.drain_seconds));
  // Live events still on their way.
  std::this_thread::sleep_for(3s);
  auto const drain_seconds = std::chrono::duration<double>(clock_type::now() - drain_start).count();
  stop_clients(pool, *shared, clients, running);

  auto store = read_store(pool, servers.endpoint_for(0), readers);
  auto verdict = check_chaos(clients, store);

  auto const total = total_counts(clients);
  std::uint64_t stored = 0;
  for (auto const& [chat, s] : store) stored += s.messages.size();
  auto& load = out.section("load");
  load["sends"] = total.sends;
  load["resent_frames"] = total.resends;
  load["edits"] = total.edits;
  load["deletes"] = total.deletes;
  load["reactions"] = total.reactions;
  load["stored_messages"] = stored;
  load["connections"] = total.connections;
  load["disconnects"] = total.disconnects;
  load["closed_as_slow"] = total.slow_closes;
  load["resync_reloads"] = total.resync_reloads;
  load["sync_requests"] = total.sync_requests;
  load["error_frames"] = total.errors;
  load["churn_cycles"] = churned.load();
  load["settled_before_check"] = settled;
  load["drain_seconds"] = rounded(drain_seconds, 1);
  auto& fault_section = out.section("faults");
  for (auto const& [name, count] : faults) fault_section[name] = count;
  auto& check = out.section("check");
  for (auto const& [k, v] : verdict.figures()) check[k] = v;
  sample_servers();
  out.section("servers_over_time")["samples"] = std::move(curve);
  auto& server = out.section("windi");
  server = servers.figures(std::chrono::duration<double>(clock_type::now() - start).count());
  servers.stop();
  if (!verdict.passed()) {
    out.print();
    throw std::runtime_error("chaos: the checker found violations (seed " + std::to_string(seed) + ")");
  }
  return out;
}

}  // namespace windi::loadgen
