// latency: U users online in groups of G, all together sending R messages per second at a steady pace (each
// user one message every U/R seconds, phases spread at random). Figure: send-to-deliver latency over every
// member's delivery, measured from when each message was due, so a server that falls behind shows it.
// With --login-storm C, the same connections keep the same pace for a second phase as long as the first,
// during which C clients log in back to back at the default argon2id cost; the figure is then how much the
// storm raises the p99 (p99_storm_over_quiet). With --flood F, the second phase has F more connections, each
// flooding a chat of its own with sends as fast as its socket allows, against the server's default send
// budget (kept in every phase), and a third quiet phase follows, so that whatever drifts during the run (the
// database growing, the machine's other load) weighs on both sides; the figure is how much the flood raises
// the others' p99 over both quiet phases together (p99_flood_over_quiet). With --downloads D, the second
// phase has D clients downloading a file of --download-mib MiB over and over instead, and a third quiet phase
// follows as for a flood (p99_downloads_over_quiet): downloads must not hold up message delivery
// (--download-link-mbit M: together no faster than a link of M megabits a second). With
// --slow-readers S, S more users, each in several of the groups, stay connected as the chaos scenario's
// clients do (resuming by sync after every disconnect); in the second phase they read slowly through a small
// receive buffer, so that the server closes them (4008) over and over, and a third quiet phase follows
// (p99_slow_readers_over_quiet): a slow consumer must cost the others nothing; their views of their chats
// are checked against the store at the end, so every close was followed by a resume without a gap.
#include "chaos_checker.hpp"
#include "chaos_client.hpp"
#include "connections.hpp"
#include "file_transfer.hpp"
#include "flood.hpp"
#include "frames.hpp"
#include "logins.hpp"
#include "population.hpp"
#include "scenarios.hpp"
#include "servers.hpp"

#include <boost/asio/post.hpp>

#include <sys/resource.h>
#include <unistd.h>

#include <optional>
#include <random>
#include <thread>

namespace windi::loadgen {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

constexpr std::int64_t ns_per_second = 1'000'000'000;
// A slow reader's socket receive buffer (the kernel doubles it): a phone on a poor link.
constexpr int slow_receive_buffer = 4096;

void offered_load(json::object& r, latency_options const& l, std::uint64_t sent, std::uint64_t acked) {
  r["target_messages_per_second"] = l.rate;
  r["sent_per_second"] = rounded(static_cast<double>(sent) / l.seconds, 0);
  r["acked_per_second"] = rounded(static_cast<double>(acked) / l.seconds, 0);
}

void delivery(json::object& r, totals const& counts, std::uint64_t expected, bool drained) {
  r["deliveries"] = counts.deliveries.load();
  r["expected_deliveries"] = expected;
  r["all_delivered"] = drained;
  r["dropped_connections"] = counts.dropped.load();
}

json::value p99_ratio(json::object const& storm, json::object const& quiet) {
  auto const* over = storm.if_contains("p99_ms");
  auto const* under = quiet.if_contains("p99_ms");
  if (!over || !under || under->to_number<double>() <= 0) return nullptr;
  return rounded(over->to_number<double>() / under->to_number<double>(), 2);
}

}  // namespace

