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

TEST(Tokens, EveryTokenHasItsOwnIdAndCarriesTheGeneration) {
  fixed_clock clock;
  token_service tokens("a-test-secret-of-reasonable-length-0123456789", std::chrono::hours(1), clock);
  auto first = tokens.verify(tokens.issue(42, "alice", 3));
  auto second = tokens.verify(tokens.issue(42, "alice", 3));
  ASSERT_TRUE(first);
  ASSERT_TRUE(second);
  EXPECT_EQ(first->token_generation, 3);
  EXPECT_EQ(first->token_id.size(), 32u);
  EXPECT_NE(first->token_id, second->token_id) << "two logins in the same second are still two tokens";
}

TEST(Tokens, TokenWithoutIdIsRefused) {
  fixed_clock clock;
  token_service tokens("a-test-secret-of-reasonable-length-0123456789", std::chrono::hours(1), clock);
  // A correctly signed token without "jti" (as older versions issued) cannot be revoked: it does not count.
  // {"alg":"HS256","typ":"JWT"}.{"exp":1800003600,"iat":1800000000,"sub":"1","username":"alice"}, signed with
  // the secret above.
  std::string const signed_without_id =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
      "eyJleHAiOjE4MDAwMDM2MDAsImlhdCI6MTgwMDAwMDAwMCwic3ViIjoiMSIsInVzZXJuYW1lIjoiYWxpY2UifQ."
      "As9nnMMzH9gnfCEeEVW4EFki7lNP4DrGjVSHh5NH9mo";
  auto claims = tokens.verify(signed_without_id);
  ASSERT_FALSE(claims);
  EXPECT_EQ(claims.error().code, errc::unauthorized);
  // The same claims with an id (and generation 0) are fine.
  std::string const signed_with_id =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
      "eyJleHAiOjE4MDAwMDM2MDAsImdlbiI6MCwiaWF0IjoxODAwMDAwMDAwLCJqdGkiOiIwMTIzNDU2Nzg5YWJjZGVmIiwic3ViIjoiMS"
      "IsInVzZXJuYW1lIjoiYWxpY2UifQ."
      "RqYrssJUueidpiAOmY33MxPGdkeEBAHvNzuNVBJ7Pes";
  auto with_id = tokens.verify(signed_with_id);
  ASSERT_TRUE(with_id);
  EXPECT_EQ(with_id->token_id, "0123456789abcdef");
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
