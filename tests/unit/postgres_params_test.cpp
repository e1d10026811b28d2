#include "store/postgres/connection.hpp"
#include "store/postgres/params.hpp"
#include "support/run_task.hpp"

#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>

#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace windi::pg {
namespace {

TEST(PostgresParams, TextArrayElementsAreQuotedWhateverTheyHold) {
  std::vector<std::string> const values{"plain",      "two words",   "a,b",  "{}",
                                        "say \"hi\"", "back\\slash", "NULL", ""};
  params p;
  p.add_array(values);
  ASSERT_EQ(p.size(), 1);
  EXPECT_STREQ(p.pointers()[0], R"({"plain","two words","a,b","{}","say \"hi\"","back\\slash","NULL",""})");
}

TEST(PostgresParams, AnEmptyTextArrayIsEmptyBraces) {
  params p;
  p.add_array(std::vector<std::string>{});
  EXPECT_STREQ(p.pointers()[0], "{}");
}

TEST(PostgresParams, AnAbsentBigintIsNull) {
  params p(std::optional<std::int64_t>{42}, std::optional<std::int64_t>{});
  ASSERT_EQ(p.size(), 2);
  EXPECT_STREQ(p.pointers()[0], "42");
  EXPECT_EQ(p.pointers()[1], nullptr);
}

TEST(PostgresParams, TextValuesAloneNeedNoLengthsOrFormats) {
  params p(std::int64_t{7}, "text", std::optional<std::string>{});
  EXPECT_FALSE(p.has_binary());
  EXPECT_EQ(p.formats(), (std::vector<int>{0, 0, 0}));
}

TEST(PostgresParams, ABinaryValueKeepsEveryByteWithItsLength) {
  std::string const bytes("a\0b\xff\0", 5);
  params p("text");
  p.add_binary(bytes).add(std::int64_t{42});
  p.add_binary("");
  ASSERT_EQ(p.size(), 4);
  EXPECT_TRUE(p.has_binary());
  EXPECT_EQ(p.formats(), (std::vector<int>{0, 1, 0, 1}));
  EXPECT_EQ(p.lengths()[1], 5);
  EXPECT_EQ(p.lengths()[3], 0);
  EXPECT_EQ(std::string_view(p.pointers()[1], 5), bytes);
  EXPECT_NE(p.pointers()[3], nullptr);  // empty, not NULL
  EXPECT_STREQ(p.pointers()[0], "text");
  EXPECT_STREQ(p.pointers()[2], "42");
}

// Through a real server: every byte value goes out and comes back as it is, beside text parameters and
// results.
TEST(PostgresParams, BinaryByteaRoundTripsThroughTheServer) {
  char const* url = std::getenv("WINDI_TEST_POSTGRES_URL");
  if (url == nullptr || *url == '\0') {
    char const* ci = std::getenv("CI");
    if (ci != nullptr && std::string_view(ci) == "true")
      FAIL() << "WINDI_TEST_POSTGRES_URL is not set under CI";
    GTEST_SKIP() << "WINDI_TEST_POSTGRES_URL is not set (eval \"$(scripts/services start)\")";
  }
  std::string all_bytes;
  for (int i = 0; i < 256; ++i) all_bytes += static_cast<char>(i);
  all_bytes += all_bytes;

  boost::asio::io_context io;
  boost::asio::thread_pool blocking(1);
  auto const deadline = clock::now() + std::chrono::seconds(10);
  auto conn = windi::testing::run_task(
      io, connection::open(url, io.get_executor(), blocking.get_executor(), deadline));
  ASSERT_TRUE(conn) << conn.error().detail;

  static constexpr statement echo{"test_bytea_echo",
                                  "SELECT $1::bytea || $2::text::bytea, length($1::bytea)"};
  static constexpr statement sizes{"test_bytea_length", "SELECT length($1::bytea), $2::text"};
  params args;
  args.add_binary(all_bytes).add("!");
  auto binary =
      windi::testing::run_task(io, (*conn)->query(echo, args, deadline, connection::format::binary));
  ASSERT_TRUE(binary) << binary.error().detail;
  ASSERT_TRUE(binary->ok()) << binary->message();
  ASSERT_TRUE(binary->binary(0));
  EXPECT_EQ(binary->bytes(0, 0), all_bytes + "!");

  // Binary parameters, text results: the same statement machinery as every other query.
  auto text = windi::testing::run_task(io, (*conn)->query(sizes, args, deadline));
  ASSERT_TRUE(text) << text.error().detail;
  ASSERT_TRUE(text->ok()) << text->message();
  EXPECT_FALSE(text->binary(0));
  EXPECT_EQ(text->int64(0, 0), 512);
  EXPECT_EQ(text->text(0, 1), "!");
  conn->reset();
  blocking.join();
}

}  // namespace
}  // namespace windi::pg
