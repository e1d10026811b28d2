// spread: U users in chats of G spread over N windi processes so that each chat's members are on at most two
// of them (spread_layout), all together sending R messages per second at a steady pace. Per process: the
// events it received from Redis and the frames it handed to its own sockets (its own counters, read from
// /metrics before and after), against what it should hear (the messages of the chats with a member on it) and
// what a firehose would hand it (every message sent through another process). Across processes: deliveries
// per server CPU-second, over a phase that follows a warm-up of the same load and its drain, so that every
// count covers exactly the messages of the phase. With N > 1 the same workload runs on one process first, in
// the same run, so the ratio compares two measurements of the same machine minutes apart.
#include "connections.hpp"
#include "frames.hpp"
#include "metrics_page.hpp"
#include "population.hpp"
#include "scenarios.hpp"
#include "servers.hpp"
#include "spread_layout.hpp"

#include <unistd.h>

#include <algorithm>
#include <random>
#include <thread>

namespace windi::loadgen {

namespace json = boost::json;

namespace {

constexpr std::int64_t ns_per_second = 1'000'000'000;

// The counters of one process that the scenario reads before and after.
struct counters {
  double received = 0;   // windi_bus_received_total: events from other processes through Redis
  double delivered = 0;  // windi_deliveries_total: frames handed to this process's sessions
  double published = 0;  // windi_bus_published_total
  double cpu_seconds = 0;
};

counters read_counters(client_pool& pool, server_set& servers, std::size_t i) {
  auto& process = servers.process(i);
  auto page = fetch_metrics(pool, {"127.0.0.1", process.metrics_port()});
  auto need = [&page, &process](char const* name) {
    auto value = metric_value(page, name);
    if (!value) throw std::runtime_error(process.name() + ": /metrics has no " + name);
    return *value;
  };
  return {need("windi_bus_received_total"), need("windi_deliveries_total"), need("windi_bus_published_total"),
          process.sample().cpu_seconds};
}

std::vector<counters> read_all(client_pool& pool, server_set& servers) {
  std::vector<counters> out;
  for (std::size_t i = 0; i < servers.size(); ++i) out.push_back(read_counters(pool, servers, i));
  return out;
}

std::uint64_t whole(double v) { return static_cast<std::uint64_t>(v + 0.5); }

double per(double amount, double seconds) { return seconds > 0 ? amount / seconds : 0; }

struct sent_phase {
  std::int64_t start_ns = 0;
  bool drained = false;  // every delivery and ack of everything sent so far arrived within --drain
};

// Each connection sends one message every `period_ns` (at a random phase) for `seconds`, into its chat
// (`chat_of_conn`); then the deliveries and acks of everything sent so far are awaited.
sent_phase send_and_drain(client_pool& pool, std::vector<connection_ptr> const& conns,
                          std::shared_ptr<totals> const& counts,
                          std::vector<std::int64_t> const& chat_of_conn, std::int64_t period_ns, int seconds,
                          spread_options const& s, std::mt19937_64& random) {
  sent_phase out;
  out.start_ns = now_ns() + ns_per_second / 5;  // ahead, so that every sender is scheduled in time
  auto const stop = out.start_ns + std::int64_t{seconds} * ns_per_second;
  std::uniform_int_distribution<std::int64_t> phase_of(0, period_ns - 1);
  std::vector<std::future<void>> sending;
  for (std::size_t i = 0; i < conns.size(); ++i) {
    sending.push_back(pool.spawn(conns[i]->thread, paced_sender(conns[i], counts, chat_of_conn[i], period_ns,
                                                                out.start_ns + phase_of(random), stop)));
  }
  wait_all(sending);
  auto const expected = counts->sends.load() * static_cast<std::uint64_t>(s.chat_size);
  out.drained = wait_until([&] { return counts->deliveries >= expected && counts->acks >= counts->sends; },
                           std::chrono::seconds(s.drain_seconds));
  return out;
}

struct phase_result {
  json::object figures;
  double deliveries_per_cpu_second = 0;
  bool received_within_own_chats = true;
};

phase_result run_phase(client_pool& pool, common_options const& o, work_dir const& dir,
                       spread_options const& s) {
  auto servers = server_set::windi(o, dir, true);
  auto const n = servers.size();
  auto const layout =
      make_spread_layout(static_cast<std::size_t>(s.users), static_cast<std::size_t>(s.chat_size), n);
  auto const online = layout.process_of_user.size();
  auto users = create_users(pool, servers.endpoint_for(0), online, "spr");
  auto chats = create_groups(pool, servers.endpoint_for(0), users, layout.chats);

  std::vector<connect_target> targets;
  for (std::size_t u = 0; u < online; ++u)
    targets.push_back(
        {servers.endpoint_for(layout.process_of_user[u]), client::chat_socket_path(users[u].token), {}});
  // Without failures tolerated, connection u is user u's.
  auto conns = open_connections(pool, targets, 64).connections;
  auto counts = std::make_shared<totals>();
  auto readers = start_readers(pool, conns, counts, false);
  // Presence (each user's first connection) and the processes' subscriptions to their chats settle first.
  std::this_thread::sleep_for(std::chrono::seconds(1));

  auto const period = static_cast<std::int64_t>(1e9 * static_cast<double>(online) / s.rate);
  std::vector<std::int64_t> chat_of_conn;
  for (std::size_t u = 0; u < online; ++u) chat_of_conn.push_back(chats[layout.chat_of_user[u]]);
  std::mt19937_64 random(42);
  // The warm-up's own deliveries have all arrived before the counters are read: nothing of it is counted.
  if (s.warmup_seconds > 0)
    send_and_drain(pool, conns, counts, chat_of_conn, period, s.warmup_seconds, s, random);
  std::vector<std::uint64_t> acked_before(online, 0);
  for (std::size_t u = 0; u < online; ++u) acked_before[u] = conns[u]->acked;
  auto const sends_before = counts->sends.load();
  auto const deliveries_before = counts->deliveries.load();

  auto const before = read_all(pool, servers);
  servers.mark();
  auto const own_cpu_before = sample_process(::getpid()).cpu_seconds;
  auto const measured = send_and_drain(pool, conns, counts, chat_of_conn, period, s.seconds, s, random);
  // From the first send to the last delivery (or the end of the wait): the CPU figures cover the same span.
  auto const seconds = static_cast<double>(now_ns() - measured.start_ns) / 1e9;
  auto const after = read_all(pool, servers);
  auto resources = servers.figures(seconds);
  auto const own_cpu = sample_process(::getpid()).cpu_seconds - own_cpu_before;
  close_all(pool, conns, counts, readers);

  std::vector<std::uint64_t> acked_by_user(online, 0);
  for (std::size_t u = 0; u < online; ++u) acked_by_user[u] = conns[u]->acked - acked_before[u];
  auto const shares = shares_of(layout, acked_by_user);

  phase_result out;
  std::vector<json::object> per_process;
  double delivered = 0;
  double cpu = 0;
  std::uint64_t received_total = 0;
  std::uint64_t firehose_total = 0;
  for (std::size_t p = 0; p < n; ++p) {
    auto const received = whole(after[p].received - before[p].received);
    auto const handed = whole(after[p].delivered - before[p].delivered);
    auto const process_cpu = after[p].cpu_seconds - before[p].cpu_seconds;
    auto const& share = shares[p];
    delivered += static_cast<double>(handed);
    cpu += process_cpu;
    received_total += received;
    firehose_total += share.firehose_events;
    bool const within = received <= share.own_chats_events;
    out.received_within_own_chats = out.received_within_own_chats && within;
    json::object q;
    q["chats"] = share.chats;
    q["received_from_redis"] = received;
    q["own_chats_events"] = share.own_chats_events;
    q["own_chats_events_sent_elsewhere"] = share.own_chats_elsewhere;
    q["firehose_events"] = share.firehose_events;
    q["received_within_own_chats"] = within;
    q["delivered_to_sockets"] = handed;
    q["expected_deliveries"] = share.expected_deliveries;
    q["published"] = whole(after[p].published - before[p].published);
    q["cpu_seconds"] = rounded(process_cpu, 2);
    per_process.push_back(std::move(q));
  }
  out.deliveries_per_cpu_second = per(delivered, cpu);
  std::uint64_t acked = 0;
  for (auto a : acked_by_user) acked += a;
  // The totals sit at the top of the section, where report::server_died looks for a "<name>_died" figure.
  auto& t = out.figures;
  auto const sent = counts->sends.load() - sends_before;
  t["sent"] = sent;
  t["acked"] = acked;
  t["sent_per_second"] = rounded(per(static_cast<double>(sent), s.seconds), 0);
  t["client_deliveries"] = counts->deliveries.load() - deliveries_before;
  t["expected_deliveries"] = sent * static_cast<std::uint64_t>(s.chat_size);
  t["all_delivered"] = measured.drained;
  t["dropped_connections"] = counts->dropped.load();
  t["delivered_to_sockets"] = whole(delivered);
  t["received_from_redis"] = received_total;
  t["firehose_events"] = firehose_total;
  t["seconds"] = rounded(seconds, 2);
  // 0: the server's default, one per core.
  t["server_threads_per_process"] = o.server_threads;
  for (auto& [key, value] : resources) t[key] = value;
  t["deliveries_per_cpu_second"] = rounded(out.deliveries_per_cpu_second, 0);
  t["loadgen_cpu_cores_busy"] = rounded(per(own_cpu, seconds), 2);
  for (std::size_t p = 0; p < n; ++p) t[servers.process(p).name()] = std::move(per_process[p]);
  if (counts->deliveries == 0)
    throw std::runtime_error("spread: nothing was delivered (see the server logs)");
  return out;
}

// With --share-cores: the machine's cores divided among the measurement's processes.
common_options sharing_cores(common_options o, spread_options const& s) {
  if (!s.share_cores) return o;
  int const cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  o.server_threads = std::max(1, cores / o.processes);
  return o;
}

}  // namespace

report run_spread(common_options const& o, spread_options const& s) {
  report out;
  out.scenario = "spread";
  bool const baseline = s.baseline && o.processes > 1;
  out.config = {
      {"users", s.users},         {"chat_size", s.chat_size},           {"rate", s.rate},
      {"seconds", s.seconds},     {"warmup_seconds", s.warmup_seconds}, {"backend", o.backend},
      {"processes", o.processes}, {"baseline_one_process", baseline},   {"client_threads", o.threads}};
  if (s.users < s.chat_size || s.chat_size < 2 || s.rate < 1 || s.seconds < 1)
    throw std::runtime_error(
        "spread: needs --chat-size >= 2, --users >= --chat-size, --rate and --seconds >= 1");
  if (s.share_cores && o.server_threads > 0)
    throw std::runtime_error("spread: --share-cores and --server-threads exclude each other");
  out.config["share_cores"] = s.share_cores;
  client_pool pool(o.threads);
  work_dir dir(o.keep_logs);

  auto const name = [](int processes) {
    return std::to_string(processes) + (processes == 1 ? "_process" : "_processes");
  };
  bool within = true;
  double one = 0;
  if (baseline) {
    auto single = o;
    single.processes = 1;
    auto result = run_phase(pool, sharing_cores(single, s), dir, s);
    one = result.deliveries_per_cpu_second;
    within = result.received_within_own_chats;
    out.section(name(1)) = std::move(result.figures);
  }
  auto result = run_phase(pool, sharing_cores(o, s), dir, s);
  within = within && result.received_within_own_chats;
  out.section(name(o.processes)) = std::move(result.figures);

  auto& summary = out.section("summary");
  summary["deliveries_per_cpu_second"] = rounded(result.deliveries_per_cpu_second, 0);
  if (baseline) {
    summary["one_process_deliveries_per_cpu_second"] = rounded(one, 0);
    summary["ratio_to_one_process"] = rounded(per(result.deliveries_per_cpu_second, one), 3);
  }
  summary["every_process_received_within_own_chats"] = within;
  return out;
}

}  // namespace windi::loadgen
