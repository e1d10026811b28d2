// latency: U users online in groups of G, all together sending R messages per second at a steady pace (each
// user one message every U/R seconds, phases spread at random). Figure: send-to-deliver latency over every
// member's delivery, measured from when each message was due, so a server that falls behind shows it.
#include "connections.hpp"
#include "frames.hpp"
#include "population.hpp"
#include "scenarios.hpp"
#include "servers.hpp"

#include <random>
#include <thread>

namespace windi::loadgen {

report run_latency(common_options const& o, latency_options const& l) {
  report out;
  out.scenario = "latency";
  out.config = {{"users", l.users},         {"chat_size", l.chat_size},           {"rate", l.rate},
                {"seconds", l.seconds},     {"warmup_seconds", l.warmup_seconds}, {"backend", o.backend},
                {"processes", o.processes}, {"client_threads", o.threads}};
  if (l.users < 2 || l.chat_size < 2 || l.rate < 1)
    throw std::runtime_error("latency: --users, --chat-size >= 2");
  client_pool pool(o.threads);
  work_dir dir(o.keep_logs);
  auto servers = server_set::windi(o, dir, true);
  auto const n = static_cast<std::size_t>(l.users);
  auto const g = static_cast<std::size_t>(l.chat_size);
  auto users = create_users(pool, servers.endpoint_for(0), n, "lat");
  std::vector<std::vector<std::size_t>> groups;
  for (std::size_t first = 0; first < n; first += g) {
    std::vector<std::size_t> members;
    for (std::size_t i = first; i < std::min(n, first + g); ++i) members.push_back(i);
    if (members.size() >= 2) groups.push_back(std::move(members));
  }
  auto chats = create_groups(pool, servers.endpoint_for(0), users, groups);
  std::vector<std::int64_t> chat_of(n, 0);
  for (std::size_t c = 0; c < groups.size(); ++c) {
    for (auto i : groups[c]) chat_of[i] = chats[c];
  }

  std::vector<connect_target> targets;
  for (std::size_t i = 0; i < n; ++i) {
    if (chat_of[i] != 0)
      targets.push_back({servers.endpoint_for(i), client::chat_socket_path(users[i].token), {}});
  }
  auto opened = open_connections(pool, targets, 64);
  auto& conns = opened.connections;
  auto counts = std::make_shared<totals>();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto const start = now_ns() + 1'000'000'000;  // a second ahead, so every sender is scheduled in time
  auto const stop = start + std::int64_t{l.seconds} * 1'000'000'000;
  for (auto const& c : conns) c->measure_from_ns = start + std::int64_t{l.warmup_seconds} * 1'000'000'000;
  auto readers = start_readers(pool, conns, counts, false);

  auto const period = static_cast<std::int64_t>(1e9 * static_cast<double>(conns.size()) / l.rate);
  std::mt19937_64 random(42);
  std::uniform_int_distribution<std::int64_t> phase(0, period - 1);
  std::vector<std::future<void>> sending;
  std::size_t k = 0;
  for (auto const& c : conns) {
    auto chat = chat_of[k++];
    sending.push_back(
        pool.spawn(c->thread, paced_sender(c, counts, chat, period, start + phase(random), stop)));
  }
  std::this_thread::sleep_for(std::chrono::nanoseconds(start - now_ns()));
  servers.mark();
  std::this_thread::sleep_for(std::chrono::nanoseconds(stop - now_ns()));
  auto const sent = counts->sends.load();
  auto const acked_in_time = counts->acks.load();
  auto resources = servers.figures(static_cast<double>(l.seconds));
  wait_all(sending);
  auto const expected = counts->sends.load() * g;
  bool drained =
      wait_until([&] { return counts->deliveries >= expected; }, std::chrono::seconds(l.drain_seconds));
  close_all(pool, conns, counts, readers);

  std::vector<std::int64_t> latencies;
  for (auto const& c : conns)
    latencies.insert(latencies.end(), c->latencies_ns.begin(), c->latencies_ns.end());
  auto& r = out.section("windi");
  r["target_messages_per_second"] = l.rate;
  r["sent_per_second"] = rounded(static_cast<double>(sent) / l.seconds, 0);
  r["acked_per_second"] = rounded(static_cast<double>(acked_in_time) / l.seconds, 0);
  r["deliveries"] = counts->deliveries.load();
  r["expected_deliveries"] = expected;
  r["all_delivered"] = drained;
  r["dropped_connections"] = counts->dropped.load();
  r["latency_after_warmup"] = latency_summary(std::move(latencies));
  for (auto& [key, value] : resources) r[key] = value;
  if (counts->deliveries == 0)
    throw std::runtime_error("latency: nothing was delivered (see the server log)");
  return out;
}

}  // namespace windi::loadgen
