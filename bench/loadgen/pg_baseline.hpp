#pragma once
// The PostgreSQL baseline for the persisted scenario: how many durable inserts per second the database itself
// commits when the client pipelines, with no server in between. Raw libpq in pipeline mode, one blocking
// std::thread per connection, against a scratch table shaped like `messages` (dropped at the end).
#include <cstdint>
#include <string>

namespace windi::loadgen {

struct pg_baseline_options {
  std::string url;
  int seconds = 10;
  int connections = 8;
  int depth = 64;                // transactions in flight per connection
  int rows_per_transaction = 1;  // 1: each INSERT is its own autocommit transaction (one commit per row)
  int chats = 100;               // rows are spread over this many chat_id values, as in the scenario
};

struct pg_baseline_result {
  std::uint64_t rows = 0;  // committed rows in the measured window
  std::uint64_t transactions = 0;
  double rows_per_second = 0;
  std::string synchronous_commit;  // as the database reports it: "on" means each commit waited for its fsync
};

// Creates the scratch table, runs the INSERT loop for `seconds`, drops the table. Throws on any error.
pg_baseline_result run_pg_baseline(pg_baseline_options const& o);

}  // namespace windi::loadgen
