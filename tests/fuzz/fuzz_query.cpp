// Query strings and application/x-www-form-urlencoded bodies (the OAuth2 login form): decode_query.
#include "api/json_input.hpp"
#include "fuzz_support.hpp"

#include <algorithm>

namespace {

std::string percent_encode(std::string const& text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', hex[c >> 4], hex[c & 15]};
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  // Exactly the input's bytes on the heap, so that ASan sees any read past the end (boostorg/url#757).
  auto decoded = windi::decode_query(windi::fuzz::bytes(data, size));
  auto const separators = std::count(data, data + size, '&');
  WINDI_FUZZ_CHECK(decoded.size() <= static_cast<std::size_t>(separators) + 1);
  if (decoded.empty()) return 0;
  // What was decoded, encoded again, decodes to the same pairs in the same order.
  std::string encoded;
  for (auto const& [key, value] : decoded) {
    if (!encoded.empty()) encoded += '&';
    encoded += percent_encode(key) + "=" + percent_encode(value);
  }
  auto again = windi::decode_query(encoded);
  WINDI_FUZZ_CHECK(again == decoded);
  return 0;
}
