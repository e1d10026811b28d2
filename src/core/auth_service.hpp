#pragma once
#include "bus/bus.hpp"
#include "core/clock.hpp"
#include "core/credentials_cache.hpp"
#include "core/limiter.hpp"
#include "core/passwords.hpp"
#include "core/tokens.hpp"
#include "store/store.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

namespace windi {

// How a login attempt ended, counted for the metrics.
enum class login_outcome { ok = 0, failed = 1, throttled = 2 };

struct login_result {
  std::string access_token;
  user account;
};

// Registration, login, token checks and revocation. Password hashing runs on `blocking`, never on the
// caller's thread.
class auth_service {
 public:
  auth_service(store& db, bus& events, password_hasher const& hasher, token_service const& tokens,
               clock const& clock, boost::asio::any_io_executor blocking, limiter& limits);

  // errc::rate_limited when the client address registered too often lately. No address: a local command (the
  // demo data), not limited.
  task<outcome<user>> register_user(std::string username, std::string email, std::string password,
                                    std::optional<std::string> client_address);
  // errc::unauthorized "Incorrect username or password" for an unknown user or a wrong password alike;
  // errc::rate_limited (before the password is checked) while the username or the client address is throttled
  // after failures.
  task<outcome<login_result>> login(std::string username, std::string password, std::string client_address);
  // errc::unauthorized for a token that is malformed, forged, expired, revoked, issued before the last
  // password change, or whose user does not exist. No store query once the user's credentials are cached.
  task<outcome<token_claims>> authenticate(std::string token);
  // Whether claims verified earlier still count (a connection's, after credentials_changed).
  task<outcome<void>> still_valid(token_claims const& claims) { return credentials_.check(claims); }
  // Revokes this one token, on every process: it gets 401 from now on and its WebSockets close.
  task<outcome<void>> logout(token_claims const& me);
  // Checks the current password (throttled like logins), stores the new one and revokes every token issued
  // before; returns a fresh token so the caller stays signed in. errc::forbidden on "current_password" for a
  // wrong current password, errc::validation on "new_password".
  task<outcome<login_result>> change_password(token_claims const& me, std::string current_password,
                                              std::string new_password, std::string client_address);
  // What this process cached of the user's credentials is stale (the bus's credentials_changed).
  void forget_credentials(user_id user) { credentials_.forget(user); }
  token_service const& tokens() const { return tokens_; }
  // Login attempts by outcome (logins only; other password checks are not counted).
  std::uint64_t login_outcomes(login_outcome o) const {
    return outcomes_[static_cast<int>(o)].load(std::memory_order_relaxed);
  }

 private:
  // Tells every process (this one included) to forget the user's cached credentials and to check the
  // tokens of the user's connections again.
  void publish_credentials_changed(user_id user);
  void count(login_outcome o) { outcomes_[static_cast<int>(o)].fetch_add(1, std::memory_order_relaxed); }

  store& db_;
  bus& events_;
  credentials_cache credentials_;
  password_hasher const& hasher_;
  token_service const& tokens_;
  clock const& clock_;
  boost::asio::any_io_executor blocking_;
  limiter& limits_;
  std::array<std::atomic<std::uint64_t>, 3> outcomes_{};
  std::string decoy_hash_;  // verified against for unknown users, so timing does not reveal who exists
};

}  // namespace windi
