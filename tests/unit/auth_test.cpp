#include "core/passwords.hpp"
#include "core/tokens.hpp"

#include <gtest/gtest.h>

namespace windi {
namespace {

class fixed_clock final : public clock {
 public:
  micros now() const override { return now_; }
  micros now_ = 1'800'000'000'000'000;
};

TEST(Tokens, IssuedTokenVerifiesWithItsClaims) {
  fixed_clock clock;
  token_service tokens("a-test-secret-of-reasonable-length-0123456789", std::chrono::hours(1), clock);
  auto claims = tokens.verify(tokens.issue(42, "alice"));
  ASSERT_TRUE(claims);
  EXPECT_EQ(claims->subject, 42);
  EXPECT_EQ(claims->username, "alice");
}

TEST(Tokens, ExpiredTokenIsRefused) {
  fixed_clock clock;
  token_service tokens("a-test-secret-of-reasonable-length-0123456789", std::chrono::minutes(5), clock);
  auto token = tokens.issue(1, "bob");
  clock.now_ += std::chrono::microseconds(std::chrono::minutes(5)).count();
  auto claims = tokens.verify(token);
  ASSERT_FALSE(claims);
  EXPECT_EQ(claims.error().code, errc::unauthorized);
}

TEST(Tokens, TokenFromAnotherSecretIsRefused) {
  fixed_clock clock;
  token_service ours("our-secret-our-secret-our-secret-0123456789", std::chrono::hours(1), clock);
  token_service theirs("their-secret-their-secret-their-secret-0123", std::chrono::hours(1), clock);
  EXPECT_FALSE(ours.verify(theirs.issue(1, "mallory")));
}

TEST(Tokens, UnsignedAndMalformedTokensAreRefused) {
  fixed_clock clock;
  token_service tokens("a-test-secret-of-reasonable-length-0123456789", std::chrono::hours(1), clock);
  // {"alg":"none","typ":"JWT"}.{"sub":"1","username":"alice","exp":9999999999}.
  std::string unsigned_token =
      "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."
      "eyJzdWIiOiIxIiwidXNlcm5hbWUiOiJhbGljZSIsImV4cCI6OTk5OTk5OTk5OX0.";
  EXPECT_FALSE(tokens.verify(unsigned_token));
  EXPECT_FALSE(tokens.verify(""));
  EXPECT_FALSE(tokens.verify("not-a-token"));
  EXPECT_FALSE(tokens.verify("a.b.c"));
  auto good = tokens.issue(7, "eve");
  auto tampered = good;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(tokens.verify(tampered));
}

TEST(Passwords, Argon2idHashVerifiesOnlyTheRightPassword) {
  argon2id_hasher hasher(2, 19u << 20);
  auto hash = hasher.hash("password123");
  EXPECT_EQ(hash.rfind("$argon2id$", 0), 0u) << hash;
  EXPECT_NE(hash.find("m=19456,t=2,p=1"), std::string::npos) << hash;
  EXPECT_TRUE(hasher.verify(hash, "password123"));
  EXPECT_FALSE(hasher.verify(hash, "password124"));
  EXPECT_NE(hasher.hash("password123"), hash) << "each hash has its own salt";
}

}  // namespace
}  // namespace windi
