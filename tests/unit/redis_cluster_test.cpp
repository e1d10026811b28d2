// Slots, hash tags, redirects and the slot map of a Redis Cluster client, against the values the Redis
// Cluster specification gives (tests/contract/redis_cluster_contract_test.cpp checks them against a real
// cluster).
#include "bus/redis_cluster.hpp"

#include <gtest/gtest.h>

namespace windi::redis::cluster {
namespace {

reply integer(long long v) {
  reply r;
  r.type = reply::kind::integer;
  r.integer = v;
  return r;
}
reply text(std::string s) {
  reply r;
  r.type = reply::kind::string;
  r.text = std::move(s);
  return r;
}
reply array(std::vector<reply> items) {
  reply r;
  r.type = reply::kind::array;
  r.elements = std::move(items);
  return r;
}
reply range(long long first, long long last, std::string host, long long port) {
  return array({integer(first), integer(last), array({text(std::move(host)), integer(port), text("id")})});
}

TEST(RedisCluster, SlotsAreCrc16OfTheKeyModulo16384) {
  EXPECT_EQ(key_slot("123456789"), 0x31C3);  // the CRC16/XMODEM check value
  EXPECT_EQ(key_slot("foo"), 12182);
  EXPECT_EQ(key_slot("bar"), 5061);
  EXPECT_EQ(key_slot(""), 0);
}

TEST(RedisCluster, AHashTagPicksTheSlotWhenItIsNotEmpty) {
  EXPECT_EQ(hash_part("{user1000}.following"), "user1000");
  EXPECT_EQ(key_slot("{user1000}.following"), key_slot("{user1000}.followers"));
  EXPECT_EQ(hash_part("foo{}{bar}"), "foo{}{bar}") << "an empty first tag: the whole key";
  EXPECT_EQ(hash_part("foo{{bar}}zap"), "{bar");
  EXPECT_EQ(hash_part("foo{bar}{zap}"), "bar") << "only the first tag counts";
  EXPECT_EQ(hash_part("foo{bar"), "foo{bar") << "no closing brace";
  EXPECT_EQ(key_slot("windi:login:{10.0.0.1}:alice"), key_slot("windi:login:{10.0.0.1}"));
}

TEST(RedisCluster, RedirectsNameTheSlotAndTheNode) {
  auto moved = parse_redirect("MOVED 3999 127.0.0.1:6381");
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->type, redirect::kind::moved);
  EXPECT_EQ(moved->slot, 3999);
  EXPECT_EQ(moved->to, (node{"127.0.0.1", 6381}));
  auto ask = parse_redirect("ASK 16383 ::1:7000");
  ASSERT_TRUE(ask);
  EXPECT_EQ(ask->type, redirect::kind::ask);
  EXPECT_EQ(ask->to, (node{"::1", 7000}));
  for (auto bad : {"ERR unknown command", "MOVED", "MOVED 3999", "MOVED x 1.2.3.4:1", "MOVED 16384 h:1",
                   "MOVED 1 host", "MOVED 1 host:0", "MOVED 1 host:70000", "ASK -1 h:1", "MOVED 1 :6379"}) {
    EXPECT_FALSE(parse_redirect(bad)) << bad;
  }
}

TEST(RedisCluster, TheSlotMapFollowsClusterSlotsAndMoved) {
  auto answer = array({range(0, 5460, "10.0.0.1", 7000), range(5461, 10922, "", 7001),
                       range(10923, 16383, "10.0.0.3", 7002)});
  auto map = slot_map::from_cluster_slots(answer, node{"10.0.0.9", 7001});
  ASSERT_TRUE(map);
  EXPECT_EQ(map->covered(), slot_count);
  EXPECT_EQ(map->master_for(0), (node{"10.0.0.1", 7000}));
  EXPECT_EQ(map->master_for(5461), (node{"10.0.0.9", 7001})) << "no announced address: where we asked";
  EXPECT_EQ(map->master_for(16383), (node{"10.0.0.3", 7002}));
  EXPECT_EQ(map->master_for_key("foo"), (node{"10.0.0.3", 7002}));
  EXPECT_EQ(map->masters().size(), 3u);
  map->moved(0, node{"10.0.0.4", 7003});
  EXPECT_EQ(map->master_for(0), (node{"10.0.0.4", 7003}));
  EXPECT_EQ(map->masters().size(), 4u);
  EXPECT_FALSE(map->master_for(slot_count));
  EXPECT_FALSE(map->master_for(-1));
}

TEST(RedisCluster, AnIncompleteOrMalformedReplyIsNoMap) {
  auto partial = slot_map::from_cluster_slots(array({range(0, 99, "h", 1)}), node{"h", 1});
  ASSERT_TRUE(partial);
  EXPECT_EQ(partial->covered(), 100);
  EXPECT_FALSE(partial->master_for(100));
  node const asked{"h", 1};
  EXPECT_FALSE(slot_map::from_cluster_slots(text("ERR This instance has cluster support disabled"), asked));
  EXPECT_FALSE(slot_map::from_cluster_slots(array({array({integer(0), integer(1)})}), asked));
  EXPECT_FALSE(slot_map::from_cluster_slots(array({range(10, 5, "h", 1)}), asked)) << "first after last";
  EXPECT_FALSE(slot_map::from_cluster_slots(array({range(0, slot_count, "h", 1)}), asked));
  EXPECT_FALSE(slot_map::from_cluster_slots(array({range(0, 1, "h", 0)}), asked));
}

}  // namespace
}  // namespace windi::redis::cluster
