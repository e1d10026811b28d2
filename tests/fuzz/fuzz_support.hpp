#pragma once
// Shared by the fuzz targets: the libFuzzer entry points and a contract check that aborts (a crash libFuzzer
// reports and minimizes) whatever NDEBUG says.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size);

#define WINDI_FUZZ_CHECK(condition)                                                         \
  do {                                                                                      \
    if (!(condition)) {                                                                     \
      std::fprintf(stderr, "%s:%d: contract broken: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                         \
    }                                                                                       \
  } while (false)

namespace windi::fuzz {

// The input as the exact bytes given (no terminating NUL a decoder could lean on).
inline std::string_view bytes(std::uint8_t const* data, std::size_t size) {
  return {reinterpret_cast<char const*>(data), size};
}

}  // namespace windi::fuzz
