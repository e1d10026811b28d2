#include "server_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace windi::loadgen {

namespace {

std::vector<std::string> child_environment(process_spec const& spec) {
  std::set<std::string> drop(spec.unset_env.begin(), spec.unset_env.end());
  for (auto const& [key, value] : spec.env) drop.insert(key);
  std::vector<std::string> out;
  for (char** e = environ; *e; ++e) {
    std::string entry(*e);
    if (!drop.contains(entry.substr(0, entry.find('=')))) out.push_back(std::move(entry));
  }
  for (auto const& [key, value] : spec.env) out.push_back(key + "=" + value);
  return out;
}

}  // namespace

server_process::server_process(process_spec spec, std::chrono::seconds timeout) : spec_(std::move(spec)) {
  log_path_ = spec_.work_dir + "/" + spec_.name + ".log";
  // The child changes directory before exec: a relative binary path must not depend on that.
  spec_.binary = std::filesystem::absolute(spec_.binary).string();
  // Everything the child needs is prepared before fork: only async-signal-safe calls after it.
  auto env_strings = child_environment(spec_);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> arg_strings{spec_.binary};
  arg_strings.insert(arg_strings.end(), spec_.args.begin(), spec_.args.end());
  std::vector<char*> argv;
  for (auto& a : arg_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (log_fd < 0) throw std::runtime_error("cannot create " + log_path_);

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // A load generator that dies (Ctrl-C, CI timeout) takes its servers with it.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    if (::chdir(spec_.work_dir.c_str()) != 0) ::_exit(126);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  ::close(log_fd);

  std::regex const listening(R"(listening on http://[^:\s]+:(\d+))");
  auto const deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto const text = log_text();
    std::smatch m;
    if (std::regex_search(text, m, listening)) {
      port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
      return;
    }
    if (!running()) {
      throw std::runtime_error(spec_.name + " (" + spec_.binary + ") exited before listening; log:\n" +
                               log_tail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  auto tail = log_tail();
  stop();
  throw std::runtime_error(spec_.name + " did not report its port in time; log:\n" + tail);
}

server_process::~server_process() { stop(); }

bool server_process::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    exit_status_ = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                       : "exit code " + std::to_string(WEXITSTATUS(status));
    return false;
  }
  return true;
}

void server_process::stop() {
  if (!running()) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 250; ++i) {
    if (!running()) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill();
}

void server_process::kill() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::uint16_t server_process::metrics_port(std::chrono::seconds timeout) {
  if (metrics_port_ != 0) return metrics_port_;
  std::regex const metrics(R"(metrics on http://[^\s]+:(\d+)/metrics)");
  auto const deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto const text = log_text();
    std::smatch m;
    if (std::regex_search(text, m, metrics)) {
      metrics_port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
      return metrics_port_;
    }
    if (std::chrono::steady_clock::now() >= deadline)
      throw std::runtime_error(spec_.name + " logged no metrics address; log:\n" + log_tail());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string server_process::log_text() const {
  std::ifstream log(log_path_);
  return std::string((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
}

std::string server_process::log_tail() const {
  auto text = log_text();
  return text.size() > 3000 ? text.substr(text.size() - 3000) : text;
}

}  // namespace windi::loadgen
