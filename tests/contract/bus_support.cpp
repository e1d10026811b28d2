#include "contract/bus_support.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <csignal>

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
      if (*e.frame == frame) return true;
    }
    return false;
  });
}

std::size_t inbox::count(std::string const& frame) {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (auto const& e : items_) n += *e.frame == frame ? 1 : 0;
  return n;
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
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::address_v4::loopback(), 0});
  port_ = probe.local_endpoint().port();
  probe.close();
  start();
}

redis_process::~redis_process() { stop(); }

void redis_process::start() {
  if (pid_ > 0) return;
  std::string const port = std::to_string(port_);
  std::vector<std::string> args{"redis-server", "--port", port,          "--bind", "127.0.0.1",  "--save", "",
                                "--appendonly", "no",     "--daemonize", "no",     "--loglevel", "warning"};
  for (auto arg : extra_args_) {
    if (auto at = arg.find("{port}"); at != std::string::npos) arg.replace(at, 6, port);
    args.push_back(std::move(arg));
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  int const rc = posix_spawnp(&pid_, "redis-server", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid_ = -1;
    throw std::runtime_error("cannot start redis-server");
  }
  if (!eventually([this] { return answers_ping(port_); }, 10s))
    throw std::runtime_error("redis-server did not start");
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
