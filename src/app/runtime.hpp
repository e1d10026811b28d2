#pragma once
// The process-wide objects every command needs: I/O threads, the blocking pool, the store and the services.
#include "bus/bus.hpp"
#include "config/settings.hpp"
#include "core/auth_service.hpp"
#include "core/chat_service.hpp"
#include "core/clock.hpp"
#include "core/file_service.hpp"
#include "core/file_urls.hpp"
#include "core/limiter.hpp"
#include "core/message_service.hpp"
#include "core/passwords.hpp"
#include "core/presence_service.hpp"
#include "core/search_service.hpp"
#include "core/sync_service.hpp"
#include "core/tokens.hpp"
#include "core/user_service.hpp"
#include "files/blob_store.hpp"
#include "store/store.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace windi::app {

// Threads for blocking work (password hashing), below the I/O threads' scheduling priority: a burst of logins
// then takes the CPU the I/O threads leave idle instead of delaying every delivery behind 50 ms hashes.
class background_pool {
 public:
  explicit background_pool(std::size_t threads);
  ~background_pool() { join(); }
  boost::asio::any_io_executor get_executor() { return io_.get_executor(); }
  void join();

 private:
  boost::asio::io_context io_;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
};

// The I/O threads and the blocking pool, joined on every exit path. Each I/O thread runs its own io_context:
// a connection lives on one thread from accept to close, so its handlers need no strand and no lock, and the
// threads do not contend for one shared queue. The first context also runs the process-wide services (store,
// bus, acceptor, signals), which serialize through their own strands.
class io_runner {
 public:
  explicit io_runner(int threads);
  ~io_runner() { stop(); }
  void stop();
  // Round robin over the I/O threads, for a new connection.
  boost::asio::any_io_executor next_connection_executor();
  std::vector<boost::asio::any_io_executor> executors() const;

 private:
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;

 public:
  boost::asio::io_context& io;
  background_pool blocking;

 private:
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_{0};
};

struct runtime {
  explicit runtime(settings const& cfg, int io_threads);
  ~runtime();
  // Applies migrations, retrying for a while when the database is unreachable. False on failure (logged).
  bool migrate();
  // Runs a coroutine on the I/O threads and waits for it (for commands; never call from an I/O thread).
  service_limits limits() const;
  template <class T>
  T wait(boost::asio::awaitable<T> work) {
    return boost::asio::co_spawn(runner.io, std::move(work), boost::asio::use_future).get();
  }

  settings const& cfg;
  std::string secret;  // SECRET_KEY, or a random one for this process (DEBUG only)
  io_runner runner;
  std::unique_ptr<store> db;
  std::unique_ptr<bus> events;
  system_clock clock;
  argon2id_hasher hasher;
  token_service tokens;
  // Logins, registrations, sends, reads and typing: in this process, or shared through Redis.
  std::unique_ptr<limiter> rate_limits;
  file_url_signer file_urls;
  attachment_signer sign_urls;
  std::unique_ptr<files::blob_store> blobs;
  auth_service auth;
  user_service users;
  chat_service chats;
  message_service messages;
  search_service search;
  presence_service presence;
  sync_service sync;
  file_service files;
};

int io_threads_for(settings const& cfg);

}  // namespace windi::app
