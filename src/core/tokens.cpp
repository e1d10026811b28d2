#include "core/tokens.hpp"

#include "support/random_hex.hpp"

#include <jwt.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <limits>
#include <memory>
#include <stdexcept>

namespace windi {
namespace {

struct jwt_deleter {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using jwt_ptr = std::unique_ptr<jwt_t, jwt_deleter>;

failure invalid() { return fail(errc::unauthorized, "Could not validate credentials"); }

// Three base64url segments joined by dots, as issued. libjwt reads a C string: without this, a valid token
// followed by a NUL (e.g. ?token=<token>%00anything) and any bytes would pass as the token.
bool base64url_and_dots(std::string const& token) {
  return std::all_of(token.begin(), token.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

}  // namespace

token_service::token_service(std::string secret, std::chrono::seconds ttl, clock const& clock)
    : secret_(std::move(secret)), ttl_(ttl), clock_(clock) {
  if (secret_.empty()) throw std::invalid_argument("token_service needs a secret");
}

std::string token_service::issue(user_id subject, std::string const& username,
                                 std::int64_t token_generation) const {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) throw std::bad_alloc();
  jwt_ptr token(raw);
  auto now_s = clock_.now() / 1'000'000;
  jwt_add_grant(token.get(), "sub", std::to_string(subject).c_str());
  jwt_add_grant(token.get(), "username", username.c_str());
  jwt_add_grant_int(token.get(), "iat", static_cast<long>(now_s));
  jwt_add_grant_int(token.get(), "exp", static_cast<long>(now_s + ttl_.count()));
  jwt_add_grant(token.get(), "jti", random_hex(16).c_str());
  jwt_add_grant_int(token.get(), "gen", static_cast<long>(token_generation));
  jwt_set_alg(token.get(), JWT_ALG_HS256, reinterpret_cast<unsigned char const*>(secret_.data()),
              static_cast<int>(secret_.size()));
  std::unique_ptr<char, decltype(&std::free)> encoded(jwt_encode_str(token.get()), &std::free);
  if (!encoded) throw std::runtime_error("jwt_encode_str failed");
  return encoded.get();
}

outcome<token_claims> token_service::verify(std::string const& token) const {
  if (token.empty() || token.size() > 4096 || !base64url_and_dots(token)) return invalid();
  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, token.c_str(), reinterpret_cast<unsigned char const*>(secret_.data()),
                 static_cast<int>(secret_.size())) != 0 ||
      raw == nullptr) {
    return invalid();
  }
  jwt_ptr decoded(raw);
  if (jwt_get_alg(decoded.get()) != JWT_ALG_HS256) return invalid();
  errno = 0;
  long exp = jwt_get_grant_int(decoded.get(), "exp");
  // An expiry past what microseconds can hold is no real token's (and would overflow below).
  if (errno != 0 || exp <= 0 || exp > std::numeric_limits<micros>::max() / 1'000'000) return invalid();
  if (static_cast<micros>(exp) * 1'000'000 <= clock_.now()) return invalid();
  char const* sub = jwt_get_grant(decoded.get(), "sub");
  if (sub == nullptr) return invalid();
  std::string_view sub_text(sub);
  user_id id = 0;
  auto [end, ec] = std::from_chars(sub_text.data(), sub_text.data() + sub_text.size(), id);
  if (ec != std::errc{} || end != sub_text.data() + sub_text.size() || id <= 0) return invalid();
  char const* name = jwt_get_grant(decoded.get(), "username");
  // Every token this server issues has an id; one without cannot be revoked, so it does not count.
  char const* token_id = jwt_get_grant(decoded.get(), "jti");
  if (token_id == nullptr || *token_id == '\0' || std::string_view(token_id).size() > 64) return invalid();
  errno = 0;
  long generation = jwt_get_grant_int(decoded.get(), "gen");
  if (errno != 0 || generation < 0) return invalid();
  token_claims claims;
  claims.subject = id;
  claims.username = name ? name : "";
  claims.expires_at = static_cast<micros>(exp) * 1'000'000;
  claims.token_id = token_id;
  claims.token_generation = generation;
  return claims;
}

}  // namespace windi
