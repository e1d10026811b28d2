#pragma once
// One hiredis asynchronous connection driven by Asio: the context's socket is watched with
// posix::stream_descriptor (released, never closed: hiredis owns the fd) and hiredis's event hooks arm
// one-shot async_waits. Every member function, every hiredis call and every hiredis callback runs on the
// strand given at construction. The object is reusable: open() again after the connection was lost.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

struct redisAsyncContext;
struct redisReply;

namespace windi::redis {

using strand = boost::asio::strand<boost::asio::any_io_executor>;
using duration = std::chrono::steady_clock::duration;

// redis://[[user]:password@]host[:port][/db]
struct endpoint {
  std::string host;
  std::uint16_t port = 6379;
  std::string username;
  std::string password;
  int db = 0;
};
// Throws std::invalid_argument (a start-up failure) for anything else.
endpoint parse_url(std::string const& url);

struct reply {
  enum class kind { nil, integer, string, status, error, array };
  kind type = kind::nil;
  long long integer = 0;
  std::string text;
  std::vector<reply> elements;
};

// How long a lost connection waits before its next attempt: doubling from the first to the last, so that an
// outage costs Redis a few connection attempts per second at first and one every few seconds later.
inline constexpr duration first_backoff = std::chrono::milliseconds(100);
inline constexpr duration last_backoff = std::chrono::seconds(5);

// The completion handler of a background task (co_spawn): an exception escaping it is a bug, logged with the
// task's name instead of lost.
struct log_failure {
  char const* task;
  void operator()(std::exception_ptr error) const;
};

// What hiredis parsed, as a value.
reply convert(redisReply const& r);
// {a, b} from a reply of two integers (what several scripts answer); nullopt for anything else.
std::optional<std::pair<long long, long long>> two_integers(std::optional<reply> const& answer);

class connection : public std::enable_shared_from_this<connection> {
 public:
  connection(strand s, std::string name);
  connection(connection const&) = delete;
  connection& operator=(connection const&) = delete;
  ~connection();

  // Resolves, connects, authenticates and selects the database, each step within `deadline`. False (and
  // closed, with last_error() set) on any failure.
  boost::asio::awaitable<bool> open(endpoint ep, duration deadline);
  bool is_open() const { return context_ != nullptr && open_; }
  // Completes once the connection is lost or closed (at once when it is not open).
  boost::asio::awaitable<void> wait_closed();
  // nullopt when not open, on connection loss, or when no reply came within `deadline`.
  boost::asio::awaitable<std::optional<reply>> command(std::vector<std::string> args, duration deadline);
  // Queues a command whose reply nobody waits for. False when not open.
  bool send(std::vector<std::string_view> const& args);
  // Commands sent and not answered yet, to bound what waits in hiredis's output buffer.
  std::size_t unanswered() const { return unanswered_; }
  // Called with the error answer of a command given to send() (by default, logged as a warning).
  void on_error(std::function<void(std::string_view error)> handler) { on_error_ = std::move(handler); }
  void close();
  std::string const& last_error() const { return last_error_; }

 private:
  struct pending;

  static void on_connect(redisAsyncContext const* context, int status);
  static void on_disconnect(redisAsyncContext const* context, int status);
  static void on_reply(redisAsyncContext* context, void* raw_reply, void* privdata);
  static void on_sent(redisAsyncContext* context, void* raw_reply, void* privdata);
  static void add_read(void* self);
  static void del_read(void* self);
  static void add_write(void* self);
  static void del_write(void* self);
  static void cleanup(void* self);

  boost::asio::awaitable<std::optional<std::string>> resolve(std::string host, duration deadline);
  void attach();
  void arm(bool read);
  void fail(std::string what);
  void forget();

  strand strand_;
  std::string name_;
  redisAsyncContext* context_ = nullptr;
  bool open_ = false;             // the handshake completed (hiredis has connected)
  std::uint64_t generation_ = 0;  // per context, so that a stale wait never touches the next one
  std::uint64_t attempt_ = 0;     // bumped by close(), so that an open() in progress gives up
  std::optional<boost::asio::posix::stream_descriptor> socket_;
  bool want_read_ = false, read_armed_ = false, want_write_ = false, write_armed_ = false;
  boost::asio::ip::tcp::resolver resolver_;
  // Cancelled to wake open() (one waiter) and wait_closed() (any number).
  boost::asio::steady_timer step_signal_;
  boost::asio::steady_timer closed_signal_;
  std::function<void(std::string_view)> on_error_;
  std::size_t unanswered_ = 0;
  std::string last_error_;
};

}  // namespace windi::redis
