// One contract over every bus: the in-process one, Redis on a single node, and a Redis Cluster of three
// masters with a replica each (two bus instances stand for two server processes). The Redis ones run only
// when WINDI_TEST_REDIS_URL is set (required when CI=true).
#include "bus/bus.hpp"
#include "bus/redis_cluster.hpp"
#include "contract/bus_support.hpp"
#include "contract/redis_cluster_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <mutex>
#include <ostream>
#include <random>

namespace windi {
namespace {

using namespace windi::testing;

struct bus_backend {
  std::string name;
  bool cross_process = false;  // instances share deliveries and presence
  bool cluster = false;
};

void PrintTo(bus_backend const& backend, std::ostream* out) { *out << backend.name; }

std::string redis_url_from_env() {
  char const* url = std::getenv("WINDI_TEST_REDIS_URL");
  return url != nullptr ? url : "";
}

bool in_ci() {
  char const* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

std::uint64_t random_number() {
  static std::mt19937_64 generator{std::random_device{}()};
  return generator();
}

class bus_contract : public ::testing::TestWithParam<bus_backend> {
 protected:
  void SetUp() override {
    if (GetParam().cross_process) {
      url_ = redis_url_from_env();
      if (url_.empty()) {
        if (in_ci()) FAIL() << "WINDI_TEST_REDIS_URL must be set in CI";
        GTEST_SKIP() << "WINDI_TEST_REDIS_URL is not set";
      }
      if (GetParam().cluster) url_ = redis_cluster::shared().urls();
    }
    // A namespace of our own: other tests and servers may share this Redis.
    options_.key_prefix = "windi-test-" + std::to_string(random_number());
    base_user_ = static_cast<user_id>(random_number() % 1'000'000'000) + 1'000'000;
  }

  void TearDown() override {
    for (auto& b : buses_) b->stop();
    buses_.clear();
    EXPECT_TRUE(runner_.finish()) << "the io_context still had work after every bus stopped";
  }

  // A bus instance ("a server process"), started and connected, delivering into `box`.
  bus& add_bus(inbox& box, std::string const& url = {}) {
    std::unique_ptr<bus> b = GetParam().cross_process
                                 ? make_redis_bus(url.empty() ? url_ : url, runner_.executor(), options_)
                                 : make_local_bus(runner_.executor());
    b->on_deliver(box.sink());
    b->on_gone_offline([this](std::vector<user_id> users) {
      std::lock_guard lock(gone_mutex_);
      gone_offline_.insert(gone_offline_.end(), users.begin(), users.end());
    });
    b->start();
    EXPECT_TRUE(eventually([&] { return b->health().ok; })) << b->health().detail;
    buses_.push_back(std::move(b));
    return *buses_.back();
  }

  bool cross_process() const { return GetParam().cross_process; }
  std::size_t times_gone_offline(user_id user) {
    std::lock_guard lock(gone_mutex_);
    return std::count(gone_offline_.begin(), gone_offline_.end(), user);
  }
  bool single_node() const { return cross_process() && !GetParam().cluster; }

  io_runner runner_;
  std::string url_;
  redis_bus_options options_;
  user_id base_user_ = 0;
  std::vector<std::unique_ptr<bus>> buses_;
  std::mutex gone_mutex_;
  std::vector<user_id> gone_offline_;  // every bus's on_gone_offline, together
};

TEST_P(bus_contract, delivers_every_envelope_with_its_chat_change_audience_and_exact_bytes) {
  inbox box;
  bus& b = add_bus(box);
  std::string binary("\0\xff{\"type\":\"new_message\"}\r\n", 26);
  auto first = make_envelope({base_user_, -1, 0, INT64_MAX}, binary);
  first.chat = 42;
  first.kind = event_kind::message_edited;
  first.change = 7;
  b.publish(std::move(first));
  b.publish(make_envelope({}, "second"));
  b.publish(make_envelope({base_user_}, ""));
  ASSERT_TRUE(box.wait_for(3));
  auto got = box.all();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(*got[0].frame, binary);
  EXPECT_EQ(got[0].audience, (std::vector<user_id>{base_user_, -1, 0, INT64_MAX}));
  EXPECT_EQ(got[0].chat, 42);
  EXPECT_EQ(got[0].kind, event_kind::message_edited);
  EXPECT_EQ(got[0].change, 7);
  EXPECT_EQ(*got[1].frame, "second");
  EXPECT_TRUE(got[1].audience.empty());
  EXPECT_EQ(*got[2].frame, "");
}

TEST_P(bus_contract, keeps_the_publish_order) {
  inbox box;
  bus& b = add_bus(box);
  for (int i = 0; i < 200; ++i) b.publish(make_envelope({base_user_}, std::to_string(i)));
  ASSERT_TRUE(box.wait_for(200));
  auto got = box.all();
  for (int i = 0; i < 200; ++i) EXPECT_EQ(*got[i].frame, std::to_string(i));
}

TEST_P(bus_contract, each_process_delivers_each_envelope_exactly_once_including_its_own) {
  inbox box_a, box_b;
  bus& a = add_bus(box_a);
  bus& b = add_bus(box_b);
  for (int i = 0; i < 20; ++i) {
    a.publish(make_envelope({base_user_}, "from a " + std::to_string(i)));
    b.publish(make_envelope({base_user_ + 1}, "from b " + std::to_string(i)));
  }
  std::size_t const expected = cross_process() ? 40 : 20;
  ASSERT_TRUE(box_a.wait_for(expected));
  ASSERT_TRUE(box_b.wait_for(expected));
  // A duplicate (say, the echo of our own message from Redis) would arrive shortly after the originals.
  std::this_thread::sleep_for(300ms);
  for (int i = 0; i < 20; ++i) {
    std::string const from_a = "from a " + std::to_string(i), from_b = "from b " + std::to_string(i);
    EXPECT_EQ(box_a.count(from_a), 1u) << from_a;
    EXPECT_EQ(box_b.count(from_b), 1u) << from_b;
    EXPECT_EQ(box_a.count(from_b), cross_process() ? 1u : 0u) << from_b;
    EXPECT_EQ(box_b.count(from_a), cross_process() ? 1u : 0u) << from_a;
  }
}

TEST_P(bus_contract, presence_counts_connections_across_processes) {
  inbox box_a, box_b;
  bus& a = add_bus(box_a);
  bus& b = cross_process() ? add_bus(box_b) : a;
  user_id const user = base_user_;
  EXPECT_TRUE(await_on(runner_, a.connected(user, "conn-1")));
  EXPECT_FALSE(await_on(runner_, b.connected(user, "conn-2")));
  EXPECT_EQ(await_on(runner_, b.online_among({user, user + 1})), std::vector<user_id>{user});
  EXPECT_EQ(await_on(runner_, a.online_among({user + 1, user})), std::vector<user_id>{user});
  EXPECT_FALSE(await_on(runner_, a.disconnected(user, "conn-1")));
  EXPECT_EQ(await_on(runner_, a.online_among({user})), std::vector<user_id>{user});
  EXPECT_TRUE(await_on(runner_, b.disconnected(user, "conn-2")));
  EXPECT_TRUE(await_on(runner_, a.online_among({user})).empty());
  EXPECT_TRUE(await_on(runner_, b.online_among({})).empty());
}

TEST_P(bus_contract, a_second_connection_of_a_user_is_not_a_transition) {
  inbox box;
  bus& b = add_bus(box);
  user_id const user = base_user_;
  EXPECT_TRUE(await_on(runner_, b.connected(user, "one")));
  EXPECT_FALSE(await_on(runner_, b.connected(user, "two")));
  EXPECT_FALSE(await_on(runner_, b.disconnected(user, "two")));
  EXPECT_FALSE(await_on(runner_, b.disconnected(user, "unknown")));
  EXPECT_TRUE(await_on(runner_, b.disconnected(user, "one")));
  EXPECT_FALSE(await_on(runner_, b.disconnected(user, "one")));
  EXPECT_TRUE(await_on(runner_, b.connected(user, "three")));
}

TEST_P(bus_contract, a_crashed_process_users_go_offline_by_themselves) {
  if (!cross_process()) GTEST_SKIP() << "an in-process bus has no other process";
  options_.presence_ttl = 600ms;
  options_.presence_refresh = 150ms;
  inbox box_a, box_b;
  bus& a = add_bus(box_a);
  bus& b = add_bus(box_b);
  user_id const user = base_user_;
  EXPECT_TRUE(await_on(runner_, a.connected(user, "conn")));
  // Refreshed while its process lives: still online well past one lifetime.
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(await_on(runner_, b.online_among({user})), std::vector<user_id>{user});
  user_id const elsewhere_too = base_user_ + 1;  // also connected on b: never offline
  EXPECT_TRUE(await_on(runner_, a.connected(elsewhere_too, "conn")));
  EXPECT_TRUE(await_on(runner_, b.connected(elsewhere_too, "conn")) == false);
  // A stopped bus no longer refreshes, as if its process had crashed without saying goodbye.
  auto const missed_before = box_b.count(event_kind::events_missed);
  a.stop();
  EXPECT_TRUE(eventually([&] { return await_on(runner_, b.online_among({user})).empty(); }, 3s));
  // The survivor finds the lost process and says who went offline with it, once.
  EXPECT_TRUE(eventually([&] { return times_gone_offline(user) == 1; }, 5s));
  // It may have died between storing changes and publishing them: the survivor's connections resync.
  EXPECT_GT(box_b.count(event_kind::events_missed), missed_before);
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(times_gone_offline(user), 1u);
  EXPECT_EQ(times_gone_offline(elsewhere_too), 0u) << "still connected on b";
  EXPECT_TRUE(await_on(runner_, b.connected(user, "elsewhere")));
}

TEST_P(bus_contract, survives_a_redis_restart) {
  if (!single_node()) GTEST_SKIP() << "one Redis node restarting (a cluster: the failover test)";
  redis_process redis;
  inbox box_a, box_b;
  bus& a = add_bus(box_a, redis.url());
  bus& b = add_bus(box_b, redis.url());
  a.publish(make_envelope({base_user_}, "before"));
  ASSERT_TRUE(box_b.wait_for_frame("before"));
  // A process that starts tells those already running, whose connections resync: it may replace one that
  // was killed between storing changes and publishing them. It hears nothing of its own start.
  EXPECT_TRUE(eventually([&] { return box_a.count(event_kind::events_missed) == 1; }));
  EXPECT_EQ(box_b.count(event_kind::events_missed), 0u);
  auto const a_missed_before = box_a.count(event_kind::events_missed);

  redis.stop();
  ASSERT_TRUE(eventually([&] { return !a.health().ok && !b.health().ok; }));
  // Publishing neither blocks nor fails: this process's own connections still get the event at once.
  auto const started = steady::now();
  a.publish(make_envelope({base_user_}, "during"));
  EXPECT_LT(steady::now() - started, 50ms);
  EXPECT_TRUE(box_a.wait_for_frame("during", 1s));
  // Presence falls back to this process's count and never hangs.
  auto const asked = steady::now();
  EXPECT_TRUE(await_on(runner_, a.connected(base_user_, "conn")));
  EXPECT_EQ(await_on(runner_, a.online_among({base_user_})), std::vector<user_id>{base_user_});
  EXPECT_LT(steady::now() - asked, 2500ms);

  redis.start();
  // Delivery across processes resumes by itself, both ways, within a few seconds.
  EXPECT_TRUE(eventually([&] { return a.health().ok && b.health().ok; }, 8s)) << a.health().detail;
  int round = 0;
  EXPECT_TRUE(eventually(
      [&] {
        std::string const frame = "after " + std::to_string(round++);
        a.publish(make_envelope({base_user_}, frame));
        return box_b.wait_for_frame(frame, 100ms);
      },
      8s));
  b.publish(make_envelope({base_user_}, "back"));
  EXPECT_TRUE(box_a.wait_for_frame("back"));
  EXPECT_EQ(box_b.count("during"), 0u);
  EXPECT_EQ(box_a.count("during"), 1u);
  // What never arrived is announced, so that connections resync from the store: each process lost its
  // subscription, and `a` also dropped a copy.
  EXPECT_GE(box_b.count(event_kind::events_missed), 1u);
  EXPECT_GT(box_a.count(event_kind::events_missed), a_missed_before);
  // The connection made while Redis was down was registered in the fresh Redis on reconnection.
  EXPECT_FALSE(await_on(runner_, b.connected(base_user_, "other")));
}

TEST_P(bus_contract, presence_never_hangs_on_a_redis_that_stopped_answering) {
  if (!single_node()) GTEST_SKIP() << "one Redis node hanging";
  redis_process redis;
  inbox box;
  bus& a = add_bus(box, redis.url());
  redis.freeze();
  auto const asked = steady::now();
  EXPECT_TRUE(await_on(runner_, a.connected(base_user_, "conn")));
  EXPECT_EQ(await_on(runner_, a.online_among({base_user_})), std::vector<user_id>{base_user_});
  EXPECT_LT(steady::now() - asked, 3s);
  a.publish(make_envelope({base_user_}, "while frozen"));
  EXPECT_TRUE(box.wait_for_frame("while frozen", 1s));
  redis.thaw();
  // Once it answers again, presence goes through Redis (which by then has heard of the first connection).
  EXPECT_TRUE(eventually([&] { return a.health().ok; }));
  EXPECT_FALSE(await_on(runner_, a.connected(base_user_, "second")));
  EXPECT_EQ(box.count("while frozen"), 1u);
}

envelope chat_message(chat_id chat, user_id to, std::string frame) {
  auto e = make_envelope({to}, std::move(frame));
  e.chat = chat;
  e.kind = event_kind::message_created;
  e.change = 1;
  return e;
}

TEST_P(bus_contract, a_chats_events_reach_only_the_processes_that_follow_it) {
  if (!cross_process()) GTEST_SKIP() << "one process has every chat's events";
  inbox box_a, box_b;
  bus& a = add_bus(box_a);
  bus& b = add_bus(box_b);
  chat_id const chat = 7;
  // A signal that reaches every process marks the point up to which b has heard everything of a.
  auto heard_up_to = [&](std::string const& marker) {
    auto signal = make_envelope({base_user_}, marker);
    signal.kind = event_kind::presence;
    a.publish(std::move(signal));
    return box_b.wait_for_frame(marker);
  };
  a.publish(chat_message(chat, base_user_, "unfollowed"));
  ASSERT_TRUE(heard_up_to("mark 1"));
  EXPECT_EQ(box_b.count("unfollowed"), 0u) << "b follows no chat";
  EXPECT_TRUE(box_a.wait_for_frame("unfollowed")) << "the publisher's own connections get it all the same";

  await_on(runner_, b.follow({chat, chat + 1}));
  await_on(runner_, b.follow({chat}));
  a.publish(chat_message(chat, base_user_, "followed"));
  EXPECT_TRUE(box_b.wait_for_frame("followed")) << "from the moment follow() completed";

  b.unfollow({chat});
  a.publish(chat_message(chat, base_user_, "followed twice, unfollowed once"));
  EXPECT_TRUE(box_b.wait_for_frame("followed twice, unfollowed once"));

  b.unfollow({chat, chat + 1});
  std::this_thread::sleep_for(300ms);  // the unsubscription is not waited for
  a.publish(chat_message(chat, base_user_, "unfollowed again"));
  ASSERT_TRUE(heard_up_to("mark 2"));
  EXPECT_EQ(box_b.count("unfollowed again"), 0u);

  auto joined = chat_message(chat, base_user_, "member added");
  joined.kind = event_kind::member_added;
  a.publish(std::move(joined));
  EXPECT_TRUE(box_b.wait_for_frame("member added")) << "membership changes reach every process";
}

TEST_P(bus_contract, followed_chats_come_back_after_a_redis_restart) {
  if (!single_node()) GTEST_SKIP() << "one Redis node restarting (a cluster: the failover test)";
  redis_process redis;
  inbox box_a, box_b;
  bus& a = add_bus(box_a, redis.url());
  bus& b = add_bus(box_b, redis.url());
  await_on(runner_, b.follow({11}));
  redis.stop();
  redis.start();
  ASSERT_TRUE(eventually([&] { return a.health().ok && b.health().ok; }, 15s));
  EXPECT_TRUE(eventually(
      [&] {
        a.publish(chat_message(11, base_user_, "after the restart"));
        return box_b.wait_for_frame("after the restart", 200ms);
      },
      15s));
}

TEST_P(bus_contract, a_single_node_that_may_not_run_cluster_commands_is_used_as_one) {
  if (!single_node()) GTEST_SKIP() << "one Redis node of its own";
  // As a managed Redis may be: CLUSTER renamed away (or refused by an ACL).
  redis_process redis({"--rename-command", "CLUSTER", ""});
  inbox box_a, box_b;
  bus& a = add_bus(box_a, redis.url());
  bus& b = add_bus(box_b, redis.url());
  a.publish(make_envelope({base_user_}, "through a node without CLUSTER"));
  EXPECT_TRUE(box_b.wait_for_frame("through a node without CLUSTER"));
  EXPECT_TRUE(await_on(runner_, a.connected(base_user_, "conn")));
  EXPECT_FALSE(await_on(runner_, b.connected(base_user_, "other")));
}

TEST_P(bus_contract, a_lost_cluster_master_fails_over_and_fan_out_and_presence_come_back) {
  if (!GetParam().cluster) GTEST_SKIP() << "a failover needs a cluster";
  redis_cluster cluster;  // of its own: a master of it dies
  options_.presence_ttl = 2s;
  options_.presence_refresh = 500ms;
  inbox box_a, box_b;
  bus& a = add_bus(box_a, cluster.urls());
  bus& b = add_bus(box_b, cluster.urls());
  // Two chats: the one whose shard dies, and one whose shard lives on.
  chat_id const doomed = 5, other = 7;
  int const doomed_slot = redis::cluster::key_slot(std::to_string(doomed));
  auto const victim = cluster.master_for_slot(doomed_slot);
  ASSERT_NE(victim, 0);
  ASSERT_NE(cluster.master_for_slot(redis::cluster::key_slot(std::to_string(other))), victim)
      << "the chats were chosen to live on different masters";
  await_on(runner_, b.follow({doomed, other}));
  EXPECT_TRUE(await_on(runner_, a.connected(base_user_, "conn")));
  a.publish(chat_message(doomed, base_user_, "before"));
  ASSERT_TRUE(box_b.wait_for_frame("before"));

  cluster.node_at(victim).stop();
  ASSERT_TRUE(cluster.failed_over(doomed_slot, victim, 30s)) << "the replica did not take over";
  // Without anyone's help: both processes find the new master, subscribe again, and fan-out resumes.
  EXPECT_TRUE(eventually([&] { return a.health().ok && b.health().ok; }, 20s)) << b.health().detail;
  for (chat_id chat : {doomed, other}) {
    int round = 0;
    EXPECT_TRUE(eventually(
        [&] {
          std::string const frame = "after " + std::to_string(chat) + " " + std::to_string(round++);
          a.publish(chat_message(chat, base_user_, frame));
          return box_b.wait_for_frame(frame, 200ms);
        },
        20s))
        << "chat " << chat;
  }
  auto joined = chat_message(doomed, base_user_, "member added after");
  joined.kind = event_kind::member_added;
  b.publish(std::move(joined));
  EXPECT_TRUE(box_a.wait_for_frame("member added after"));
  // Presence is right again within its expiry: the user connected on a is online, whichever node lost its
  // key.
  EXPECT_TRUE(eventually(
      [&] { return await_on(runner_, b.online_among({base_user_})) == std::vector<user_id>{base_user_}; },
      5s));
  EXPECT_FALSE(await_on(runner_, b.connected(base_user_, "elsewhere"))) << "a's connection still counts";
}

INSTANTIATE_TEST_SUITE_P(backends, bus_contract,
                         ::testing::Values(bus_backend{"local", false, false},
                                           bus_backend{"redis", true, false},
                                           bus_backend{"cluster", true, true}),
                         [](auto const& info) { return info.param.name; });

}  // namespace
}  // namespace windi
