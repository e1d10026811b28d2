// The Redis bus's message format and URL parsing, which need no Redis.
#include "bus/redis_connection.hpp"
#include "bus/wire.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace windi {
namespace {

TEST(bus_wire, round_trips_chat_kind_change_audience_origin_and_arbitrary_frame_bytes) {
  envelope e;
  e.chat = 0x0102030405060708LL;
  e.kind = event_kind::reactions_changed;
  e.change = INT64_MAX - 1;
  e.subject = -3;
  e.audience = {1, -7, INT64_MAX, INT64_MIN};
  std::string frame;
  for (int i = 0; i < 256; ++i) frame.push_back(static_cast<char>(i));
  e.frame = std::make_shared<std::string const>(frame);
  auto decoded = wire::decode(wire::encode(e, 0xfeedfacecafebeefULL));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->origin, 0xfeedfacecafebeefULL);
  EXPECT_EQ(decoded->message.chat, e.chat);
  EXPECT_EQ(decoded->message.kind, e.kind);
  EXPECT_EQ(decoded->message.change, e.change);
  EXPECT_EQ(decoded->message.subject, e.subject);
  EXPECT_EQ(decoded->message.audience, e.audience);
  EXPECT_EQ(*decoded->message.frame, frame);
}

TEST(bus_wire, rejects_truncated_or_foreign_messages) {
  envelope e;
  e.audience = {1, 2, 3};
  e.frame = std::make_shared<std::string const>("x");
  std::string const bytes = wire::encode(e, 1);
  EXPECT_FALSE(wire::decode(bytes.substr(0, 20)));
  EXPECT_FALSE(wire::decode(""));
  EXPECT_FALSE(wire::decode("{\"json\": true}"));
  std::string huge = bytes;
  huge[34] = huge[35] = huge[36] = huge[37] = '\xff';  // the audience size
  EXPECT_FALSE(wire::decode(huge));
}

TEST(bus_redis_url, reads_host_port_password_and_database) {
  auto ep = redis::parse_url("redis://:s3cret@cache.internal:6380/2");
  EXPECT_EQ(ep.host, "cache.internal");
  EXPECT_EQ(ep.port, 6380);
  EXPECT_EQ(ep.username, "");
  EXPECT_EQ(ep.password, "s3cret");
  EXPECT_EQ(ep.db, 2);
  auto plain = redis::parse_url("redis://127.0.0.1");
  EXPECT_EQ(plain.port, 6379);
  EXPECT_EQ(plain.db, 0);
  EXPECT_TRUE(plain.password.empty());
  auto acl = redis::parse_url("redis://app:pw@[::1]:7000/");
  EXPECT_EQ(acl.host, "::1");
  EXPECT_EQ(acl.username, "app");
  EXPECT_EQ(acl.password, "pw");
}

TEST(bus_redis_url, refuses_what_it_cannot_serve) {
  EXPECT_THROW(redis::parse_url("rediss://host:6379"), std::invalid_argument);
  EXPECT_THROW(redis::parse_url("http://host"), std::invalid_argument);
  EXPECT_THROW(redis::parse_url("redis://host/abc"), std::invalid_argument);
  EXPECT_THROW(redis::parse_url("not a url"), std::invalid_argument);
}

}  // namespace
}  // namespace windi
