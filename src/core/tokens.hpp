#pragma once
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/types.hpp"

#include <chrono>
#include <string>

namespace windi {

struct token_claims {
  user_id subject = 0;
  std::string username;
  micros expires_at = 0;
  std::string token_id;               // "jti": random, names this token for revocation (logout)
  std::int64_t token_generation = 0;  // "gen": the user's token generation when issued (password changes)
};

// JWT HS256 through libjwt. The algorithm is pinned: a token signed any other way (or "none") is refused.
class token_service {
 public:
  token_service(std::string secret, std::chrono::seconds ttl, clock const& clock);
  std::string issue(user_id subject, std::string const& username, std::int64_t token_generation = 0) const;
  // errc::unauthorized for malformed, forged, wrongly signed or expired tokens, and for tokens without an id.
  // Whether the token was revoked is the credentials cache's question (core/credentials_cache.hpp).
  outcome<token_claims> verify(std::string const& token) const;
  std::chrono::seconds ttl() const { return ttl_; }

 private:
  std::string secret_;
  std::chrono::seconds ttl_;
  clock const& clock_;
};

}  // namespace windi
