#include "core/file_urls.hpp"

#include <sodium.h>

#include <charconv>
#include <cstring>
#include <stdexcept>

namespace windi {

std::string scope_text(file_scope scope) {
  return (scope.of == file_scope::kind::chat ? "c" : "u") + std::to_string(scope.id);
}

std::optional<file_scope> parse_scope(std::string_view text) {
  if (text.size() < 2 || (text[0] != 'c' && text[0] != 'u')) return std::nullopt;
  std::int64_t id = 0;
  auto digits = text.substr(1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (ec != std::errc{} || end != digits.data() + digits.size() || id <= 0) return std::nullopt;
  return file_scope{text[0] == 'c' ? file_scope::kind::chat : file_scope::kind::owner, id};
}

file_url_signer::file_url_signer(std::string_view secret, std::chrono::seconds ttl)
    : ttl_seconds_(std::max<std::int64_t>(ttl.count(), 1)) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
  // A key of its own, derived from the secret, so that a URL signature can never stand for a token's.
  constexpr std::string_view purpose = "windi file download URLs";
  crypto_generichash(key_, sizeof key_, reinterpret_cast<unsigned char const*>(secret.data()), secret.size(),
                     reinterpret_cast<unsigned char const*>(purpose.data()), purpose.size());
}

std::string file_url_signer::sign(file_id id, file_variant variant, file_scope scope,
                                  std::int64_t expires) const {
  auto const message = std::to_string(id) + (variant == file_variant::thumbnail ? ":thumbnail:" : ":file:") +
                       scope_text(scope) + ":" + std::to_string(expires);
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256(mac, reinterpret_cast<unsigned char const*>(message.data()), message.size(), key_);
  char hex[sizeof mac * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return hex;
}

std::string file_url_signer::url(file_id id, file_variant variant, file_scope scope, micros now) const {
  auto const now_seconds = now / 1'000'000;
  auto const expires = (now_seconds / ttl_seconds_ + 2) * ttl_seconds_;
  return "/api/v1/files/" + std::to_string(id) + (variant == file_variant::thumbnail ? "/thumbnail" : "") +
         "?scope=" + scope_text(scope) + "&expires=" + std::to_string(expires) +
         "&signature=" + sign(id, variant, scope, expires);
}

outcome<void> file_url_signer::verify(file_id id, file_variant variant, file_scope scope,
                                      std::int64_t expires, std::string_view signature, micros now) const {
  auto const expected = sign(id, variant, scope, expires);
  if (signature.size() != expected.size() ||
      sodium_memcmp(signature.data(), expected.data(), expected.size()) != 0) {
    return fail(errc::forbidden, "Invalid download signature");
  }
  if (expires <= now / 1'000'000) return fail(errc::forbidden, "Download link expired");
  return {};
}

void file_url_signer::sign(attachment& a, file_scope scope, micros now) const {
  a.url = url(a.id, file_variant::original, scope, now);
  if (a.has_thumbnail) a.thumbnail_url = url(a.id, file_variant::thumbnail, scope, now);
}

void attachment_signer::operator()(message& m) const {
  if (m.attachments.empty()) return;
  auto const now = clock_.now();
  file_scope const scope{file_scope::kind::chat, m.chat};
  for (auto& a : m.attachments) urls_.sign(a, scope, now);
}

void attachment_signer::operator()(std::vector<message>& messages) const {
  for (auto& m : messages) (*this)(m);
}

void attachment_signer::operator()(chat_summary& summary) const {
  if (summary.last_message) (*this)(*summary.last_message);
}

}  // namespace windi
