// fanout: one group of N online members, S of them sending as fast as a window of unacknowledged messages
// allows. Figure: deliveries per second (every member's new_message, senders included). The same client load
// then runs against windi-ceiling (a broadcast-only server) for the ratio.
#include "connections.hpp"
#include "frames.hpp"
#include "population.hpp"
#include "scenarios.hpp"
#include "servers.hpp"

#include <unistd.h>

#include <algorithm>
#include <thread>

namespace windi::loadgen {

namespace {

struct load_figures {
  boost::json::object figures;
  double deliveries_per_second = 0;
};

load_figures fanout_load(client_pool& pool, server_set& servers, std::vector<std::string> const& paths,
                         std::int64_t chat_id, fanout_options const& f, bool ceiling) {
  std::vector<connect_target> targets;
  for (std::size_t i = 0; i < paths.size(); ++i) targets.push_back({servers.endpoint_for(i), paths[i], {}});
  auto opened = open_connections(pool, targets, 64);
  auto& conns = opened.connections;
  auto counts = std::make_shared<totals>();
  auto readers = start_readers(pool, conns, counts, ceiling);
  // Let the presence events of the connections (user_status) pass before measuring.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));

  auto const senders = static_cast<std::size_t>(std::clamp(f.senders, 1, f.members));
  auto const expected = static_cast<std::uint64_t>(f.messages) * conns.size();
  servers.mark();
  auto const own_cpu_before = sample_process(::getpid()).cpu_seconds;
  auto const started = now_ns();
  std::vector<std::future<void>> sending;
  for (std::size_t s = 0; s < senders; ++s) {
    auto quota = static_cast<std::uint64_t>(f.messages) / senders +
                 (s < static_cast<std::size_t>(f.messages) % senders ? 1 : 0);
    sending.push_back(pool.spawn(
        conns[s]->thread,
        windowed_sender(conns[s], counts, chat_id, static_cast<std::uint64_t>(f.window), quota, 0)));
  }
  bool complete = wait_until([&] { return counts->deliveries >= expected || counts->dropped > 0; },
                             std::chrono::seconds(f.timeout_seconds));
  auto const waited = static_cast<double>(now_ns() - started) / 1e9;
  auto resources = servers.figures(waited);
  // The client shares the machine: its own CPU shows whether it, rather than the server, was the limit.
  auto const own_cpu = sample_process(::getpid()).cpu_seconds - own_cpu_before;
  close_all(pool, conns, counts, readers);
  wait_all(sending);

  std::int64_t last = started;
  for (auto const& c : conns) last = std::max(last, c->last_delivery_ns);
  auto latencies = gather_latencies(conns);
  double const seconds = static_cast<double>(last - started) / 1e9;
  load_figures out;
  out.deliveries_per_second = seconds > 0 ? static_cast<double>(counts->deliveries) / seconds : 0;
  auto& r = out.figures;
  r["complete"] = complete;
  r["sends"] = counts->sends.load();
  r["acks"] = counts->acks.load();
  r["deliveries"] = counts->deliveries.load();
  r["expected_deliveries"] = expected;
  r["dropped_connections"] = counts->dropped.load();
  r["seconds"] = rounded(seconds, 3);
  r["deliveries_per_second"] = rounded(out.deliveries_per_second, 0);
  r["sends_per_second"] = rounded(seconds > 0 ? static_cast<double>(counts->sends) / seconds : 0, 0);
  r["latency"] = latency_summary(std::move(latencies));
  for (auto& [k, v] : resources) r[k] = v;
  r["loadgen_cpu_cores_busy"] = rounded(waited > 0 ? own_cpu / waited : 0, 2);
  if (!complete)
    throw std::runtime_error((ceiling ? "ceiling" : "windi") + std::string(": only ") +
                             std::to_string(counts->deliveries.load()) + " of " + std::to_string(expected) +
                             " deliveries arrived (see the server log)");
  return out;
}

}  // namespace

report run_fanout(common_options const& o, fanout_options const& f) {
  report out;
  out.scenario = "fanout";
  out.config = {{"members", f.members},       {"senders", f.senders}, {"window", f.window},
                {"messages", f.messages},     {"backend", o.backend}, {"processes", o.processes},
                {"client_threads", o.threads}};
  client_pool pool(o.threads);
  work_dir dir(o.keep_logs);

  double windi_rate = 0;
  {
    auto servers = server_set::windi(o, dir, true);
    auto users = create_users(pool, servers.endpoint_for(0), static_cast<std::size_t>(f.members), "fan");
    std::vector<std::size_t> everyone(users.size());
    for (std::size_t i = 0; i < users.size(); ++i) everyone[i] = i;
    std::vector<std::vector<std::size_t>> groups{everyone};
    auto chat = create_groups(pool, servers.endpoint_for(0), users, groups).front();
    std::vector<std::string> paths;
    for (auto const& u : users) paths.push_back(client::chat_socket_path(u.token));
    auto windi_load = fanout_load(pool, servers, paths, chat, f, false);
    windi_rate = windi_load.deliveries_per_second;
    out.section("windi") = std::move(windi_load.figures);
  }
  if (f.ceiling) {
    auto servers = server_set::ceiling(o, dir);
    std::vector<std::string> paths(static_cast<std::size_t>(f.members), "/");
    auto ceiling_load = fanout_load(pool, servers, paths, 1, f, true);
    out.section("ceiling") = std::move(ceiling_load.figures);
    out.section("summary")["windi_to_ceiling_ratio"] = rounded(
        ceiling_load.deliveries_per_second > 0 ? windi_rate / ceiling_load.deliveries_per_second : 0, 3);
  }
  return out;
}

}  // namespace windi::loadgen
