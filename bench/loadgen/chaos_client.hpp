#pragma once
// One user of the chaos scenario, behaving as the web app does: it connects, sends `sync` with its cursors
// after `connected`, resends what was never acknowledged (same client_message_id), and reconnects after
// every disconnect. Meanwhile it sends, edits and deletes its own messages and reacts to others', at a steady
// pace. Its view of each chat (chat_view.hpp) is built only from the frames it receives, so the checker can
// compare it with the store. Everything of a client runs on its own thread; the fault schedule posts to it.
#include "chat_view.hpp"
#include "client/endpoint.hpp"
#include "client/ws_client.hpp"
#include "population.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace windi::loadgen {

// What every client shares with the scenario: where the servers are now, and the run's phase.
struct chaos_shared {
  std::mutex endpoints_mutex;
  std::vector<client::endpoint> endpoints;  // by process; a restarted one may move
  std::atomic<bool> acting{true};           // clients send, edit, delete and react
  std::atomic<bool> stopping{false};        // clients close and stop reconnecting
  double actions_per_second = 0.5;          // per client
  int receive_buffer = 0;                   // the clients' socket receive buffer; 0 for the system's

  client::endpoint endpoint(std::size_t i) {
    std::lock_guard lock(endpoints_mutex);
    return endpoints[i % endpoints.size()];
  }
};

struct chaos_counts {
  std::uint64_t sends = 0;         // distinct client_message_ids sent
  std::uint64_t resends = 0;       // frames sent again with a client_message_id already sent
  std::uint64_t retried = 0;       // distinct client_message_ids sent more than once
  std::uint64_t acknowledged = 0;  // distinct client_message_ids acknowledged
  std::uint64_t edits = 0, deletes = 0, reactions = 0;
  std::uint64_t connections = 0;     // opened
  std::uint64_t disconnects = 0;     // ended, by us or by the server
  std::uint64_t slow_closes = 0;     // closed by the server with 4008
  std::uint64_t resync_reloads = 0;  // chats reloaded through REST after resync_required
  std::uint64_t sync_requests = 0;   // sync_required frames (live events lost on their way), each answered
  std::uint64_t errors = 0;          // error frames
  std::uint64_t ack_mismatches = 0;  // one client_message_id acknowledged as two different messages
};

class chaos_client;
// Every client's counts added up. Read after the clients' runs have finished.
chaos_counts total_counts(std::vector<std::shared_ptr<chaos_client>> const& clients);

class chaos_client : public std::enable_shared_from_this<chaos_client> {
 public:
  chaos_client(boost::asio::any_io_executor executor, std::shared_ptr<chaos_shared> shared, member me,
               std::size_t index, std::vector<std::int64_t> chats, std::uint64_t seed);

  // Until shared->stopping: connect, resume, act; reconnect after every disconnect.
  boost::asio::awaitable<void> run();

  // Faults, posted onto the client's thread.
  void drop();                             // the socket closes abruptly (also how the run ends)
  void freeze(std::chrono::milliseconds);  // stops reading for that long
  void read_slowly(std::chrono::milliseconds per_frame);  // waits that long after each frame; 0 to stop

  // Connected, reading, synced, every send acknowledged, no reload in progress. Call on the client's thread.
  bool settled() const;

  // Read after run() has finished.
  member const& user() const { return me_; }
  std::map<std::int64_t, chat_view> const& views() const { return views_; }
  std::map<std::string, std::int64_t> const& acknowledged() const { return acked_; }
  std::size_t unacknowledged() const { return unacked_.size(); }
  chaos_counts const& counts() const { return counts_; }

 private:
  struct pending_send {
    std::int64_t chat = 0;
    std::string text;
    int attempts = 0;
  };

  boost::asio::awaitable<void> connection_life(std::shared_ptr<client::ws_client> ws);
  boost::asio::awaitable<void> actor();
  boost::asio::awaitable<void> writer(std::shared_ptr<client::ws_client> ws, std::uint64_t generation);
  boost::asio::awaitable<void> reload(std::int64_t chat);
  boost::asio::awaitable<void> later(std::chrono::milliseconds delay, std::uint64_t generation,
                                     std::function<void()> then);

  void handle(std::string const& text);
  void on_sync(boost::json::object const& data);
  void on_message_event(boost::json::object const& message);
  void send_sync();
  void send_message(std::string const& cmid);
  void write(std::string frame);
  void act();

  boost::asio::any_io_executor executor_;
  std::shared_ptr<chaos_shared> shared_;
  member me_;
  std::size_t index_;
  std::vector<std::int64_t> chats_;
  std::mt19937_64 random_;

  std::shared_ptr<client::ws_client> ws_;  // the current connection, null between them
  std::uint64_t generation_ = 0;           // counts connections, so work for an old one is dropped
  bool synced_ = false;
  bool writing_ = false;
  std::deque<std::string> outbox_;
  std::chrono::steady_clock::time_point frozen_until_{};
  std::chrono::milliseconds read_delay_{0};
  std::size_t attempts_ = 0;

  std::map<std::int64_t, chat_view> views_;
  std::map<std::string, pending_send> unacked_;  // by client_message_id
  std::deque<std::string> awaiting_reply_;       // sends on this connection, in order
  std::map<std::string, std::int64_t> acked_;    // client_message_id -> message id
  std::set<std::string> resent_;
  std::vector<std::pair<std::int64_t, std::int64_t>> own_;  // (chat, message id), not deleted
  std::uint64_t next_message_ = 0;
  int reloads_ = 0;
  chaos_counts counts_;
};

}  // namespace windi::loadgen
