#pragma once
// Options every scenario shares: where the servers come from, how many client threads, where the JSON goes.
#include <string>

namespace windi::loadgen {

struct common_options {
  int threads = 1;                 // client threads (the server gets the other core on a 2-core machine)
  std::string server_bin;          // default: "windi" beside windi-loadgen
  std::string ceiling_bin;         // default: "windi-ceiling" beside windi-loadgen
  std::string backend = "sqlite";  // sqlite | postgres
  std::string postgres_url;
  std::string redis_url;   // REDIS_URL for the servers, passed on as given
  int processes = 1;       // windi processes, 1 to 4 (more than one needs postgres and redis)
  int server_threads = 0;  // windi serve --threads (0: its default, one per core)
  std::string json_path;   // --json: also write the figures here
  bool keep_logs = false;  // keep the work folder with the server logs (and SQLite database)
};

}  // namespace windi::loadgen
