#pragma once
// A Redis deployment as one place to send commands: a single node, or a Redis Cluster whose masters each get
// one connection and whose slot map routes every command by its key, following MOVED and ASK. Which of the
// two it is, the first node that answers CLUSTER SLOTS says, so one URL of either works. The client keeps its
// connections open with backoff, looks at a cluster's topology again every few seconds and whenever something
// suggests it changed, and logs one warning per outage and one line when Redis is back. Every member function
// runs on the strand given at construction, except where it says otherwise.
#include "bus/redis_cluster.hpp"
#include "bus/redis_connection.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace windi::redis {

// REDIS_URL: one redis:// URL, or the comma-separated URLs of several seed nodes of one cluster. Throws
// std::invalid_argument (a start-up failure) for anything else.
std::vector<endpoint> parse_seeds(std::string const& urls);

// The key a command is routed by on a cluster: KEYS[1] of EVAL, the channel of PUBLISH, else the first
// argument. Empty for a command of no key.
template <class Args>
std::string_view routing_key(Args const& args) {
  if (args.size() < 2) return {};
  std::string_view const name = args[0];
  if (name != "EVAL" && name != "EVALSHA") return args[1];
  if (args.size() < 4 || std::string_view(args[2]) == "0") return {};
  return args[3];
}

class client : public std::enable_shared_from_this<client> {
 public:
  client(strand s, std::vector<endpoint> seeds, std::string name);
  client(client const&) = delete;
  client& operator=(client const&) = delete;

  // Connects, and keeps connecting until stop(). `on_connected` runs after every round that opened a
  // connection (the first included), to write again what a restarted Redis lost. Any thread.
  void start(std::function<void()> on_connected = {});
  void stop();  // Any thread.
  bool stopped() const { return stopped_; }

  // Every master connected. Any thread.
  bool is_up() const { return up_; }
  bool is_cluster() const { return cluster_; }
  // "127.0.0.1:6379" or "a cluster of 3 masters (…)", and the last failure. Any thread.
  std::string describe() const;
  std::string last_error() const;

  // Runs the command on the node that serves its key. nullopt while that node is unreachable or when no
  // answer came within `deadline` (the connection is then closed and opened again: later callers fall back
  // at once instead of each waiting out the deadline). An error answer is returned as one.
  boost::asio::awaitable<std::optional<reply>> command(std::vector<std::string> args, duration deadline);
  // Queues a command whose answer nobody waits for. False while its node is unreachable.
  bool send(std::vector<std::string_view> const& args);
  // Commands sent to the node of `key` and not answered yet, to bound what waits in an output buffer.
  std::size_t unanswered(std::string_view key) const;

  // Keys of one slot may go in one command (a script, a SSUBSCRIBE). On a single node every key shares
  // slot 0.
  int slot_of(std::string_view key) const { return cluster_ ? cluster::key_slot(key) : 0; }
  // Which master serves each slot, as last seen; every slot on the one node of a single-node deployment.
  cluster::slot_map const& slots() const { return slots_; }
  // Bumped whenever the slot map changes. Any thread.
  std::uint64_t topology() const { return topology_; }
  // Completes once topology() differs from `seen`, or on stop().
  boost::asio::awaitable<void> topology_changed(std::uint64_t seen);
  // How to reach a node of the slot map (the seeds' credentials).
  endpoint endpoint_of(cluster::node const& n) const;
  // Something suggests the topology changed (a MOVED, a lost node): look again now.
  void suspect();

 private:
  boost::asio::awaitable<void> run(std::shared_ptr<client> self);
  // Asks the known masters, then the seeds, for the slot map. False when none answered.
  boost::asio::awaitable<bool> discover();
  // Opens a connection to every master not connected yet and closes those to nodes that are no longer
  // masters. False when a master could not be reached.
  boost::asio::awaitable<bool> connect_masters();
  boost::asio::awaitable<bool> open(std::shared_ptr<connection> c, cluster::node n);
  // PINGs every master. False (and that connection closed) when one did not answer.
  boost::asio::awaitable<bool> checkup();
  boost::asio::awaitable<void> watch(std::shared_ptr<client> self, std::shared_ptr<connection> c);
  // `resting`: nothing is amiss, so suspect() may cut the sleep short (never a backoff).
  boost::asio::awaitable<void> sleep(duration how_long, bool resting);
  std::shared_ptr<connection> connection_for(std::string_view key) const;
  std::shared_ptr<connection> any_open_master() const;
  std::shared_ptr<connection> connection_to(cluster::node const& n);
  void adopt(cluster::slot_map map, bool cluster);
  void moved(int slot, cluster::node const& to);
  void on_failed_send(std::string_view error);
  void note_error(std::string what);
  bool all_open() const;

  strand strand_;
  std::vector<endpoint> const seeds_;
  std::string const name_;
  std::function<void()> on_connected_;
  std::map<std::pair<std::string, std::uint16_t>, std::shared_ptr<connection>> connections_;
  cluster::slot_map slots_;
  bool have_slots_ = false;
  bool resting_ = false;
  bool complained_ = false;
  std::uint64_t opened_ = 0;  // connections opened so far
  std::atomic<bool> cluster_{false};
  std::atomic<bool> up_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<std::uint64_t> topology_{0};
  boost::asio::steady_timer wake_;             // cancelled by suspect(), a lost connection and stop()
  boost::asio::steady_timer topology_signal_;  // never re-armed: cancelled to wake topology_changed()
  mutable std::mutex mutex_;
  std::string where_, last_error_ = "not connected yet";  // guarded by mutex_
};

}  // namespace windi::redis
