// Inputs the fuzz targets (tests/fuzz) found, kept as regular tests so the fast suite keeps them fixed.
#include "core/tokens.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace windi {
namespace {

class fixed_clock final : public clock {
 public:
  micros now() const override { return now_; }
  micros now_ = 1'767'225'600'000'000;  // 2026-01-01
};

constexpr char secret[] = "fuzz-regression-secret-0123456789abcdef";

// fuzz_token: a correctly signed token whose "exp" (in seconds) times 1,000,000 overflows the microseconds it
// is compared in (signed overflow, undefined behaviour; UBSan aborts). It is refused as malformed.
TEST(FuzzRegressions, TokenWithAnExpiryBeyondMicrosecondsIsRefused) {
  fixed_clock clock;
  token_service issuer(secret, std::chrono::seconds(17'671'767'312'000), clock);
  token_service tokens(secret, std::chrono::hours(1), clock);
  auto claims = tokens.verify(issuer.issue(1, "alice"));
  ASSERT_FALSE(claims);
  EXPECT_EQ(claims.error().code, errc::unauthorized);
}

TEST(FuzzRegressions, TokenExpiringAtTheLastRepresentableSecondVerifies) {
  fixed_clock clock;
  auto const last_second = std::numeric_limits<micros>::max() / 1'000'000;
  token_service issuer(secret, std::chrono::seconds(last_second - clock.now_ / 1'000'000), clock);
  token_service tokens(secret, std::chrono::hours(1), clock);
  auto claims = tokens.verify(issuer.issue(1, "alice"));
  ASSERT_TRUE(claims);
  EXPECT_EQ(claims->expires_at, last_second * 1'000'000);
}

// fuzz_token: libjwt reads the token as a C string, so a valid token followed by a NUL and anything else (as
// ?token=<token>%00junk decodes to) passed as that token. A token is base64url and dots only.
TEST(FuzzRegressions, ValidTokenFollowedByANulAndJunkIsRefused) {
  fixed_clock clock;
  token_service tokens(secret, std::chrono::hours(1), clock);
  auto token = tokens.issue(1, "alice");
  ASSERT_TRUE(tokens.verify(token));
  auto claims = tokens.verify(token + std::string("\0junk", 5));
  ASSERT_FALSE(claims);
  EXPECT_EQ(claims.error().code, errc::unauthorized);
  EXPECT_FALSE(tokens.verify(token + " "));
  EXPECT_FALSE(tokens.verify(" " + token));
}

}  // namespace
}  // namespace windi
