// persisted: C clients sending over WebSocket into K chats (C/K members each), each with a window of
// unacknowledged sends. Figure: acknowledged (committed) messages per second, message_sent being sent only
// after the commit.
#include "connections.hpp"
#include "frames.hpp"
#include "population.hpp"
#include "scenarios.hpp"
#include "servers.hpp"

#include <thread>

namespace windi::loadgen {

report run_persisted(common_options const& o, persisted_options const& p) {
  report out;
  out.scenario = "persisted";
  out.config = {{"clients", p.clients},       {"chats", p.chats},     {"window", p.window},
                {"seconds", p.seconds},       {"backend", o.backend}, {"processes", o.processes},
                {"client_threads", o.threads}};
  if (p.chats < 1 || p.clients < 2 * p.chats)
    throw std::runtime_error("persisted: needs --clients >= 2 * --chats");
  client_pool pool(o.threads);
  work_dir dir(o.keep_logs);
  auto servers = server_set::windi(o, dir, true);
  auto const n = static_cast<std::size_t>(p.clients);
  auto const k = static_cast<std::size_t>(p.chats);
  auto users = create_users(pool, servers.endpoint_for(0), n, "per");
  std::vector<std::vector<std::size_t>> groups(k);
  for (std::size_t i = 0; i < n; ++i) groups[i % k].push_back(i);
  auto chats = create_groups(pool, servers.endpoint_for(0), users, groups);

  std::vector<connect_target> targets;
  for (std::size_t i = 0; i < n; ++i) {
    targets.push_back({servers.endpoint_for(i), client::chat_socket_path(users[i].token), {}});
  }
  auto opened = open_connections(pool, targets, 64);
  auto& conns = opened.connections;
  auto counts = std::make_shared<totals>();
  auto readers = start_readers(pool, conns, counts, false);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  auto const start = now_ns();
  auto const stop = start + std::int64_t{p.seconds} * 1'000'000'000;
  servers.mark();
  std::vector<std::future<void>> sending;
  for (std::size_t i = 0; i < conns.size(); ++i) {
    sending.push_back(pool.spawn(conns[i]->thread,
                                 windowed_sender(conns[i], counts, chats[i % k],
                                                 static_cast<std::uint64_t>(p.window), UINT64_MAX, stop)));
  }
  std::this_thread::sleep_for(std::chrono::nanoseconds(stop - now_ns()));
  auto const acked = counts->acks.load();
  auto const sent = counts->sends.load();
  auto resources = servers.figures(static_cast<double>(p.seconds));
  close_all(pool, conns, counts, readers);
  wait_all(sending);

  auto& r = out.section("windi");
  r["acked_per_second"] = rounded(static_cast<double>(acked) / p.seconds, 0);
  r["acked"] = acked;
  r["sent"] = sent;
  r["dropped_connections"] = counts->dropped.load();
  for (auto& [key, value] : resources) r[key] = value;
  if (acked == 0) throw std::runtime_error("persisted: no message was acknowledged (see the server log)");
  return out;
}

}  // namespace windi::loadgen
