#include "core/auth_service.hpp"

#include "core/validation.hpp"
#include "support/offload.hpp"

namespace windi {

namespace {

// Reloaded this often even without a credentials_changed event (one lost while the bus was down).
constexpr std::chrono::seconds credentials_max_age{60};

}  // namespace

auth_service::auth_service(store& db, bus& events, password_hasher const& hasher, token_service const& tokens,
                           clock const& clock, boost::asio::any_io_executor blocking, limiter& limits)
    : db_(db),
      events_(events),
      credentials_(db, clock, credentials_max_age),
      hasher_(hasher),
      tokens_(tokens),
      clock_(clock),
      blocking_(std::move(blocking)),
      limits_(limits),
      decoy_hash_(hasher.hash("decoy password that nobody has")) {}

task<outcome<user>> auth_service::register_user(std::string username, std::string email, std::string password,
                                                std::optional<std::string> client_address) {
  if (client_address) {
    if (auto wait = co_await limits_.take(bucket_kind::registration, *client_address)) {
      co_return too_many_requests("Too many registrations from this address; try again later", *wait);
    }
  }
  // Sequential checks: GCC 12 miscompiles braced initializer lists inside coroutines.
  if (auto ok = validate_username(username); !ok) co_return ok.error();
  if (auto ok = validate_email(email); !ok) co_return ok.error();
  if (auto ok = validate_password(password); !ok) co_return ok.error();
  auto hash = co_await offload(blocking_, [this, &password] { return hasher_.hash(password); });
  // A named value, not a braced temporary: GCC 12 corrupts aggregates built inside a co_await expression.
  new_user account{std::move(username), std::move(email), std::move(hash), clock_.now()};
  co_return co_await db_.create_user(std::move(account));
}

task<outcome<login_result>> auth_service::login(std::string username, std::string password,
                                                std::string client_address) {
  // Checked before the store and the password, so the answer is the same whether the username exists or not.
  if (auto wait = co_await limits_.login_locked(username, client_address)) {
    count(login_outcome::throttled);
    co_return too_many_requests("Too many failed logins; try again later", *wait);
  }
  auto credentials = co_await db_.find_credentials(username);
  if (!credentials && credentials.error().code != errc::not_found) co_return credentials.error();
  std::string const& hash = credentials ? credentials->password_hash : decoy_hash_;
  bool matches =
      co_await offload(blocking_, [this, &hash, &password] { return hasher_.verify(hash, password); });
  if (!credentials || !matches) {
    co_await limits_.login_failed(username, client_address);
    count(login_outcome::failed);
    co_return fail(errc::unauthorized, "Incorrect username or password");
  }
  co_await limits_.login_succeeded(username, client_address);
  count(login_outcome::ok);
  auto const& account = credentials->account;
  co_return login_result{tokens_.issue(account.id, account.username, credentials->token_generation), account};
}

task<outcome<token_claims>> auth_service::authenticate(std::string token) {
  auto claims = tokens_.verify(token);
  if (!claims) co_return claims.error();
  auto valid = co_await credentials_.check(*claims);
  if (!valid) co_return valid.error();
  co_return std::move(*claims);
}

task<outcome<void>> auth_service::logout(token_claims const& me) {
  auto revoked = co_await db_.revoke_token(me.subject, me.token_id, me.expires_at, clock_.now());
  if (!revoked) {
    if (revoked.error().code == errc::not_found)
      co_return fail(errc::unauthorized, "Could not validate credentials");
    co_return revoked.error();
  }
  publish_credentials_changed(me.subject);
  co_return outcome<void>{};
}

task<outcome<login_result>> auth_service::change_password(token_claims const& me,
                                                          std::string current_password,
                                                          std::string new_password,
                                                          std::string client_address) {
  if (auto wait = co_await limits_.login_locked(me.username, client_address)) {
    co_return too_many_requests("Too many failed attempts; try again later", *wait);
  }
  if (auto ok = validate_password(new_password); !ok) {
    auto refused = ok.error();
    refused.field = "new_password";
    co_return refused;
  }
  auto credentials = co_await db_.find_credentials(me.username);
  if (!credentials && credentials.error().code != errc::not_found) co_return credentials.error();
  if (!credentials || credentials->account.id != me.subject) {
    co_return fail(errc::unauthorized, "Could not validate credentials");
  }
  std::string const& hash = credentials->password_hash;
  bool matches = co_await offload(
      blocking_, [this, &hash, &current_password] { return hasher_.verify(hash, current_password); });
  if (!matches) {
    co_await limits_.login_failed(me.username, client_address);
    co_return fail(errc::forbidden, "Current password is incorrect", "current_password");
  }
  co_await limits_.login_succeeded(me.username, client_address);
  auto new_hash = co_await offload(blocking_, [this, &new_password] { return hasher_.hash(new_password); });
  auto generation = co_await db_.set_password(me.subject, std::move(new_hash));
  if (!generation) co_return generation.error();
  publish_credentials_changed(me.subject);
  auto const& account = credentials->account;
  co_return login_result{tokens_.issue(account.id, account.username, *generation), account};
}

void auth_service::publish_credentials_changed(user_id user) {
  // This process first, at once: the caller's next request must already see the change.
  credentials_.forget(user);
  envelope changed;
  changed.kind = event_kind::credentials_changed;
  changed.audience.push_back(user);
  changed.subject = user;
  events_.publish(std::move(changed));
}

}  // namespace windi
