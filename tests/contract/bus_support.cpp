#include "contract/bus_support.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <algorithm>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

extern char** environ;

namespace windi::testing {

io_runner::io_runner(int threads) : guard_(io_.get_executor()) {
  running_ = threads;
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] {
      io_.run();
      std::lock_guard lock(mutex_);
      --running_;
      done_cv_.notify_all();
    });
  }
}

io_runner::~io_runner() {
  if (!threads_.empty() && !finish()) io_.stop();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

bool io_runner::finish(steady::duration limit) {
  guard_.reset();
  std::unique_lock lock(mutex_);
  bool const clean = done_cv_.wait_for(lock, limit, [this] { return running_ == 0; });
  if (!clean) io_.stop();
  return clean;
}

std::function<void(envelope)> inbox::sink() {
  return [this](envelope e) {
    std::lock_guard lock(mutex_);
    items_.push_back(std::move(e));
    cv_.notify_all();
  };
}

bool inbox::wait_for(std::size_t n, steady::duration limit) {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, limit, [&] { return items_.size() >= n; });
}

bool inbox::wait_for_frame(std::string const& frame, steady::duration limit) {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, limit, [&] {
    for (auto const& e : items_) {
      if (e.frame && *e.frame == frame) return true;
    }
    return false;
  });
}

std::size_t inbox::count(std::string const& frame) {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (auto const& e : items_) n += e.frame && *e.frame == frame ? 1 : 0;
  return n;
}

std::size_t inbox::count(event_kind kind) {
  std::lock_guard lock(mutex_);
  return static_cast<std::size_t>(
      std::count_if(items_.begin(), items_.end(), [kind](envelope const& e) { return e.kind == kind; }));
}

std::vector<envelope> inbox::all() {
  std::lock_guard lock(mutex_);
  return items_;
}

bool eventually(std::function<bool()> const& condition, steady::duration limit) {
  auto const deadline = steady::now() + limit;
  while (!condition()) {
    if (steady::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

envelope make_envelope(std::vector<user_id> recipients, std::string frame) {
  envelope e;
  e.audience = std::move(recipients);
  e.frame = std::make_shared<std::string const>(std::move(frame));
  return e;
}

namespace {

std::uint16_t free_port() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::address_v4::loopback(), 0});
  return probe.local_endpoint().port();
}

bool answers_ping(std::uint16_t port) {
  try {
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket socket(io);
    socket.connect({boost::asio::ip::address_v4::loopback(), port});
    boost::asio::write(socket, boost::asio::buffer(std::string_view("PING\r\n")));
    char reply[7] = {};
    boost::asio::read(socket, boost::asio::buffer(reply, 7));
    return std::string_view(reply, 7) == "+PONG\r\n";
  } catch (std::exception const&) {
    return false;
  }
}

}  // namespace

redis_process::redis_process(std::vector<std::string> extra_args) : extra_args_(std::move(extra_args)) {
  // A port probed free may be taken again before redis-server binds it (or the cluster bus port may
  // collide with the node's own): a node that exits at once is started again on fresh ports.
  for (int attempt = 1;; ++attempt) {
    port_ = free_port();
    args_ = {"redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",  "--save", "",
             "--appendonly", "no",     "--daemonize",         "no",     "--loglevel", "warning"};
    for (auto arg : extra_args_) {
      if (auto at = arg.find("{port}"); at != std::string::npos) arg.replace(at, 6, std::to_string(port_));
      if (arg == "{free_port}") arg = std::to_string(free_port());
      args_.push_back(std::move(arg));
    }
    if (launch()) return;
    if (attempt == 5) throw std::runtime_error("redis-server did not start: " + output_);
  }
}

redis_process::~redis_process() { stop(); }

void redis_process::start() {
  if (pid_ > 0) return;
  if (!launch()) throw std::runtime_error("redis-server did not start again: " + output_);
}

bool redis_process::launch() {
  std::vector<char*> argv;
  for (auto& a : args_) argv.push_back(a.data());
  argv.push_back(nullptr);
  auto const log = std::filesystem::temp_directory_path() / ("windi-redis-" + std::to_string(port_) + ".log");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  int const rc = posix_spawnp(&pid_, "redis-server", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid_ = -1;
    throw std::runtime_error("cannot start redis-server");
  }
  bool exited = false;
  bool const up = eventually(
      [&] {
        int status = 0;
        exited = ::waitpid(pid_, &status, WNOHANG) == pid_;
        return exited || answers_ping(port_);
      },
      10s);
  if (up && !exited) {
    // The PING may have reached another process's server on a port ours failed to bind: ours must still run.
    std::this_thread::sleep_for(50ms);
    int status = 0;
    exited = ::waitpid(pid_, &status, WNOHANG) == pid_;
  }
  if (up && !exited) {
    std::filesystem::remove(log);
    return true;
  }
  if (!exited) stop();
  pid_ = -1;
  std::ifstream in(log);
  output_.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  std::filesystem::remove(log);
  return false;
}

void redis_process::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

void redis_process::freeze() {
  if (pid_ > 0) ::kill(pid_, SIGSTOP);
}

void redis_process::thaw() {
  if (pid_ > 0) ::kill(pid_, SIGCONT);
}

}  // namespace windi::testing
