// Tokens: token_service::verify with arbitrary strings (forged, truncated, wrong algorithm, "none"), and with
// tokens whose header and claims are arbitrary but whose HS256 signature is right, so that what is read from
// a correctly signed token (alg, exp, sub, username) is fuzzed too.
//   input: byte 0 bit 0 = sign it; unsigned: the rest is the token; signed: the rest is
//   "<header JSON>\n<claims JSON>", each base64url-encoded and signed with the service's secret
#include "core/tokens.hpp"
#include "fuzz_support.hpp"

#include <sodium.h>

#include <vector>

namespace {

constexpr windi::micros now = 1'767'225'600'000'000;  // 2026-01-01
std::string const secret = "fuzzing-secret-0123456789abcdef0123456789";

class fixed_clock final : public windi::clock {
 public:
  windi::micros now() const override { return ::now; }
};

std::string base64url(std::string_view text) {
  std::vector<char> out(sodium_base64_ENCODED_LEN(text.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING));
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<unsigned char const*>(text.data()), text.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return out.data();
}

std::string signature(std::string_view signing_input) {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<unsigned char const*>(secret.data()), secret.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<unsigned char const*>(signing_input.data()),
                                signing_input.size());
  crypto_auth_hmacsha256_final(&st, mac);
  return base64url({reinterpret_cast<char const*>(mac), sizeof mac});
}

std::string signed_token(std::string_view header, std::string_view claims) {
  auto signing_input = base64url(header) + "." + base64url(claims);
  return signing_input + "." + signature(signing_input);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  static fixed_clock const clock;
  static windi::token_service const tokens(secret, std::chrono::hours(24), clock);
  if (size < 1) return 0;
  auto rest = windi::fuzz::bytes(data + 1, size - 1);
  std::string token;
  if (data[0] & 1) {
    auto newline = rest.find('\n');
    if (newline == std::string_view::npos) return 0;
    token = signed_token(rest.substr(0, newline), rest.substr(newline + 1));
  } else {
    token = std::string(rest);
  }
  auto claims = tokens.verify(token);
  if (claims) {
    WINDI_FUZZ_CHECK(claims->subject > 0);
    WINDI_FUZZ_CHECK(claims->expires_at > now);
    // Only a token signed with the secret passes: header.claims.signature, the signature HS256 of the rest.
    auto dot = token.rfind('.');
    WINDI_FUZZ_CHECK(dot != std::string::npos);
    WINDI_FUZZ_CHECK(std::string_view(token).substr(dot + 1) ==
                     signature(std::string_view(token).substr(0, dot)));
  }
  return 0;
}
