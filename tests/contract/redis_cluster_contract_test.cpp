// The cluster client's slot arithmetic, slot map and redirect parsing against a real Redis Cluster of three
// masters and three replicas on loopback. Runs where the Redis tests run (WINDI_TEST_REDIS_URL set; required
// when CI=true), since that is where redis-server and redis-cli are installed.
#include "bus/redis_cluster.hpp"
#include "bus/redis_connection.hpp"
#include "contract/redis_cluster_support.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_future.hpp>

#include <cstdlib>
#include <map>

namespace windi::redis::cluster {
namespace {

using namespace windi::testing;
namespace asio = boost::asio;

bool redis_available() {
  char const* url = std::getenv("WINDI_TEST_REDIS_URL");
  return url != nullptr && *url != '\0';
}

bool in_ci() {
  char const* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

std::vector<std::string> args(std::initializer_list<std::string> list) { return list; }

// One connection per node, each used on its own strand, as the server does.
class cluster_contract : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (redis_available()) cluster_ = new redis_cluster();
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }

  void SetUp() override {
    if (!cluster_) {
      if (in_ci()) FAIL() << "WINDI_TEST_REDIS_URL must be set in CI";
      GTEST_SKIP() << "WINDI_TEST_REDIS_URL is not set";
    }
  }

  void TearDown() override {
    for (auto& [port, c] : connections_) {
      asio::co_spawn(strands_.at(port), close(c), asio::use_future).get();
    }
    connections_.clear();
    EXPECT_TRUE(runner_.finish());
  }

  static asio::awaitable<void> close(std::shared_ptr<connection> c) {
    c->close();
    co_return;
  }

  static asio::awaitable<std::optional<reply>> open_and_run(std::shared_ptr<connection> c, std::uint16_t port,
                                                            std::vector<std::string> command) {
    if (!c->is_open()) {
      endpoint ep;
      ep.host = "127.0.0.1";
      ep.port = port;
      if (!co_await c->open(std::move(ep), std::chrono::seconds(2))) co_return std::nullopt;
    }
    co_return co_await c->command(std::move(command), std::chrono::seconds(2));
  }

  // The reply of `command` from the node on `port`.
  reply run(std::uint16_t port, std::vector<std::string> command) {
    if (!connections_.contains(port)) {
      strands_.emplace(port, asio::make_strand(runner_.executor()));
      connections_[port] = std::make_shared<connection>(strands_.at(port), "cluster-test");
    }
    auto answer = asio::co_spawn(strands_.at(port),
                                 open_and_run(connections_[port], port, std::move(command)), asio::use_future)
                      .get();
    if (!answer) throw std::runtime_error("no answer from the node on " + std::to_string(port));
    return *answer;
  }

  slot_map current_map() {
    auto const port = cluster_->ports().front();
    auto map = slot_map::from_cluster_slots(run(port, args({"CLUSTER", "SLOTS"})), node{"127.0.0.1", port});
    if (!map) throw std::runtime_error("CLUSTER SLOTS gave no slot map");
    return *map;
  }

  static redis_cluster* cluster_;
  io_runner runner_;
  std::map<std::uint16_t, strand> strands_;
  std::map<std::uint16_t, std::shared_ptr<connection>> connections_;
};

redis_cluster* cluster_contract::cluster_ = nullptr;

TEST_F(cluster_contract, the_slot_map_covers_every_slot_with_three_masters) {
  auto map = current_map();
  EXPECT_EQ(map.covered(), slot_count);
  EXPECT_EQ(map.masters().size(), 3u);
}

TEST_F(cluster_contract, key_slots_match_what_the_cluster_computes) {
  auto const port = cluster_->ports().front();
  std::vector<std::string> keys{"foo", "bar",  "windi:login:{203.0.113.7}:alice", "windi:chat:{42}",
                                "{}x", "a{b}c"};
  for (int i = 0; i < 50; ++i) keys.push_back("key:" + std::to_string(i * 7919));
  for (auto const& key : keys) {
    auto answer = run(port, args({"CLUSTER", "KEYSLOT", key}));
    ASSERT_EQ(answer.type, reply::kind::integer) << key;
    EXPECT_EQ(answer.integer, key_slot(key)) << key;
  }
}

TEST_F(cluster_contract, the_map_sends_each_key_to_its_master_and_a_wrong_node_answers_moved_to_it) {
  auto map = current_map();
  auto masters = map.masters();
  for (int i = 0; i < 30; ++i) {
    std::string const key = "windi-test:" + std::to_string(i);
    auto const right = map.master_for_key(key);
    ASSERT_TRUE(right);
    auto stored = run(right->port, args({"SET", key, "v"}));
    EXPECT_EQ(stored.type, reply::kind::status) << key << ": " << stored.text;
    auto const wrong =
        *std::find_if(masters.begin(), masters.end(), [&](node const& n) { return n != *right; });
    auto refused = run(wrong.port, args({"GET", key}));
    ASSERT_EQ(refused.type, reply::kind::error) << key;
    auto moved = parse_redirect(refused.text);
    ASSERT_TRUE(moved) << refused.text;
    EXPECT_EQ(moved->type, redirect::kind::moved);
    EXPECT_EQ(moved->slot, key_slot(key));
    EXPECT_EQ(moved->to, *right);
  }
}

}  // namespace
}  // namespace windi::redis::cluster
