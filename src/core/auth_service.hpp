#pragma once
#include "core/clock.hpp"
#include "core/passwords.hpp"
#include "core/rate_limits.hpp"
#include "core/tokens.hpp"
#include "store/store.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <string>

namespace windi {

struct login_result {
  std::string access_token;
  user account;
};

// Registration, login and token checks. Password hashing runs on `blocking`, never on the caller's thread.
class auth_service {
 public:
  auth_service(store& db, password_hasher const& hasher, token_service const& tokens, clock const& clock,
               boost::asio::any_io_executor blocking, login_throttle& logins, token_buckets& registrations);

  // errc::rate_limited when the client address registered too often lately. No address: a local command (the
  // demo data), not limited.
  task<outcome<user>> register_user(std::string username, std::string email, std::string password,
                                    std::optional<std::string> client_address);
  // errc::unauthorized "Incorrect username or password" for an unknown user or a wrong password alike;
  // errc::rate_limited (before the password is checked) while the username or the client address is throttled
  // after failures.
  task<outcome<login_result>> login(std::string username, std::string password, std::string client_address);
  outcome<token_claims> authenticate(std::string const& token) const { return tokens_.verify(token); }
  token_service const& tokens() const { return tokens_; }

 private:
  store& db_;
  password_hasher const& hasher_;
  token_service const& tokens_;
  clock const& clock_;
  boost::asio::any_io_executor blocking_;
  login_throttle& logins_;
  token_buckets& registrations_;
  std::string decoy_hash_;  // verified against for unknown users, so timing does not reveal who exists
};

}  // namespace windi
