#pragma once
// One function per scenario: starts its servers, creates its users and chats, runs the load, returns figures.
#include "options.hpp"
#include "report.hpp"

#include <cstdint>
#include <string>

namespace windi::loadgen {

struct fanout_options {
  int members = 100;
  int senders = 4;
  int window = 16;  // unacknowledged sends per sender
  int messages = 2000;
  int timeout_seconds = 120;
  bool ceiling = true;  // also run the same load against windi-ceiling
};
report run_fanout(common_options const& o, fanout_options const& f);

struct latency_options {
  int users = 1000;
  int chat_size = 10;
  int rate = 5000;  // messages per second, all users together
  int seconds = 10;
  int warmup_seconds = 1;
  int drain_seconds = 15;
  // C > 0: after the quiet phase, as long again with C login loops against users hashed at the default cost.
  int login_storm = 0;
  // F > 0: after the quiet phase, as long again with F connections flooding sends at full speed, the server
  // keeping its default send budget in both phases.
  int flood = 0;
  // D > 0: after the quiet phase, as long again with D clients downloading a file of download_mib MiB over
  // and over; then a quiet phase again.
  int downloads = 0;
  int download_mib = 25;
  // M > 0: the downloads together read at most M megabits a second, as clients behind the server's network
  // link would; 0 reads as fast as loopback gives, the receiving work then on the server's cores.
  int download_link_mbit = 0;
  // S > 0: S more users, each a member of slow_reader_chats of the groups, stay connected throughout as
  // clients that resume by sync (the chaos scenario's). For a second phase as long as the first they read
  // one frame per slow_read_ms through a small receive buffer, so that the server closes them (4008) and
  // they resume; then a quiet phase again. At the end their views must equal the store.
  int slow_readers = 0;
  int slow_reader_chats = 10;
  int slow_read_ms = 20;
};
report run_latency(common_options const& o, latency_options const& l);

struct persisted_options {
  int clients = 200;
  int chats = 100;
  int window = 8;
  int seconds = 10;
  // With --backend postgres: afterwards, raw pipelined libpq INSERTs into the same database (pg_baseline).
  bool baseline = true;
  int baseline_connections = 8;
  int baseline_depth = 64;  // transactions in flight per baseline connection
  int baseline_batch = 64;  // rows per transaction of the batched variant (0: skip it)
  // Message texts of words (zipf_text.hpp) after the timestamp, as people write them, for a search index to
  // index; and the schema without that index (search_index.hpp).
  bool words = false;
  bool without_search_index = false;
};
report run_persisted(common_options const& o, persisted_options const& p);

// search: message search at scale. Sends per second with the search index and without it (same run, realistic
// texts), then a corpus of `messages` messages of Zipf-distributed English and Russian words in `chats`
// chats, of which the searching user is in `member_chats`, and p50/p99 of searches of a rare word, a common
// word, a phrase, a word being typed (prefix) and a Russian word form; and the index's size.
struct search_options {
  int messages = 1'000'000;
  int chats = 1000;
  int member_chats = 50;
  int senders = 100;        // connections loading the corpus (each its share of the chats)
  int window = 32;          // unacknowledged sends per loading connection
  int requests = 200;       // per query kind
  int vocabulary = 20'000;  // words per language
  int send_seconds = 10;    // each of the two send phases (with and without the index); 0 skips them
  int send_rounds = 2;      // alternating pairs of those phases
  int send_clients = 200;   // as the persisted scenario: clients in pairs, two per chat
};
report run_search(common_options const& o, search_options const& s);

// files: upload and download MiB/s of a file of `mib` MiB against a copy on the same disk (same run).
struct files_options {
  int mib = 10;
  int rounds = 5;
};
report run_files(common_options const& o, files_options const& f);

struct connections_options {
  int connections = 50000;
  int users = 100;
  int addresses = 16;  // source addresses 127.0.0.1 .. 127.0.0.N
  int parallel = 256;
  int hold_seconds = 2;
};
report run_connections(common_options const& o, connections_options const& c);

struct history_options {
  int messages = 10000;
  int requests = 200;
  int page = 50;
};
report run_history(common_options const& o, history_options const& h);

struct login_options {
  int users = 16;
  int clients = 4;
  int seconds = 10;
};
report run_login(common_options const& o, login_options const& l);

struct spread_options {
  int users = 400;
  int chat_size = 10;
  int rate = 400;  // messages per second, all users together
  int seconds = 10;
  // Sent before the measured phase and not counted: each process opens its database connections and fills
  // its caches on its first messages, a cost four processes pay four times and no steady load pays at all.
  int warmup_seconds = 3;
  int drain_seconds = 15;
  // With more than one process: the same workload on one process first, in the same run.
  bool baseline = true;
  // The processes of each measurement share this machine's cores as a deployment on one host would be set
  // up: each process max(1, cores / processes) I/O threads (one process: one per core), instead of every
  // process one per core.
  bool share_cores = false;
};
report run_spread(common_options const& o, spread_options const& s);

// chaos: clients sending, editing, deleting and reacting while faults overlap (drops, frozen readers, a
// process killed, Redis and PostgreSQL restarted, connection churn); then a checker of every client's view
// against the store. Throws when the checker finds a violation.
struct chaos_options {
  int seconds = 120;
  int clients = 200;
  int group_size = 8;
  double actions_per_second = 0.5;  // per client
  std::uint64_t seed = 0;           // 0: a random one (printed)
  int churn_connections = 4;        // connections opening and closing all the time
  double churn_per_second = 200;    // their open-authenticate-close cycles, all together
  double fault_interval_seconds = 2;
  int min_fault_gap_seconds = 15;  // between two process kills, two Redis or two PostgreSQL restarts
  int drain_seconds = 60;
  std::string restart_redis;     // a shell command that restarts Redis
  std::string restart_postgres;  // one that restarts PostgreSQL; "fast" or "immediate" is appended
};
report run_chaos(common_options const& o, chaos_options const& c);

// churn: `cycles` WebSocket open-authenticate-close cycles from `loops` loops at full speed, while `steady`
// users stay connected, one of them reading every online/offline event of the churning ones; then what the
// server kept: RSS against the same figure before (after a warm-up), open file descriptors, /health's
// connection count and who the server says is online. Throws when something stayed behind.
struct churn_options {
  int cycles = 100'000;
  int warmup_cycles = 2'000;
  int loops = 32;
  int steady = 20;
  int churner_chats = 0;        // groups of 8 among the churning users that each of them is also in
  double rss_tolerance = 0.10;  // RSS afterwards within this fraction of before
};
report run_churn(common_options const& o, churn_options const& c);

}  // namespace windi::loadgen
