#include "store/postgres/params.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <string>
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

}  // namespace
}  // namespace windi::pg
