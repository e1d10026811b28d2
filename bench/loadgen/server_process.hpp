#pragma once
// A server under test as a child process (windi serve or windi-ceiling): started with its own environment and
// working directory, its log in a file, ready once the log says "listening on http://HOST:PORT".
#include "proc_stats.hpp"

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace windi::loadgen {

struct process_spec {
  std::string binary;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;  // added to (and overriding) this process's environment
  std::vector<std::string> unset_env;      // removed from it
  std::string work_dir;                    // cwd, and where the log goes
  std::string name;                        // for messages and the log file name
};

class server_process {
 public:
  // Throws std::runtime_error (with the log's tail) when the process exits or stays silent for `timeout`.
  explicit server_process(process_spec spec, std::chrono::seconds timeout = std::chrono::seconds(60));
  ~server_process();
  server_process(server_process const&) = delete;
  server_process& operator=(server_process const&) = delete;

  std::uint16_t port() const { return port_; }
  // The port of the metrics listener (windi with METRICS_ADDR=HOST:0), from the line it logs after
  // "listening on"; waits up to `timeout` for it and throws without it.
  std::uint16_t metrics_port(std::chrono::seconds timeout = std::chrono::seconds(10));
  pid_t pid() const { return pid_; }
  std::string const& name() const { return spec_.name; }
  std::string const& log_path() const { return log_path_; }
  proc_sample sample() const { return sample_process(pid_); }
  bool running();
  // How it ended ("exit code N", "killed by signal N"), or empty while it runs.
  std::string const& exit_status() const { return exit_status_; }
  // SIGTERM, then SIGKILL after 5 s.
  void stop();
  // SIGKILL at once, as a crash would end it.
  void kill();

 private:
  std::string log_tail() const;
  std::string log_text() const;

  process_spec spec_;
  std::string log_path_;
  pid_t pid_ = -1;
  std::string exit_status_;
  std::uint16_t port_ = 0;
  std::uint16_t metrics_port_ = 0;
};

}  // namespace windi::loadgen
