#include "http/byte_range.hpp"

#include <gtest/gtest.h>

namespace windi::http {
namespace {

using kind = range_choice::kind;

TEST(ByteRange, AClosedRangeIsServedAsAPart) {
  auto r = choose_range("bytes=0-99", 1000);
  EXPECT_EQ(r.is, kind::part);
  EXPECT_EQ(r.offset, 0u);
  EXPECT_EQ(r.length, 100u);
}

TEST(ByteRange, AnOpenRangeRunsToTheEnd) {
  auto r = choose_range("bytes=900-", 1000);
  EXPECT_EQ(r.is, kind::part);
  EXPECT_EQ(r.offset, 900u);
  EXPECT_EQ(r.length, 100u);
}

TEST(ByteRange, ASuffixIsTheLastBytes) {
  auto r = choose_range("bytes=-10", 1000);
  EXPECT_EQ(r.is, kind::part);
  EXPECT_EQ(r.offset, 990u);
  EXPECT_EQ(r.length, 10u);
  auto longer = choose_range("bytes=-5000", 1000);
  EXPECT_EQ(longer.offset, 0u);
  EXPECT_EQ(longer.length, 1000u);
}

TEST(ByteRange, AnEndPastTheFileIsCut) {
  auto r = choose_range("bytes=500-99999", 1000);
  EXPECT_EQ(r.is, kind::part);
  EXPECT_EQ(r.length, 500u);
}

TEST(ByteRange, AStartAtOrPastTheEndIsUnsatisfiable) {
  EXPECT_EQ(choose_range("bytes=1000-", 1000).is, kind::unsatisfiable);
  EXPECT_EQ(choose_range("bytes=5000-6000", 1000).is, kind::unsatisfiable);
  EXPECT_EQ(choose_range("bytes=-0", 1000).is, kind::unsatisfiable);
}

TEST(ByteRange, SeveralRangesOrNonsenseGetTheWholeFile) {
  for (auto header : {"bytes=0-1,5-6", "bytes=9-3", "items=0-1", "bytes=", "bytes=a-b", "bytes=1", "",
                      "bytes=-", "bytes=+1-2", "bytes=99999999999999999999999-"}) {
    EXPECT_EQ(choose_range(header, 1000).is, kind::whole) << header;
  }
}

}  // namespace
}  // namespace windi::http
