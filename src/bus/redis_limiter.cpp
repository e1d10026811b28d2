#include "bus/redis_limiter.hpp"

#include "bus/redis_client.hpp"
#include "bus/redis_limiter_scripts.hpp"
#include "bus/redis_scripts.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <unordered_map>
#include <unordered_set>

namespace windi {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

std::string script(char const* body) { return std::string(redis_scripts::now_ms) + body; }

limiter::wait seconds_from_ms(long long ms) {
  if (ms <= 0) return std::nullopt;
  return std::chrono::seconds((ms + 999) / 1000);
}

// The buckets every send, mark-read and typing frame passes: answered without waiting for Redis.
bool on_hot_path(bucket_kind kind) { return kind != bucket_kind::registration; }

// One redis::client for every limit of this process; a script runs within the deadline or not at all.
class shared_state : public std::enable_shared_from_this<shared_state> {
 public:
  shared_state(std::vector<redis::endpoint> seeds, asio::any_io_executor io,
               redis_limiter_options const& options)
      : deadline_(options.deadline),
        place_lifetime_(options.place_lifetime),
        place_refresh_(options.place_refresh),
        strand_(asio::make_strand(io)),
        refresh_timer_(strand_),
        refresh_script_(script(redis_scripts::refresh)),
        commands_(std::make_shared<redis::client>(strand_, std::move(seeds), "limits")) {}

  void start() {
    std::weak_ptr<shared_state> weak = weak_from_this();
    commands_->start([weak] {
      if (auto self = weak.lock()) self->refresh_places();  // Redis may have lost them (a restart)
    });
    asio::co_spawn(strand_, keep_places(shared_from_this()), redis::log_failure{"limits refresh"});
  }
  bool connected() const { return commands_->is_up(); }

  void stop() {
    if (stopped_.exchange(true)) return;
    asio::post(strand_, [self = shared_from_this()] {
      self->refresh_timer_.cancel();
      self->commands_->stop();
    });
  }

  // The places this process holds in Redis, refreshed until released.
  void hold_place(std::string const& key, std::string const& id) {
    std::lock_guard guard(places_lock_);
    places_[key].insert(id);
  }

  void release_place(std::string const& key, std::string const& id) {
    {
      std::lock_guard guard(places_lock_);
      auto found = places_.find(key);
      if (found == places_.end() || found->second.erase(id) == 0) return;
      if (found->second.empty()) places_.erase(found);
    }
    asio::post(strand_, [self = shared_from_this(), key, id] {
      std::vector<std::string_view> args{"ZREM", key, id};
      self->commands_->send(args);  // while Redis is down the place expires instead
    });
  }

  // The script's answer; nullopt while Redis is unreachable or late.
  static asio::awaitable<std::optional<redis::reply>> run_reply(std::shared_ptr<shared_state> self,
                                                                std::vector<std::string> args) {
    auto& strand = self->strand_;
    co_return co_await asio::co_spawn(strand, self->run_here(self, std::move(args)), asio::use_awaitable);
  }

  // The script's integer answer; nullopt while Redis is unreachable or late, or for any other answer.
  static asio::awaitable<std::optional<long long>> run(std::shared_ptr<shared_state> self,
                                                       std::vector<std::string> args) {
    auto answer = co_await run_reply(std::move(self), std::move(args));
    if (answer && answer->type == redis::reply::kind::integer) co_return answer->integer;
    co_return std::nullopt;
  }

  // A hot bucket's take: counted in Redis without waiting for the answer, which then refuses this process's
  // next takes of `key` for as long as the shared bucket is empty.
  void take_in_background(std::vector<std::string> args, std::string key) {
    auto done = [self = shared_from_this(), key = std::move(key)](std::exception_ptr error,
                                                                  std::optional<redis::reply> answer) {
      if (error) return;
      if (auto verdict = redis::two_integers(answer))
        self->note_shared_bucket(key, verdict->first, verdict->second);
    };
    asio::co_spawn(strand_, run_here(shared_from_this(), std::move(args)), std::move(done));
  }

  // How long the shared bucket `key` stays empty, as its last answer said; nullopt when it has tokens.
  std::optional<long long> shared_bucket_empty(std::string const& key) {
    std::lock_guard guard(verdicts_lock_);
    auto found = empty_until_.find(key);
    if (found == empty_until_.end()) return std::nullopt;
    auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(found->second - steady::now());
    if (left.count() > 0) return left.count();
    empty_until_.erase(found);
    return std::nullopt;
  }

