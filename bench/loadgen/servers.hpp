#pragma once
// The servers under test for one scenario: one to four windi processes on the chosen backend, or the ceiling
// server; plus the resource figures the report puts beside the load figures.
#include "client/endpoint.hpp"
#include "options.hpp"
#include "server_process.hpp"

#include <boost/json/object.hpp>

#include <memory>
#include <string>
#include <vector>

namespace windi::loadgen {

// A temporary folder for logs and the SQLite database; removed at the end unless --keep-logs.
class work_dir {
 public:
  explicit work_dir(bool keep);
  ~work_dir();
  std::string const& path() const { return path_; }

 private:
  std::string path_;
  bool keep_;
};

class server_set {
 public:
  // Starts windi. `fast_passwords` lowers the argon2id cost so that creating many users is quick; scenarios
  // that measure login keep the defaults.
  // `send_limits` keeps the server's default send budget per user (SEND_BURST, SEND_RATE_PER_SECOND) instead
  // of lifting it.
  static server_set windi(common_options const& o, work_dir const& dir, bool fast_passwords,
                          bool send_limits = false);
  static server_set ceiling(common_options const& o, work_dir const& dir);

  // Connection i goes to process i % count.
  client::endpoint const& endpoint_for(std::size_t i) const { return endpoints_[i % endpoints_.size()]; }
  std::size_t size() const { return processes_.size(); }
  server_process& process(std::size_t i) { return *processes_[i]; }

  // windi only: stops the processes and starts them again on the same database and with the same secret (so
  // tokens issued before stay valid), at the argon2id cost `fast_passwords` asks for. The endpoints change;
  // each old log is kept as <name>.before-restart.log.
  void restart(bool fast_passwords);

  // windi only: process i dies by SIGKILL and starts again on the same port (on another when that one is
  // taken), as a supervisor would restart it. Its log so far is kept as <name>.crash-<n>.log.
  void crash_and_restart(std::size_t i);
  // Adds to (or overrides) the environment of processes started from now on.
  void set_env(std::string const& name, std::string const& value) { spec_.env[name] = value; }

  // The SQLite database of the sqlite backend.
  static std::string sqlite_path(work_dir const& dir) { return dir.path() + "/bench.db"; }

  // Call at the start of the measured phase; figures() reports CPU used since then and peak RSS.
  void mark();
  boost::json::object figures(double seconds) const;
  void stop();

 private:
  void launch(std::string name);

  process_spec spec_;
  std::vector<std::unique_ptr<server_process>> processes_;
  std::vector<client::endpoint> endpoints_;
  std::vector<double> cpu_at_mark_;
  int crashes_ = 0;
};

std::string beside_self(std::string const& name);

}  // namespace windi::loadgen
