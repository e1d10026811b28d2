#pragma once
// Online members: WebSocket connections spread over the pool's threads, each with a reader that counts
// deliveries and acks (and records send-to-deliver latency), and optionally a sender. A connection and its
// coroutines stay on one thread, so its own fields need no synchronisation; totals go to shared atomics.
#include "client/ws_client.hpp"
#include "client_pool.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace windi::loadgen {

struct totals {
  std::atomic<std::uint64_t> deliveries{0};
  std::atomic<std::uint64_t> acks{0};
  std::atomic<std::uint64_t> sends{0};
  std::atomic<std::uint64_t> dropped{0};  // connections the server closed during the run
  std::atomic<bool> stopping{false};      // set before we close connections ourselves
};

// Messages due in [from_ns, until_ns) have their send-to-deliver latency recorded here.
struct latency_window {
  std::int64_t from_ns = 0;
  std::int64_t until_ns = std::numeric_limits<std::int64_t>::max();
  std::vector<std::int64_t> latencies_ns;
};

struct connection {
  connection(boost::asio::any_io_executor executor, std::size_t thread_index, std::size_t index);

  client::ws_client ws;
  std::size_t thread;
  std::string cmid_prefix;         // this connection's client_message_ids start with it
  std::string ack_tag;             // the same as it appears in a frame, for the ceiling server's echoes
  boost::asio::steady_timer wake;  // a sender waiting for acks sleeps here
  std::uint64_t sent = 0;
  std::uint64_t acked = 0;
  std::int64_t last_delivery_ns = 0;
  bool closed = false;
  // When set, each message's text goes on after its timestamp with what this adds (say, words to index).
  std::function<void(std::string&)> more_text;
  // Messages due outside every window (a warm-up) are not recorded; by default one window takes them all.
  std::vector<latency_window> windows = {latency_window{}};
};

using connection_ptr = std::shared_ptr<connection>;

struct connect_target {
  client::endpoint server;
  std::string path;
  std::optional<boost::asio::ip::address> local_address;
};

struct open_result {
  std::vector<connection_ptr> connections;  // in the order of the targets that succeeded
  std::size_t failures = 0;
  std::string first_error;
};

// Opens one connection per target, `parallel` handshakes at a time. With `tolerate_failures`, failures are
// counted (and opening stops after 200 in a row); otherwise the first one throws.
open_result open_connections(client_pool& pool, std::vector<connect_target> const& targets,
                             std::size_t parallel, bool tolerate_failures = false);

// Starts a reader on each connection; the futures finish when the connection closes.
std::vector<std::future<void>> start_readers(client_pool& pool,
                                             std::vector<connection_ptr> const& connections,
                                             std::shared_ptr<totals> counts, bool ceiling);

// Sends `quota` messages as fast as acks allow, at most `window` unacknowledged, until `stop_at_ns` (0:
// none).
boost::asio::awaitable<void> windowed_sender(connection_ptr c, std::shared_ptr<totals> counts,
                                             std::int64_t chat_id, std::uint64_t window, std::uint64_t quota,
                                             std::int64_t stop_at_ns);

// Open loop: one message every `period_ns` from `first_at_ns` until `stop_at_ns`, each stamped with the time
// it was due (not sent), so a sender held back by a slow server does not hide that wait from the latency.
boost::asio::awaitable<void> paced_sender(connection_ptr c, std::shared_ptr<totals> counts,
                                          std::int64_t chat_id, std::int64_t period_ns,
                                          std::int64_t first_at_ns, std::int64_t stop_at_ns);

// The latencies every connection recorded in its window `window`.
std::vector<std::int64_t> gather_latencies(std::vector<connection_ptr> const& connections,
                                           std::size_t window = 0);

// Closes every connection (on its own thread) and waits for the readers.
void close_all(client_pool& pool, std::vector<connection_ptr> const& connections,
               std::shared_ptr<totals> counts, std::vector<std::future<void>>& readers);

// Sleeps the calling (main) thread until `done()` or `timeout`, asking every `poll`; returns done().
bool wait_until(std::function<bool()> const& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll = std::chrono::milliseconds(5));

}  // namespace windi::loadgen