 private:
  using steady = std::chrono::steady_clock;

  void note_shared_bucket(std::string const& key, long long refused_ms, long long next_ms) {
    auto const empty_for = std::max(refused_ms, next_ms);
    std::lock_guard guard(verdicts_lock_);
    if (empty_for <= 0) {
      empty_until_.erase(key);
      return;
    }
    auto const now = steady::now();
    // Bounded: a verdict that ran out says nothing any more.
    if (empty_until_.size() >= 4096)
      std::erase_if(empty_until_, [now](auto const& v) { return v.second <= now; });
    empty_until_[key] = now + std::chrono::milliseconds(empty_for);
  }

  asio::awaitable<std::optional<redis::reply>> run_here(std::shared_ptr<shared_state> self,
                                                        std::vector<std::string> args) {
    // Late or unreachable: the process's own limits decide.
    auto answer = co_await commands_->command(std::move(args), deadline_);
    if (!answer) co_return std::nullopt;
    if (answer->type == redis::reply::kind::error) {
      // Once per kind of refusal: a cluster that is down refuses every check until it is back.
      if (answer->text != last_refusal_) {
        spdlog::warn("limits: Redis refused a script ({}); the process's own limits decide meanwhile",
                     answer->text);
        last_refusal_ = answer->text;
      }
      co_return std::nullopt;
    }
    last_refusal_.clear();
    (void)self;
    co_return answer;
  }

  asio::awaitable<void> keep_places(std::shared_ptr<shared_state> self) {
    while (!stopped_) {
      refresh_timer_.expires_after(place_refresh_);
      boost::system::error_code ec;
      co_await refresh_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (!stopped_) refresh_places();
    }
    (void)self;
  }

  void refresh_places() {
    std::string const lifetime = std::to_string(place_lifetime_.count());
    std::lock_guard guard(places_lock_);
    for (auto const& [key, ids] : places_) {
      std::vector<std::string_view> args{"EVAL", refresh_script_, "1", key, lifetime};
      args.insert(args.end(), ids.begin(), ids.end());
      commands_->send(args);
    }
  }

  std::chrono::milliseconds const deadline_, place_lifetime_, place_refresh_;
  std::atomic<bool> stopped_{false};
  std::string last_refusal_;  // on strand_
  redis::strand strand_;
  asio::steady_timer refresh_timer_;
  std::string const refresh_script_;
  std::mutex verdicts_lock_;
  std::unordered_map<std::string, steady::time_point> empty_until_;  // guarded by verdicts_lock_
  std::mutex places_lock_;
  std::unordered_map<std::string, std::unordered_set<std::string>> places_;  // guarded by places_lock_
  std::shared_ptr<redis::client> commands_;  // last: closed while the rest still exists
};

class redis_limiter final : public limiter {
 public:
  redis_limiter(std::vector<redis::endpoint> seeds, asio::any_io_executor io,
                limiter_settings const& settings, clock const& clock, redis_limiter_options options)
      : settings_(settings),
        local_(settings, clock),
        prefix_(std::move(options.key_prefix)),
        take_script_(script(redis_limiter_scripts::take)),
        locked_script_(script(redis_limiter_scripts::locked)),
        failed_script_(script(redis_limiter_scripts::failed)),
        admit_script_(script(redis_limiter_scripts::admit)),
        place_lifetime_(options.place_lifetime),
        shared_(std::make_shared<shared_state>(std::move(seeds), std::move(io), options)) {}
  ~redis_limiter() override { shared_->stop(); }

  void start() override { shared_->start(); }
  void stop() override { shared_->stop(); }
  bool connected() const override { return shared_->connected(); }

  asio::awaitable<wait> take(bucket_kind kind, std::string key) override {
    if (auto here = local_.take_now(kind, key)) co_return here;
    auto args = take_args(kind, key);
    if (!on_hot_path(kind)) {
      auto answer = co_await shared_state::run_reply(shared_, std::move(args));
      auto verdict = redis::two_integers(answer);
      co_return verdict ? seconds_from_ms(verdict->first) : std::nullopt;
    }
    // No round trip on the way of a message: the shared budget holds within one (a user whose sends reach
    // several processes at the same moment may get one more through on each).
    std::string shared_key = args[3];
    if (auto empty = shared_->shared_bucket_empty(shared_key)) co_return seconds_from_ms(*empty);
    shared_->take_in_background(std::move(args), std::move(shared_key));
    co_return std::nullopt;
  }

