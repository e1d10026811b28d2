#include "servers.hpp"

#include "report.hpp"

#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace windi::loadgen {

namespace json = boost::json;

work_dir::work_dir(bool keep) : keep_(keep) {
  std::string pattern = (std::filesystem::temp_directory_path() / "windi-loadgen-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

work_dir::~work_dir() {
  std::error_code ignored;
  if (keep_) {
    std::fprintf(stderr, "logs kept in %s\n", path_.c_str());
  } else {
    std::filesystem::remove_all(path_, ignored);
  }
}

std::string beside_self(std::string const& name) {
  char buf[PATH_MAX];
  auto n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) return name;
  return (std::filesystem::path(std::string(buf, static_cast<std::size_t>(n))).parent_path() / name).string();
}

namespace {

std::string random_secret() {
  unsigned char bytes[24];
  randombytes_buf(bytes, sizeof bytes);
  char hex[sizeof bytes * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return hex;  // 48 characters
}

void set_password_cost(process_spec& spec, bool fast) {
  if (fast) {
    spec.env["PASSWORD_MEMLIMIT_KIB"] = "8";
    spec.env["PASSWORD_OPSLIMIT"] = "1";
  } else {
    spec.env.erase("PASSWORD_MEMLIMIT_KIB");
    spec.env.erase("PASSWORD_OPSLIMIT");
  }
}

}  // namespace

server_set server_set::windi(common_options const& o, work_dir const& dir, bool fast_passwords,
                             bool send_limits) {
  if (o.backend != "sqlite" && o.backend != "postgres")
    throw std::runtime_error("--backend is sqlite or postgres");
  if (o.backend == "postgres" && o.postgres_url.empty())
    throw std::runtime_error("--backend postgres needs --postgres-url");
  if (o.processes > 1 && (o.backend != "postgres" || o.redis_url.empty())) {
    throw std::runtime_error("--processes " + std::to_string(o.processes) +
                             " needs --backend postgres and --redis-url");
  }
  process_spec spec;
  spec.binary = o.server_bin.empty() ? beside_self("windi") : o.server_bin;
  spec.args = {"serve", "--host", "127.0.0.1", "--port", "0"};
  if (o.server_threads > 0) spec.args.push_back("--threads=" + std::to_string(o.server_threads));
  spec.work_dir = dir.path();
  // DEBUG stays off: debug logging per frame would be part of what is measured.
  spec.env = {{"SECRET_KEY", random_secret()},
              {"DEBUG", "false"},
              {"DATA_DIR", dir.path() + "/data"},
              {"DATABASE_URL", o.backend == "sqlite" ? "sqlite:///" + sqlite_path(dir) : o.postgres_url},
              // Thousands of simulated users register and log in from this one address.
              {"REGISTRATIONS_PER_HOUR", "100000000"},
              {"REGISTRATION_BURST", "100000000"},
              {"LOGIN_ADDRESS_FREE_FAILURES", "100000000"},
              // The scenarios measure the server at full speed; flood protection is measured on its own.
              {"SEND_RATE_PER_SECOND", "100000000"},
              {"SEND_BURST", "100000000"},
              {"READS_PER_SECOND", "100000000"},
              // Every simulated connection comes from this one address, some users with several.
              {"WS_MAX_CONNECTIONS_PER_ADDRESS", "100000000"},
              {"WS_MAX_CONNECTIONS_PER_USER", "100000000"},
              {"TRUSTED_PROXIES", ""},
              // Each process its own free port: the default one would go to the first process only (and clash
              // with any other windi on the machine); the port is read back from the log.
              {"METRICS_ADDR", "127.0.0.1:0"}};
  // As given: what it means (one node, or several seeds of a cluster) is the server's business.
  if (!o.redis_url.empty()) spec.env["REDIS_URL"] = o.redis_url;
  set_password_cost(spec, fast_passwords);
  spec.unset_env = {"HOST",
                    "PORT",
                    "THREADS",
                    "REDIS_URL",
                    "WEB_ROOT",
                    "ALLOWED_ORIGINS",
                    "PASSWORD_MEMLIMIT_KIB",
                    "PASSWORD_OPSLIMIT",
                    "WS_OUTBOX_MAX_FRAMES",
                    "WS_OUTBOX_MAX_BYTES"};
  if (send_limits) {
    spec.env.erase("SEND_RATE_PER_SECOND");
    spec.env.erase("SEND_BURST");
    spec.unset_env.push_back("SEND_RATE_PER_SECOND");
    spec.unset_env.push_back("SEND_BURST");
  }
  server_set out;
  out.spec_ = std::move(spec);
  for (int i = 0; i < std::max(1, o.processes); ++i) out.launch("windi-" + std::to_string(i));
  out.mark();
  return out;
}

void server_set::launch(std::string name) {
  spec_.name = std::move(name);
  processes_.push_back(std::make_unique<server_process>(spec_));
  endpoints_.push_back({"127.0.0.1", processes_.back()->port()});
}

void server_set::restart(bool fast_passwords) {
  std::vector<std::string> names;
  // All stopped before any starts: no process at the old cost serves beside the new ones.
  for (auto& p : processes_) {
    p->stop();
    std::error_code ignored;
    std::filesystem::rename(p->log_path(), spec_.work_dir + "/" + p->name() + ".before-restart.log", ignored);
    names.push_back(p->name());
  }
  processes_.clear();
  endpoints_.clear();
  set_password_cost(spec_, fast_passwords);
  for (auto& name : names) launch(std::move(name));
  mark();
}

void server_set::crash_and_restart(std::size_t i) {
  auto& old = processes_.at(i);
  auto const port = old->port();
  auto const name = old->name();
  old->kill();
  std::error_code ignored;
  std::filesystem::rename(old->log_path(),
                          spec_.work_dir + "/" + name + ".crash-" + std::to_string(++crashes_) + ".log",
                          ignored);
  auto spec = spec_;
  spec.name = name;
  auto port_arg = std::find(spec.args.begin(), spec.args.end(), "--port");
  if (port_arg != spec.args.end() && port_arg + 1 != spec.args.end()) *(port_arg + 1) = std::to_string(port);
  try {
    processes_[i] = std::make_unique<server_process>(spec);
  } catch (std::exception const&) {
    auto any_port = spec_;  // "--port 0"
    any_port.name = name;
    processes_[i] = std::make_unique<server_process>(any_port);
  }
  endpoints_[i] = {"127.0.0.1", processes_[i]->port()};
  cpu_at_mark_.at(i) = 0;
}

server_set server_set::ceiling(common_options const& o, work_dir const& dir) {
  process_spec spec;
  spec.binary = o.ceiling_bin.empty() ? beside_self("windi-ceiling") : o.ceiling_bin;
  spec.args = {"--host", "127.0.0.1", "--port", "0"};
  if (o.server_threads > 0) spec.args.push_back("--threads=" + std::to_string(o.server_threads));
  spec.work_dir = dir.path();
  server_set out;
  out.spec_ = std::move(spec);
  out.launch("ceiling");
  out.mark();
  return out;
}

void server_set::mark() {
  cpu_at_mark_.clear();
  for (auto& p : processes_) cpu_at_mark_.push_back(p->sample().cpu_seconds);
}

json::object server_set::figures(double seconds) const {
  double cpu = 0;
  std::int64_t peak_kib = 0;
  std::int64_t rss_kib = 0;
  for (std::size_t i = 0; i < processes_.size(); ++i) {
    auto s = processes_[i]->sample();
    cpu += s.cpu_seconds - cpu_at_mark_[i];
    peak_kib += s.peak_rss_kib;
    rss_kib += s.rss_kib;
  }
  json::object out;
  out["server_cpu_seconds"] = rounded(cpu, 2);
  out["server_cpu_cores_busy"] = rounded(seconds > 0 ? cpu / seconds : 0, 2);
  out["server_rss_mib"] = rounded(static_cast<double>(rss_kib) / 1024, 1);
  out["server_peak_rss_mib"] = rounded(static_cast<double>(peak_kib) / 1024, 1);
  // A server that died mid-run must not pass for one that used no memory.
  for (auto const& p : processes_) {
    if (!p->running()) out[p->name() + "_died"] = p->exit_status() + " (log: " + p->log_path() + ")";
  }
  return out;
}

void server_set::stop() {
  for (auto& p : processes_) p->stop();
}

}  // namespace windi::loadgen
