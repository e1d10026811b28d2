// persisted: C clients sending over WebSocket into K chats (C/K members each), each with a window of
// unacknowledged sends. Figure: acknowledged (committed) messages per second, message_sent being sent only
// after the commit. With --backend postgres it then runs pg_baseline (raw pipelined libpq INSERTs) against
// the same database, with windi stopped, for what the database alone commits.
#include "connections.hpp"
#include "frames.hpp"
#include "pg_baseline.hpp"
#include "population.hpp"
#include "scenarios.hpp"
#include "search_index.hpp"
#include "servers.hpp"
#include "zipf_text.hpp"

#include <thread>

namespace windi::loadgen {

report run_persisted(common_options const& o, persisted_options const& p) {
  report out;
  out.scenario = "persisted";
  out.config = {
      {"clients", p.clients},        {"chats", p.chats},     {"window", p.window},
      {"seconds", p.seconds},        {"backend", o.backend}, {"processes", o.processes},
      {"client_threads", o.threads}, {"words", p.words},     {"search_index", !p.without_search_index}};
  bool const baseline = p.baseline && o.backend == "postgres";
  if (baseline) {
    out.config["baseline_connections"] = p.baseline_connections;
    out.config["baseline_depth"] = p.baseline_depth;
    out.config["baseline_batch"] = p.baseline_batch;
  }
  if (p.chats < 1 || p.clients < 2 * p.chats)
    throw std::runtime_error("persisted: needs --clients >= 2 * --chats");
  client_pool pool(o.threads);
  work_dir dir(o.keep_logs);
  auto servers = server_set::windi(o, dir, true);
  if (p.without_search_index) {
    drop_search_index(o.backend, o.backend == "sqlite" ? servers.sqlite_path(dir) : o.postgres_url);
  }
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
  if (p.words) {
    auto const words = std::make_shared<zipf_text>();
    for (std::size_t i = 0; i < conns.size(); ++i) {
      conns[i]->more_text = [words, random = std::mt19937_64(i)](std::string& text) mutable {
        text += ' ';
        text += words->message(random);
      };
    }
  }
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
  if (!baseline) return out;

  // Stopped first so that the baseline has the database and both cores to itself.
  servers.stop();
  auto const windi_rate = static_cast<double>(acked) / p.seconds;
  auto& b = out.section("postgres_baseline");
  auto run = [&](int rows_per_transaction) {
    return run_pg_baseline({.url = o.postgres_url,
                            .seconds = p.seconds,
                            .connections = p.baseline_connections,
                            .depth = p.baseline_depth,
                            .rows_per_transaction = rows_per_transaction,
                            .chats = p.chats});
  };
  // One row per transaction: a commit (and WAL flush) per row, what each of windi's acks promises.
  auto single = run(1);
  b["synchronous_commit"] = single.synchronous_commit;
  b["baseline_rows_per_second"] = rounded(single.rows_per_second, 0);
  b["baseline_rows"] = single.rows;
  b["ratio_to_baseline"] = rounded(single.rows_per_second > 0 ? windi_rate / single.rows_per_second : 0, 3);
  // Many rows per transaction: windi's store group-commits concurrent sends, so this is the closer ceiling.
  if (p.baseline_batch > 0) {
    auto batched = run(p.baseline_batch);
    b["batched_rows_per_second"] = rounded(batched.rows_per_second, 0);
    b["batched_transactions"] = batched.transactions;
    b["ratio_to_batched"] =
        rounded(batched.rows_per_second > 0 ? windi_rate / batched.rows_per_second : 0, 3);
  }
  return out;
}

}  // namespace windi::loadgen
