// windi-loadgen: the benchmark load generator. One subcommand per scenario; each starts its own servers
// (windi, and windi-ceiling for fanout), creates its users and chats through the API, prints a table and,
// with --json, writes the same figures as JSON.
#include "scenarios.hpp"

#include <sodium.h>
#include <CLI/CLI.hpp>

#include <csignal>
#include <functional>
#include <iostream>

using namespace windi::loadgen;

int main(int argc, char** argv) {
  if (sodium_init() < 0) return 1;
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App cli{"windi-loadgen: load scenarios against windi serve (see bench/README.md)"};
  cli.require_subcommand(1);
  common_options common;

  auto add_common = [&common](CLI::App* s) {
    s->add_option("--threads", common.threads, "Client threads")
        ->capture_default_str()
        ->check(CLI::Range(1, 64));
    s->add_option("--server-bin", common.server_bin, "windi binary (default: beside windi-loadgen)");
    s->add_option("--ceiling-bin", common.ceiling_bin,
                  "windi-ceiling binary (default: beside windi-loadgen)");
    s->add_option("--backend", common.backend, "sqlite | postgres")
        ->capture_default_str()
        ->check(CLI::IsMember({"sqlite", "postgres"}));
    s->add_option("--postgres-url", common.postgres_url, "DATABASE_URL for --backend postgres");
    s->add_option("--redis-url", common.redis_url,
                  "REDIS_URL for the servers, passed on as given (needed for --processes > 1)");
    s->add_option("--processes", common.processes, "windi processes")
        ->capture_default_str()
        ->check(CLI::Range(1, 4));
    s->add_option("--server-threads", common.server_threads, "windi serve --threads (default: one per core)");
    s->add_option("--json", common.json_path, "Also write the figures to this JSON file");
    s->add_flag("--keep-logs", common.keep_logs, "Keep the work folder (server logs, SQLite database)");
  };

  fanout_options fan;
  auto* fanout = cli.add_subcommand("fanout", "One group of N online members, S senders at full speed");
  fanout->add_option("--members", fan.members)->capture_default_str()->check(CLI::Range(2, 1000));
  fanout->add_option("--senders", fan.senders)->capture_default_str()->check(CLI::Range(1, 1000));
  fanout->add_option("--window", fan.window, "Unacknowledged sends per sender")->capture_default_str();
  fanout->add_option("--messages", fan.messages, "Messages in total")->capture_default_str();
  fanout->add_option("--timeout", fan.timeout_seconds, "Seconds to wait for every delivery")
      ->capture_default_str();
  bool no_ceiling = false;
  fanout->add_flag("--no-ceiling", no_ceiling, "Skip the same load against windi-ceiling");
  add_common(fanout);

  latency_options lat;
  auto* latency =
      cli.add_subcommand("latency", "U users in chats of G at a steady total rate; latency p50/p99/max");
  latency->add_option("--users", lat.users)->capture_default_str();
  latency->add_option("--chat-size", lat.chat_size)->capture_default_str();
  latency->add_option("--rate", lat.rate, "Messages per second, all users together")->capture_default_str();
  latency->add_option("--seconds", lat.seconds)->capture_default_str();
  latency->add_option("--warmup", lat.warmup_seconds, "Seconds not counted in the latency")
      ->capture_default_str();
  latency->add_option("--drain", lat.drain_seconds, "Seconds to wait for late deliveries")
      ->capture_default_str();
  latency
      ->add_option("--login-storm", lat.login_storm,
                   "C > 0: a second phase as long as the first, with C concurrent login loops at the "
                   "default argon2id cost")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  latency
      ->add_option("--flood", lat.flood,
                   "F > 0: a second phase as long as the first, with F more connections flooding sends at "
                   "full speed, then a third quiet one; the server keeps its default send budget throughout")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  latency
      ->add_option("--downloads", lat.downloads,
                   "D > 0: a second phase as long as the first, with D clients downloading a file over and "
                   "over, then a third quiet one")
      ->capture_default_str()
      ->check(CLI::Range(0, 64));
  latency->add_option("--download-mib", lat.download_mib, "Size of that file")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  latency
      ->add_option("--download-link-mbit", lat.download_link_mbit,
                   "M > 0: the downloads together read at most M megabits a second (a network link)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  latency
      ->add_option("--slow-readers", lat.slow_readers,
                   "S > 0: S more users in several groups each, connected throughout; in a second phase as "
                   "long as the first they read slowly until the server closes them (4008) and resume by "
                   "sync; then a third quiet phase; their views are checked against the store")
      ->capture_default_str()
      ->check(CLI::Range(0, 10000));
  latency->add_option("--slow-reader-chats", lat.slow_reader_chats, "Groups each slow reader is a member of")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  latency->add_option("--slow-read-ms", lat.slow_read_ms, "A slow reader's pause after each frame")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  add_common(latency);

  persisted_options per;
  auto* persisted =
      cli.add_subcommand("persisted", "Clients sending into chats over WS; acknowledged messages/s");
  persisted->add_option("--clients", per.clients)->capture_default_str();
  persisted->add_option("--chats", per.chats)->capture_default_str();
  persisted->add_option("--window", per.window)->capture_default_str();
  persisted->add_option("--seconds", per.seconds)->capture_default_str();
  bool no_baseline = false;
  persisted->add_flag("--no-baseline", no_baseline,
                      "With --backend postgres, skip the raw pipelined libpq INSERT baseline");
  persisted->add_option("--baseline-connections", per.baseline_connections)
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  persisted->add_option("--baseline-depth", per.baseline_depth, "Transactions in flight per connection")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  persisted
      ->add_option("--baseline-batch", per.baseline_batch,
                   "Rows per transaction of the batched baseline (0: skip it)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000));
  add_common(persisted);

  connections_options con;
  auto* connections =
      cli.add_subcommand("connections", "N authenticated idle WebSockets; server RSS per connection");
  connections->add_option("--connections", con.connections)->capture_default_str();
  connections->add_option("--users", con.users)->capture_default_str();
  connections->add_option("--addresses", con.addresses, "Source addresses 127.0.0.1..N")
      ->capture_default_str();
  connections->add_option("--parallel", con.parallel, "Handshakes in flight")->capture_default_str();
  connections->add_option("--hold", con.hold_seconds, "Seconds to hold them open")->capture_default_str();
  add_common(connections);

  history_options his;
  auto* history = cli.add_subcommand("history", "Pages of a chat with M messages: top/bottom, cursor/offset");
  history->add_option("--messages", his.messages)->capture_default_str();
  history->add_option("--requests", his.requests, "Requests per kind of page")->capture_default_str();
  history->add_option("--page", his.page)->capture_default_str()->check(CLI::Range(1, 100));
  add_common(history);

  login_options log;
  auto* login = cli.add_subcommand("login", "Logins/s at the default argon2id cost vs cores / one hash");
  login->add_option("--users", log.users)->capture_default_str();
  login->add_option("--clients", log.clients, "Concurrent login loops")->capture_default_str();
  login->add_option("--seconds", log.seconds)->capture_default_str();
  add_common(login);

  spread_options spr;
  auto* spread = cli.add_subcommand(
      "spread", "Chats on at most two of N processes; per process events from Redis vs its chats' events");
  spread->add_option("--users", spr.users)->capture_default_str();
  spread->add_option("--chat-size", spr.chat_size)->capture_default_str()->check(CLI::Range(2, 1000));
  spread->add_option("--rate", spr.rate, "Messages per second, all users together")->capture_default_str();
  spread->add_option("--seconds", spr.seconds)->capture_default_str();
  spread->add_option("--warmup", spr.warmup_seconds, "Seconds of the same load before, not counted")
      ->capture_default_str();
  spread->add_option("--drain", spr.drain_seconds, "Seconds to wait for late deliveries")
      ->capture_default_str();
  bool no_one_process = false;
  spread->add_flag("--no-baseline", no_one_process,
                   "With --processes > 1, skip the same workload on one process first");
  spread->add_flag(
      "--share-cores", spr.share_cores,
      "Each process max(1, cores / processes) I/O threads, as on one host (default: one per core)");
  add_common(spread);

  files_options fil;
  auto* files = cli.add_subcommand("files", "Upload and download MiB/s against a file copy on the same disk");
  files->add_option("--mib", fil.mib, "Size of the file")->capture_default_str()->check(CLI::Range(1, 1024));
  files->add_option("--rounds", fil.rounds, "Transfers of each kind (the median is reported)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  add_common(files);

  search_options sea;
  auto* search = cli.add_subcommand(
      "search", "Sends with vs without the search index; searches of a rare/common word, phrase, prefix");
  search->add_option("--messages", sea.messages, "Messages in the corpus")->capture_default_str();
  search->add_option("--chats", sea.chats)->capture_default_str();
  search->add_option("--member-chats", sea.member_chats, "Chats the searching user is in")
      ->capture_default_str();
  search->add_option("--senders", sea.senders, "Connections loading the corpus")->capture_default_str();
  search->add_option("--window", sea.window, "Unacknowledged sends per loading connection")
      ->capture_default_str();
  search->add_option("--requests", sea.requests, "Requests per kind of query")->capture_default_str();
  search->add_option("--vocabulary", sea.vocabulary, "Words per language")
      ->capture_default_str()
      ->check(CLI::Range(200, 1'000'000));
  search->add_option("--send-seconds", sea.send_seconds, "Each send phase (0: skip them)")
      ->capture_default_str();
  search->add_option("--send-rounds", sea.send_rounds, "Pairs of send phases, with and without the index")
      ->capture_default_str()
      ->check(CLI::Range(1, 10));
  search->add_option("--send-clients", sea.send_clients, "Clients of each send phase, two per chat")
      ->capture_default_str()
      ->check(CLI::Range(2, 100'000));
  add_common(search);

  chaos_options cha;
  auto* chaos = cli.add_subcommand(
      "chaos", "Sends, edits, deletes and reactions under overlapping faults; every client's view checked");
  chaos->add_option("--seconds", cha.seconds, "Length of the faulty phase")->capture_default_str();
  chaos->add_option_function<int>(
      "--minutes", [&cha](int minutes) { cha.seconds = minutes * 60; },
      "Length of the faulty phase, in minutes");
  chaos->add_option("--clients", cha.clients)->capture_default_str()->check(CLI::Range(2, 100'000));
  chaos->add_option("--group-size", cha.group_size)->capture_default_str()->check(CLI::Range(2, 1000));
  chaos->add_option("--actions-per-second", cha.actions_per_second, "Per client")->capture_default_str();
  chaos->add_option("--seed", cha.seed, "The fault schedule's seed (default: a random one, printed)");
  chaos->add_option("--churn", cha.churn_connections, "Connections opening and closing all the time")
      ->capture_default_str();
  chaos->add_option("--churn-rate", cha.churn_per_second, "Their open-authenticate-close cycles per second")
      ->capture_default_str();
  chaos->add_option("--fault-interval", cha.fault_interval_seconds, "Mean seconds between two faults")
      ->capture_default_str();
  chaos
      ->add_option("--min-fault-gap", cha.min_fault_gap_seconds,
                   "Seconds between two kills of a process, two Redis or two PostgreSQL restarts")
      ->capture_default_str();
  chaos->add_option("--drain", cha.drain_seconds, "Most seconds to wait for every client to settle")
      ->capture_default_str();
  chaos->add_option("--restart-redis", cha.restart_redis, "Shell command that restarts Redis");
  chaos->add_option("--restart-postgres", cha.restart_postgres,
                    "Shell command that restarts PostgreSQL (\"fast\" or \"immediate\" is appended)");
  add_common(chaos);

  churn_options chu;
  auto* churn = cli.add_subcommand(
      "churn",
      "Connections opening, authenticating and closing at full speed; what the server kept afterwards");
  churn->add_option("--cycles", chu.cycles)->capture_default_str()->check(CLI::Range(1, 100'000'000));
  churn->add_option("--warmup", chu.warmup_cycles, "Cycles before the figures taken as \"before\"")
      ->capture_default_str();
  churn->add_option("--loops", chu.loops, "Cycles in flight at once")
      ->capture_default_str()
      ->check(CLI::Range(1, 500));
  churn->add_option("--steady", chu.steady, "Users that stay connected")
      ->capture_default_str()
      ->check(CLI::Range(1, 500));
  churn
      ->add_option(
          "--churner-chats", chu.churner_chats,
          "Groups of 8 among the churning users that each of them is also in (what a connect looks up)")
      ->capture_default_str()
      ->check(CLI::Range(0, 200));
  churn->add_option("--rss-tolerance", chu.rss_tolerance, "RSS afterwards within this fraction of before")
      ->capture_default_str();
  add_common(churn);

  CLI11_PARSE(cli, argc, argv);
  fan.ceiling = !no_ceiling;
  per.baseline = !no_baseline;
  spr.baseline = !no_one_process;
  try {
    report result;
    if (fanout->parsed()) result = run_fanout(common, fan);
    if (latency->parsed()) result = run_latency(common, lat);
    if (persisted->parsed()) result = run_persisted(common, per);
    if (connections->parsed()) result = run_connections(common, con);
    if (history->parsed()) result = run_history(common, his);
    if (login->parsed()) result = run_login(common, log);
    if (spread->parsed()) result = run_spread(common, spr);
    if (search->parsed()) result = run_search(common, sea);
    if (files->parsed()) result = run_files(common, fil);
    if (chaos->parsed()) result = run_chaos(common, cha);
    if (churn->parsed()) result = run_churn(common, chu);
    result.print();
    if (!common.json_path.empty()) result.write_json(common.json_path);
    if (result.server_died()) {
      std::cerr << "windi-loadgen: a server died during the run (see the *_died row)\n";
      return 1;
    }
  } catch (std::exception const& e) {
    std::cerr << "windi-loadgen: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