report run_latency(common_options const& o, latency_options const& l) {
  report out;
  out.scenario = "latency";
  out.config = {{"users", l.users},
                {"chat_size", l.chat_size},
                {"rate", l.rate},
                {"seconds", l.seconds},
                {"warmup_seconds", l.warmup_seconds},
                {"login_storm_clients", l.login_storm},
                {"backend", o.backend},
                {"processes", o.processes},
                {"client_threads", o.threads},
                {"flood_connections", l.flood},
                {"downloads", l.downloads},
                {"download_mib", l.download_mib},
                {"download_link_mbit", l.download_link_mbit},
                {"slow_readers", l.slow_readers},
                {"slow_reader_chats", l.slow_reader_chats},
                {"slow_read_ms", l.slow_read_ms}};
  if (l.users < 2 || l.chat_size < 2 || l.rate < 1)
    throw std::runtime_error("latency: --users, --chat-size >= 2");
  if (l.warmup_seconds < 0 || l.warmup_seconds >= l.seconds)
    throw std::runtime_error("latency: --warmup must be shorter than --seconds");
  bool const storm = l.login_storm > 0;
  bool const flooding = l.flood > 0;
  bool const downloading = l.downloads > 0;
  bool const slowing = l.slow_readers > 0;
  if (storm + flooding + downloading + slowing > 1)
    throw std::runtime_error("latency: one of --login-storm, --flood, --downloads and --slow-readers");
  // A flood, downloads and slow readers are followed by a quiet phase again, so that drift weighs on both
  // sides.
  bool const third_phase = flooding || downloading || slowing;
  bool const second_phase = storm || third_phase;
  client_pool pool(o.threads);
  work_dir dir(o.keep_logs);
  auto servers = server_set::windi(o, dir, true, flooding);
  auto const n = static_cast<std::size_t>(l.users);
  auto const g = static_cast<std::size_t>(l.chat_size);
  auto users = create_users(pool, servers.endpoint_for(0), n, "lat");
  std::vector<std::vector<std::size_t>> groups;
  for (std::size_t first = 0; first < n; first += g) {
    std::vector<std::size_t> members;
    for (std::size_t i = first; i < std::min(n, first + g); ++i) members.push_back(i);
    if (members.size() >= 2) groups.push_back(std::move(members));
  }
  // The slow readers follow the measured users in `users`, each a member of consecutive groups.
  auto const slow_count = static_cast<std::size_t>(l.slow_readers);
  std::vector<std::vector<std::size_t>> groups_of_slow(slow_count);
  if (slowing) {
    if (static_cast<std::size_t>(l.slow_reader_chats) > groups.size())
      throw std::runtime_error("latency: --slow-reader-chats is more than the groups there are");
    auto more = create_users(pool, servers.endpoint_for(0), slow_count, "slow");
    users.insert(users.end(), more.begin(), more.end());
    for (std::size_t j = 0; j < slow_count; ++j) {
      for (std::size_t k = 0; k < static_cast<std::size_t>(l.slow_reader_chats); ++k) {
        auto const group = (j * static_cast<std::size_t>(l.slow_reader_chats) + k) % groups.size();
        groups[group].push_back(n + j);
        groups_of_slow[j].push_back(group);
      }
    }
  }
  auto chats = create_groups(pool, servers.endpoint_for(0), users, groups);
  std::vector<std::int64_t> chat_of(n, 0);
  for (std::size_t c = 0; c < groups.size(); ++c) {
    for (auto i : groups[c]) {
      if (i < n) chat_of[i] = chats[c];  // past n: the slow readers, who do not send
    }
  }

  std::vector<member> storm_users;
  if (storm) {
    // Login verifies against the parameters stored in each hash and never rehashes, so users registered at
    // the cheap setup cost would make a cheap storm. The server is restarted at the default cost instead
    // (same database, same secret: the population's tokens stay valid), and the storm's users are registered
    // with it, so the hashes they log in against are made at that cost.
    servers.restart(false);
    storm_users =
        create_users(pool, servers.endpoint_for(0), static_cast<std::size_t>(l.login_storm), "storm", 4);
  }

  // Each flooder has a chat of its own with a partner who stays offline: the flood costs the server its
  // refusals and the few sends within budget, nothing the others' chats share but the server itself.
  std::vector<connection_ptr> flooders;
  std::vector<std::int64_t> flood_chats;
  if (flooding) {
    auto const f = static_cast<std::size_t>(l.flood);
    auto flood_users = create_users(pool, servers.endpoint_for(0), 2 * f, "flood");
    std::vector<std::vector<std::size_t>> pairs;
    for (std::size_t i = 0; i < f; ++i) pairs.push_back({2 * i, 2 * i + 1});
    flood_chats = create_groups(pool, servers.endpoint_for(0), flood_users, pairs);
    std::vector<connect_target> flood_targets;
    for (std::size_t i = 0; i < f; ++i)
      flood_targets.push_back(
          {servers.endpoint_for(i), client::chat_socket_path(flood_users[2 * i].token), {}});
    flooders = open_connections(pool, flood_targets, 64).connections;
  }

  // The downloads fetch one file the first user uploaded, with that user's token.
  std::string download_target;
  if (downloading) {
    std::string bytes(static_cast<std::size_t>(l.download_mib) << 20, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>((i * 2654435761u) >> 13);
    auto shared = std::make_shared<std::string const>(std::move(bytes));
    auto id = pool.spawn(0, upload_file(pool.at(0).get_executor(), servers.endpoint_for(0), users[0].token,
                                        "download.bin", shared))
                  .get();
    download_target = "/api/v1/files/" + std::to_string(id);
  }

  std::vector<connect_target> targets;
  for (std::size_t i = 0; i < n; ++i) {
    if (chat_of[i] != 0)
      targets.push_back({servers.endpoint_for(i), client::chat_socket_path(users[i].token), {}});
  }
  auto opened = open_connections(pool, targets, 64);
  auto& conns = opened.connections;

  // The slow readers, on threads 0..S-1 (modulo the pool) as the chaos helpers expect; they settle (connect
  // and sync) before the measuring starts.
  auto slow_shared = std::make_shared<chaos_shared>();
  slow_shared->acting = false;
  slow_shared->receive_buffer = slow_receive_buffer;
  for (std::size_t i = 0; i < servers.size(); ++i) slow_shared->endpoints.push_back(servers.endpoint_for(i));
  std::vector<std::shared_ptr<chaos_client>> slow_clients;
  std::vector<std::future<void>> slow_running;
  std::map<std::int64_t, std::string> slow_chat_readers;  // a member's token per chat, for the checker
  for (std::size_t j = 0; j < slow_count; ++j) {
    std::vector<std::int64_t> their_chats;
    for (auto group : groups_of_slow[j]) {
      their_chats.push_back(chats[group]);
      slow_chat_readers.try_emplace(chats[group], users[n + j].token);
    }
    slow_clients.push_back(std::make_shared<chaos_client>(pool.at(j).get_executor(), slow_shared,
                                                          users[n + j], j, std::move(their_chats), j + 1));
    slow_running.push_back(pool.spawn(j, slow_clients.back()->run()));
  }
  if (slowing && !wait_settled(pool, slow_clients, std::chrono::seconds(30)))
    throw std::runtime_error("latency: the slow readers did not connect and sync");
  auto set_slow_reading = [&](std::chrono::milliseconds per_frame) {
    for (std::size_t j = 0; j < slow_count; ++j)
      asio::post(pool.at(j), [c = slow_clients[j], per_frame] { c->read_slowly(per_frame); });
  };
  auto counts = std::make_shared<totals>();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto const phase = std::int64_t{l.seconds} * ns_per_second;
  auto const warmup = std::int64_t{l.warmup_seconds} * ns_per_second;
  auto const start = now_ns() + ns_per_second;  // a second ahead, so every sender is scheduled in time
  auto const storm_start = start + phase;
  auto const second_stop = second_phase ? storm_start + phase : storm_start;
  auto const stop = third_phase ? second_stop + phase : second_stop;
  // Each phase leaves out its own warm-up: the storm's first seconds are its logins getting under way.
  for (auto const& c : conns) {
    c->windows = {latency_window{start + warmup, storm_start, {}}};
    if (second_phase) c->windows.push_back(latency_window{storm_start + warmup, second_stop, {}});
    if (third_phase) c->windows.push_back(latency_window{second_stop + warmup, stop, {}});
  }
  auto readers = start_readers(pool, conns, counts, false);

  auto const period = static_cast<std::int64_t>(1e9 * static_cast<double>(conns.size()) / l.rate);
  std::mt19937_64 random(42);
  std::uniform_int_distribution<std::int64_t> phase_of(0, period - 1);
  std::vector<std::future<void>> sending;
  std::size_t k = 0;
  for (auto const& c : conns) {
    auto chat = chat_of[k++];
    sending.push_back(
        pool.spawn(c->thread, paced_sender(c, counts, chat, period, start + phase_of(random), stop)));
  }
  // Frames the flooders write without waiting for an answer: in effect none, so each writes as fast as its
  // socket takes them.
  constexpr std::uint64_t flood_window = 1'000'000;
  auto flood_counts = std::make_shared<flood_totals>();
  std::vector<std::future<void>> flooding_done;
  for (std::size_t i = 0; i < flooders.size(); ++i) {
    flooding_done.push_back(pool.spawn(flooders[i]->thread, flood(flooders[i], flood_counts, flood_chats[i],
                                                                  flood_window, storm_start, second_stop)));
  }
  // On a thread of their own at the lowest priority: the downloading clients stand for other machines, so
  // reading 400 MiB/s must not take this machine's two cores from the server or from the clients measured.
  auto download_counts = std::make_shared<download_totals>();
  std::vector<std::future<void>> downloads_done;
  std::optional<client_pool> download_pool;
  if (downloading) download_pool.emplace(1);
  // Bytes a second for each download: its share of the link.
  std::uint64_t const download_pace = l.download_link_mbit > 0
                                          ? static_cast<std::uint64_t>(l.download_link_mbit) * 1'000'000 / 8 /
                                                static_cast<std::uint64_t>(l.downloads)
                                          : 0;
  for (int i = 0; i < l.downloads; ++i) {
    if (i == 0)
      asio::post(download_pool->at(0),
                 [] { ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19); });
    downloads_done.push_back(download_pool->spawn(
        0, download_loop(download_pool->at(0).get_executor(), servers.endpoint_for(0), download_target,
                         users[0].token, download_counts, storm_start, second_stop, download_pace)));
  }
  std::this_thread::sleep_for(std::chrono::nanoseconds(start - now_ns()));
  servers.mark();
  std::this_thread::sleep_for(std::chrono::nanoseconds(storm_start - now_ns()));
  auto const quiet_sent = counts->sends.load();
  auto const quiet_acked = counts->acks.load();
  auto const quiet_resources = servers.figures(static_cast<double>(l.seconds));
  std::uint64_t second_sent = 0;
  std::uint64_t second_acked = 0;
  json::object second_resources;
  std::uint64_t logins = 0;
  double login_seconds = 0;
  if (second_phase) {
    servers.mark();
    auto const began = now_ns();
    std::vector<std::future<std::uint64_t>> loops;
    if (storm) loops = start_login_loops(pool, servers, storm_users, l.login_storm, stop);
    if (slowing) set_slow_reading(std::chrono::milliseconds(l.slow_read_ms));
    std::this_thread::sleep_for(std::chrono::nanoseconds(second_stop - now_ns()));
    if (slowing) set_slow_reading(std::chrono::milliseconds(0));
    second_sent = counts->sends.load() - quiet_sent;
    second_acked = counts->acks.load() - quiet_acked;
    second_resources = servers.figures(static_cast<double>(l.seconds));
    logins = wait_logins(loops);
    login_seconds = static_cast<double>(now_ns() - began) / 1e9;
  }
  // A flooder is usually blocked in a write the server has not read yet: closing ends it.
  for (auto const& f : flooders) asio::post(pool.at(f->thread), [f] { f->ws.close_now(); });
  wait_all(flooding_done);
  wait_all(downloads_done);
  std::uint64_t after_sent = 0;
  std::uint64_t after_acked = 0;
  json::object after_resources;
  if (third_phase) {
    servers.mark();
    std::this_thread::sleep_for(std::chrono::nanoseconds(stop - now_ns()));
    after_sent = counts->sends.load() - quiet_sent - second_sent;
    after_acked = counts->acks.load() - quiet_acked - second_acked;
    after_resources = servers.figures(static_cast<double>(l.seconds));
  }
  wait_all(sending);
  auto const expected = counts->sends.load() * g;
  bool drained =
      wait_until([&] { return counts->deliveries >= expected; }, std::chrono::seconds(l.drain_seconds));
  close_all(pool, conns, counts, readers);

  // The slow readers have resumed: each one's view of each of its chats must be the store's.
  json::object slow_figures;
  if (slowing) {
    bool const settled = wait_settled(pool, slow_clients, std::chrono::seconds(l.drain_seconds));
    std::this_thread::sleep_for(std::chrono::seconds(2));  // live events still on their way
    stop_clients(pool, *slow_shared, slow_clients, slow_running);
    auto verdict = check_chaos(slow_clients, read_store(pool, servers.endpoint_for(0), slow_chat_readers));
    auto const slow_counts = total_counts(slow_clients);
    auto const closed = slow_counts.slow_closes;
    slow_figures = {{"slow_readers", l.slow_readers},
                    {"chats_each", l.slow_reader_chats},
                    {"read_ms_per_frame", l.slow_read_ms},
                    {"receive_buffer_bytes", slow_receive_buffer},
                    {"closed_as_slow", closed},
                    {"reconnections", slow_counts.connections - slow_count},
                    {"sync_requests", slow_counts.sync_requests},
                    {"resync_reloads", slow_counts.resync_reloads},
                    {"settled_before_check", settled}};
    for (auto const& [k, v] : verdict.figures()) slow_figures[k] = v;
    if (!verdict.passed() || closed == 0) {
      out.section("slow_readers") = slow_figures;
      out.print();
      throw std::runtime_error(verdict.passed()
                                   ? "latency: no slow reader was closed as too slow; read slower "
                                     "(--slow-read-ms) or send more (--rate)"
                                   : "latency: a slow reader's view differs from the store");
    }
  }

  auto quiet_latency = latency_summary(gather_latencies(conns, 0));
  if (!second_phase) {
    auto& r = out.section("windi");
    offered_load(r, l, quiet_sent, quiet_acked);
    delivery(r, *counts, expected, drained);
    r["latency_after_warmup"] = std::move(quiet_latency);
    for (auto& [key, value] : quiet_resources) r[key] = value;
  } else {
    auto second_latency = latency_summary(gather_latencies(conns, 1));
    json::object both_quiet;
    if (third_phase) {
      auto before = gather_latencies(conns, 0);
      auto after = gather_latencies(conns, 2);
      before.insert(before.end(), after.begin(), after.end());
      both_quiet = latency_summary(std::move(before));
    }
    auto ratio = p99_ratio(second_latency, third_phase ? both_quiet : quiet_latency);
    auto& q = out.section("quiet");
    offered_load(q, l, quiet_sent, quiet_acked);
    q["latency_after_warmup"] = std::move(quiet_latency);
    for (auto& [key, value] : quiet_resources) q[key] = value;
    auto& s = out.section(storm ? "storm" : flooding ? "flood" : downloading ? "downloads" : "slow_readers");
    offered_load(s, l, second_sent, second_acked);
    s["latency_after_warmup"] = std::move(second_latency);
    if (storm) {
      s["login_clients"] = l.login_storm;
      s["logins"] = logins;
      s["logins_per_second"] =
          rounded(login_seconds > 0 ? static_cast<double>(logins) / login_seconds : 0, 1);
    } else if (downloading) {
      s["downloads"] = l.downloads;
      s["files_downloaded"] = download_counts->files.load();
      s["download_mib_per_second"] =
          rounded(static_cast<double>(download_counts->bytes.load()) / (1 << 20) / l.seconds, 0);
      s["download_failures"] = download_counts->failures.load();
    } else if (slowing) {
      for (auto& [key, value] : slow_figures) s[key] = value;
    } else {
      s["flood_connections"] = l.flood;
      s["flood_frames_per_second"] = rounded(static_cast<double>(flood_counts->sent.load()) / l.seconds, 0);
      s["flood_stored"] = flood_counts->stored.load();
      s["flood_refused_429"] = flood_counts->refused.load();
    }
    for (auto& [key, value] : second_resources) s[key] = value;
    if (third_phase) {
      auto& a = out.section("quiet_after");
      offered_load(a, l, after_sent, after_acked);
      a["latency_after_warmup"] = latency_summary(gather_latencies(conns, 2));
      for (auto& [key, value] : after_resources) a[key] = value;
    }
    auto& r = out.section("windi");
    delivery(r, *counts, expected, drained);
    if (third_phase) r["quiet_phases_latency"] = std::move(both_quiet);
    r[storm         ? "p99_storm_over_quiet"
      : flooding    ? "p99_flood_over_quiet"
      : downloading ? "p99_downloads_over_quiet"
                    : "p99_slow_readers_over_quiet"] = std::move(ratio);
  }
  if (counts->deliveries == 0)
    throw std::runtime_error("latency: nothing was delivered (see the server log)");
  return out;
}

}  // namespace windi::loadgen