  asio::awaitable<wait> login_locked(std::string username, std::string address) override {
    if (auto here = local_.login_locked_now(username, address)) co_return here;
    auto ms = co_await shared_state::run(shared_, locked_args(username, address));
    co_return ms ? seconds_from_ms(*ms) : std::nullopt;
  }

  asio::awaitable<void> login_failed(std::string username, std::string address) override {
    local_.login_failed_now(username, address);
    co_await shared_state::run(shared_, failed_args(username, address));
  }

  asio::awaitable<void> login_succeeded(std::string username, std::string address) override {
    local_.login_succeeded_now(username, address);
    co_await shared_state::run(shared_, del_args(account_key(username, address)));
  }

  asio::awaitable<bool> admit_connection(std::string key, std::string id, std::size_t cap) override {
    if (!local_.admit_connection_now(key, cap)) co_return false;
    auto shared_key = prefix_ + ":places:" + key;
    auto admitted = co_await shared_state::run(shared_, admit_args(shared_key, id, cap));
    if (admitted && *admitted == 0) {
      local_.release_connection_now(key);
      co_return false;
    }
    // Held (or Redis unreachable: the process's own cap decided), and refreshed from now on either way.
    shared_->hold_place(shared_key, id);
    co_return true;
  }

  void release_connection(std::string const& key, std::string const& id) override {
    local_.release_connection_now(key);
    shared_->release_place(prefix_ + ":places:" + key, id);
  }

 private:
  // An account's and its address's throttle keys share a hash tag (the address), so that one script may
  // touch both on a Redis Cluster too.
  std::string address_key(std::string_view address) const {
    return prefix_ + ":login:{" + std::string(address) + "}";
  }
  std::string account_key(std::string_view username, std::string_view address) const {
    return address_key(address) + ":" + login_account(username);
  }

  // Argument lists are built outside coroutines: GCC 12 mishandles initializer lists inside them.
  std::vector<std::string> take_args(bucket_kind kind, std::string const& key) const {
    auto const& rule = settings_.bucket(kind);
    std::vector<std::string> args;
    args.push_back("EVAL");
    args.push_back(take_script_);
    args.push_back("1");
    args.push_back(prefix_ + ":limit:" + std::string(name_of(kind)) + ":" + key);
    args.push_back(fmt::format("{}", rule.burst));
    args.push_back(fmt::format("{}", rule.per_second / 1000));
    return args;
  }

  std::vector<std::string> locked_args(std::string const& username, std::string const& address) const {
    std::vector<std::string> args;
    args.push_back("EVAL");
    args.push_back(locked_script_);
    args.push_back("2");
    args.push_back(account_key(username, address));
    args.push_back(address_key(address));
    return args;
  }

  std::vector<std::string> failed_args(std::string const& username, std::string const& address) const {
    auto const& rule = settings_.login;
    auto ms = [](std::chrono::seconds s) { return std::to_string(s.count() * 1000); };
    auto args = locked_args(username, address);
    args[1] = failed_script_;
    args.push_back(std::to_string(rule.account_free_failures));
    args.push_back(std::to_string(rule.address_free_failures));
    args.push_back(ms(rule.first_delay));
    args.push_back(ms(rule.max_delay));
    args.push_back(ms(rule.forget_after));
    return args;
  }

  std::vector<std::string> admit_args(std::string const& key, std::string const& id, std::size_t cap) const {
    std::vector<std::string> args;
    args.push_back("EVAL");
    args.push_back(admit_script_);
    args.push_back("1");
    args.push_back(key);
    args.push_back(id);
    args.push_back(std::to_string(cap));
    args.push_back(std::to_string(place_lifetime_.count()));
    return args;
  }

  static std::vector<std::string> del_args(std::string key) {
    std::vector<std::string> args;
    args.push_back("DEL");
    args.push_back(std::move(key));
    return args;
  }

  limiter_settings const settings_;
  local_limiter local_;
  std::string const prefix_;
  std::string const take_script_, locked_script_, failed_script_, admit_script_;
  std::chrono::milliseconds const place_lifetime_;
  std::shared_ptr<shared_state> shared_;
};

}  // namespace

std::unique_ptr<limiter> make_redis_limiter(std::string const& redis_url, asio::any_io_executor io,
                                            limiter_settings const& settings, clock const& clock,
                                            redis_limiter_options options) {
  auto seeds = redis::parse_seeds(redis_url);
  return std::make_unique<redis_limiter>(std::move(seeds), std::move(io), settings, clock,
                                         std::move(options));
}

}  // namespace windi
