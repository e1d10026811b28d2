#include "core/username_key.hpp"

#include <unicode/uspoof.h>

#include <memory>
#include <stdexcept>

namespace windi {
namespace {

struct spoof_checker_closer {
  void operator()(USpoofChecker* checker) const { uspoof_close(checker); }
};
using spoof_checker_ptr = std::unique_ptr<USpoofChecker, spoof_checker_closer>;

// Opened once; ICU documents the const functions of a configured checker as safe from any thread.
USpoofChecker const& checker() {
  static spoof_checker_ptr const shared = [] {
    UErrorCode status = U_ZERO_ERROR;
    spoof_checker_ptr opened(uspoof_open(&status));
    if (U_FAILURE(status) || !opened) {
      throw std::runtime_error(std::string("ICU spoof checker unavailable: ") + u_errorName(status));
    }
    return opened;
  }();
  return *shared;
}

// TR 39 skeleton: NFD, every character replaced by its confusables prototype, NFD again.
std::string skeleton(std::string_view text) {
  std::string out(text.size() * 2 + 16, '\0');
  for (int attempt = 0; attempt < 2; ++attempt) {
    UErrorCode status = U_ZERO_ERROR;
    int32_t length = uspoof_getSkeletonUTF8(&checker(), 0, text.data(), static_cast<int32_t>(text.size()),
                                            out.data(), static_cast<int32_t>(out.size()), &status);
    if (status == U_BUFFER_OVERFLOW_ERROR) {
      out.assign(static_cast<std::size_t>(length) + 1, '\0');
      continue;
    }
    if (U_FAILURE(status)) throw std::runtime_error(std::string("ICU skeleton: ") + u_errorName(status));
    out.resize(static_cast<std::size_t>(length));
    return out;
  }
  throw std::runtime_error("ICU skeleton: the buffer did not grow");
}

}  // namespace

std::string username_key(std::string_view username) {
  // First pass: upper-case look-alikes become lower-case ones ('I' and '1' become 'l', '0' becomes 'O'),
  // before case is folded away.
  std::string folded;
  for (char c : skeleton(username)) {
    if (c == '.' || c == '_' || c == '-') continue;
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    // Distinct in TR 39, yet "al1ce" and "alice" read the same at a glance.
    folded += c == 'i' ? 'l' : c;
  }
  // Second pass: sequences that folding produced ("Mary" -> "mary" -> "rnary", "r.n" -> "rn").
  return skeleton(folded);
}

}  // namespace windi
