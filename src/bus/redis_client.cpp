#include "bus/redis_client.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <stdexcept>

namespace windi::redis {
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr duration connect_deadline = 2s;
constexpr duration probe_deadline = 2s;
// How often, with nothing amiss, every connection is pinged (a connection can hang without its socket
// failing) and a cluster's slot map is read again (a failover elsewhere shows up here).
constexpr duration checkup_interval = 5s;
constexpr int max_redirects = 3;

std::string address(cluster::node const& n) { return n.host + ":" + std::to_string(n.port); }

std::string_view trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

// Argument lists are built outside coroutines: GCC 12 mishandles initializer lists inside them.
std::vector<std::string> words(std::string_view a, std::string_view b = {}) {
  std::vector<std::string> out(1, std::string(a));
  if (!b.empty()) out.emplace_back(b);
  return out;
}

}  // namespace

std::vector<endpoint> parse_seeds(std::string const& urls) {
  std::vector<endpoint> out;
  std::string_view rest = urls;
  for (;;) {
    auto const comma = rest.find(',');
    auto const one = trim(rest.substr(0, comma));
    if (one.empty()) throw std::invalid_argument("REDIS_URL: an empty URL in the list");
    out.push_back(parse_url(std::string(one)));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

client::client(strand s, std::vector<endpoint> seeds, std::string name)
    : strand_(s), seeds_(std::move(seeds)), name_(std::move(name)), wake_(s), topology_signal_(s) {
  if (seeds_.empty()) throw std::invalid_argument("redis: no node to connect to");
  topology_signal_.expires_at(asio::steady_timer::time_point::max());
  for (auto const& seed : seeds_)
    where_ += (where_.empty() ? "" : ", ") + seed.host + ":" + std::to_string(seed.port);
}

void client::start(std::function<void()> on_connected) {
  on_connected_ = std::move(on_connected);
  asio::co_spawn(strand_, run(shared_from_this()), log_failure{"connection"});
}

void client::stop() {
  if (stopped_.exchange(true)) return;
  asio::post(strand_, [self = shared_from_this()] {
    self->wake_.cancel();
    self->topology_signal_.cancel();
    for (auto& entry : self->connections_) entry.second->close();
  });
}

std::string client::describe() const {
  std::lock_guard lock(mutex_);
  return where_;
}

std::string client::last_error() const {
  std::lock_guard lock(mutex_);
  return last_error_;
}

void client::note_error(std::string what) {
  {
    std::lock_guard lock(mutex_);
    last_error_ = what;
  }
  // One warning per outage; the retries every few seconds go to debug.
  if (!complained_) {
    spdlog::warn("redis {}: unavailable ({}); retrying with backoff", name_, what);
    complained_ = true;
  } else {
    spdlog::debug("redis {}: still unavailable ({})", name_, what);
  }
}

endpoint client::endpoint_of(cluster::node const& n) const {
  for (auto const& seed : seeds_) {
    if (seed.host == n.host && seed.port == n.port) return seed;
  }
  endpoint ep;
  ep.host = n.host;
  ep.port = n.port;
  ep.username = seeds_.front().username;
  ep.password = seeds_.front().password;
  return ep;  // a cluster has database 0 only
}

std::shared_ptr<connection> client::connection_to(cluster::node const& n) {
  auto& slot = connections_[{n.host, n.port}];
  if (!slot) {
    slot = std::make_shared<connection>(strand_, name_ + " " + address(n));
    std::weak_ptr<client> weak = weak_from_this();
    slot->on_error([weak](std::string_view error) {
      if (auto self = weak.lock()) self->on_failed_send(error);
    });
  }
  return slot;
}

std::shared_ptr<connection> client::connection_for(std::string_view key) const {
  auto const owner = slots_.master_for(slot_of(key));
  if (!owner) return nullptr;
  auto found = connections_.find({owner->host, owner->port});
  return found == connections_.end() ? nullptr : found->second;
}

void client::suspect() {
  if (resting_) wake_.cancel();
}

void client::moved(int slot, cluster::node const& to) {
  slots_.moved(slot, to);
  ++topology_;
  topology_signal_.cancel();
  suspect();
}

void client::on_failed_send(std::string_view error) {
  auto const redirect = cluster::parse_redirect(error);
  if (redirect && redirect->type == cluster::redirect::kind::moved) {
    moved(redirect->slot, redirect->to);
  } else if (!redirect) {
    spdlog::warn("redis {}: command failed: {}", name_, error);
  }
}

void client::adopt(cluster::slot_map map, bool cluster) {
  bool const changed = !have_slots_ || cluster != cluster_ || !(map == slots_);
  slots_ = std::move(map);
  have_slots_ = true;
  cluster_ = cluster;
  if (!changed) return;
  auto const masters = slots_.masters();
  std::string where;
  for (auto const& m : masters) where += (where.empty() ? "" : ", ") + address(m);
  if (cluster) where = "a cluster of " + std::to_string(masters.size()) + " masters (" + where + ")";
  {
    std::lock_guard lock(mutex_);
    where_ = std::move(where);
  }
  ++topology_;
  topology_signal_.cancel();
}

asio::awaitable<bool> client::open(std::shared_ptr<connection> c, cluster::node n) {
  auto ep = endpoint_of(n);
  if (!co_await c->open(std::move(ep), connect_deadline)) {
    note_error(address(n) + ": " + (c->last_error().empty() ? "no answer in time" : c->last_error()));
    co_return false;
  }
  ++opened_;
  asio::co_spawn(strand_, watch(shared_from_this(), c), asio::detached);
  co_return true;
}

asio::awaitable<void> client::watch(std::shared_ptr<client> self, std::shared_ptr<connection> c) {
  co_await c->wait_closed();
  self->suspect();
}

asio::awaitable<bool> client::discover() {
  std::vector<cluster::node> candidates = slots_.masters();
  for (auto const& seed : seeds_) candidates.push_back({seed.host, seed.port});
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    cluster::node const n = candidates[i];
    if (std::find(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(i), n) !=
        candidates.begin() + static_cast<std::ptrdiff_t>(i))
      continue;
    auto c = connection_to(n);
    if (!c->is_open() && !co_await open(c, n)) continue;
    auto answer = co_await c->command(words("CLUSTER", "SLOTS"), probe_deadline);
    if (!answer) {
      c->close();
      note_error(address(n) + ": no answer to CLUSTER SLOTS");
      continue;
    }
    if (answer->type == reply::kind::error) {
      // A node that is no cluster says so; one that may not run CLUSTER (an ACL, a renamed command) is taken
      // for a single node too when it is the only one named.
      bool const transient = answer->text.starts_with("CLUSTERDOWN") || answer->text.starts_with("LOADING");
      if (answer->text.find("cluster support disabled") != std::string::npos ||
          (seeds_.size() == 1 && !transient)) {
        adopt(cluster::slot_map::single(n), false);
        co_return true;
      }
      note_error(address(n) + ": " + answer->text);
      continue;
    }
    auto map = cluster::slot_map::from_cluster_slots(*answer, n);
    if (!map || map->covered() == 0) {
      note_error(address(n) + ": no slot is served");
      continue;
    }
    adopt(std::move(*map), true);
    co_return true;
  }
  co_return false;
}

asio::awaitable<bool> client::connect_masters() {
  auto const masters = slots_.masters();
  bool all = true;
  for (auto const& m : masters) {
    auto c = connection_to(m);
    if (!c->is_open() && !co_await open(c, m)) all = false;
  }
  // Nodes that serve no slot any more (a demoted master, a seed that is a replica) get no commands.
  for (auto it = connections_.begin(); it != connections_.end();) {
    cluster::node const n{it->first.first, it->first.second};
    if (std::find(masters.begin(), masters.end(), n) != masters.end()) {
      ++it;
      continue;
    }
    it->second->close();
    it = connections_.erase(it);
  }
  co_return all;
}

asio::awaitable<bool> client::checkup() {
  for (auto const& m : slots_.masters()) {
    auto c = connection_to(m);
    if (!c->is_open()) co_return false;
    if (!co_await c->command(words("PING"), probe_deadline)) {
      spdlog::warn("redis {}: {} did not answer PING; reconnecting", name_, address(m));
      c->close();
      co_return false;
    }
  }
  co_return true;
}

bool client::all_open() const {
  return std::all_of(connections_.begin(), connections_.end(),
                     [](auto const& e) { return e.second->is_open(); });
}

asio::awaitable<void> client::sleep(duration how_long, bool resting) {
  if (stopped_) co_return;
  resting_ = resting;
  wake_.expires_after(how_long);
  boost::system::error_code ec;
  co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  resting_ = false;
}

asio::awaitable<void> client::run(std::shared_ptr<client> self) {
  duration backoff = first_backoff;
  while (!stopped_) {
    std::uint64_t const opened_before = opened_;
    bool const ok = co_await discover() && co_await connect_masters();
    if (stopped_) break;
    up_ = ok;
    if (!ok) {
      co_await sleep(backoff, false);
      backoff = std::min(backoff * 2, last_backoff);
      continue;
    }
    backoff = first_backoff;
    if (complained_) spdlog::info("redis {}: connected again to {}", name_, describe());
    complained_ = false;
    if (opened_ != opened_before && on_connected_) on_connected_();
    // Until something is amiss: a lost connection, a MOVED, stop(), or a checkup that fails.
    for (;;) {
      co_await sleep(checkup_interval, true);
      if (stopped_ || !co_await checkup()) break;
      if (cluster_) break;  // read the slot map again
      if (!all_open()) break;
    }
    up_ = all_open();
  }
  (void)self;
}

asio::awaitable<void> client::topology_changed(std::uint64_t seen) {
  while (topology_ == seen && !stopped_) {
    boost::system::error_code ec;
    co_await topology_signal_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

asio::awaitable<std::optional<reply>> client::command(std::vector<std::string> args, duration deadline) {
  std::string const key(routing_key(args));
  for (int hop = 0; hop < max_redirects; ++hop) {
    auto c = connection_for(key);
    if (!c || !c->is_open()) {
      suspect();
      co_return std::nullopt;
    }
    auto answer = co_await c->command(args, deadline);
    if (!answer) {
      if (c->is_open()) {
        spdlog::warn("redis {}: no answer within the deadline; reconnecting", name_);
        c->close();
      }
      co_return std::nullopt;
    }
    if (answer->type != reply::kind::error) co_return answer;
    auto const redirect = cluster::parse_redirect(answer->text);
    if (!redirect) co_return answer;
    if (redirect->type == cluster::redirect::kind::moved) {
      moved(redirect->slot, redirect->to);
      continue;
    }
    // ASK: this one command goes to the node the slot is migrating to, announced by ASKING.
    auto found = connections_.find({redirect->to.host, redirect->to.port});
    if (found == connections_.end() || !found->second->is_open()) co_return std::nullopt;
    auto target = found->second;
    std::vector<std::string_view> const asking(1, "ASKING");
    target->send(asking);
    co_return co_await target->command(std::move(args), deadline);
  }
  co_return std::nullopt;
}

bool client::send(std::vector<std::string_view> const& args) {
  auto c = connection_for(routing_key(args));
  // A cluster forwards a plain PUBLISH to every node, so any master will do while the channel's own is away.
  if ((!c || !c->is_open()) && cluster_ && !args.empty() && args[0] == "PUBLISH") c = any_open_master();
  return c && c->send(args);
}

std::shared_ptr<connection> client::any_open_master() const {
  for (auto const& entry : connections_) {
    if (entry.second->is_open()) return entry.second;
  }
  return nullptr;
}

std::size_t client::unanswered(std::string_view key) const {
  auto c = connection_for(key);
  return c ? c->unanswered() : 0;
}

}  // namespace windi::redis
