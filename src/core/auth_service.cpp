#include "core/auth_service.hpp"

#include "core/validation.hpp"
#include "support/offload.hpp"

namespace windi {

auth_service::auth_service(store& db, password_hasher const& hasher, token_service const& tokens,
                           clock const& clock, boost::asio::any_io_executor blocking, login_throttle& logins,
                           token_buckets& registrations)
    : db_(db),
      hasher_(hasher),
      tokens_(tokens),
      clock_(clock),
      blocking_(std::move(blocking)),
      logins_(logins),
      registrations_(registrations),
      decoy_hash_(hasher.hash("decoy password that nobody has")) {}

task<outcome<user>> auth_service::register_user(std::string username, std::string email, std::string password,
                                                std::optional<std::string> client_address) {
  if (client_address) {
    if (auto wait = registrations_.take(*client_address, clock_.now())) {
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
  if (auto wait = logins_.locked(username, client_address, clock_.now())) {
    co_return too_many_requests("Too many failed logins; try again later", *wait);
  }
  auto credentials = co_await db_.find_credentials(username);
  if (!credentials && credentials.error().code != errc::not_found) co_return credentials.error();
  std::string const& hash = credentials ? credentials->password_hash : decoy_hash_;
  bool matches =
      co_await offload(blocking_, [this, &hash, &password] { return hasher_.verify(hash, password); });
  if (!credentials || !matches) {
    logins_.failed(username, client_address, clock_.now());
    co_return fail(errc::unauthorized, "Incorrect username or password");
  }
  logins_.succeeded(username, client_address);
  auto const& account = credentials->account;
  co_return login_result{tokens_.issue(account.id, account.username), account};
}

}  // namespace windi
