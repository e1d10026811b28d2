#pragma once
#include "core/clock.hpp"
#include "core/passwords.hpp"
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
               boost::asio::any_io_executor blocking);

  task<outcome<user>> register_user(std::string username, std::string email, std::string password);
  // errc::unauthorized "Incorrect username or password" for an unknown user or a wrong password alike.
  task<outcome<login_result>> login(std::string username, std::string password);
  outcome<token_claims> authenticate(std::string const& token) const { return tokens_.verify(token); }
  token_service const& tokens() const { return tokens_; }

 private:
  store& db_;
  password_hasher const& hasher_;
  token_service const& tokens_;
  clock const& clock_;
  boost::asio::any_io_executor blocking_;
  std::string decoy_hash_;  // verified against for unknown users, so timing does not reveal who exists
};

}  // namespace windi
