// The Redis wire format the bus reads: wire::decode of arbitrary bytes, which re-encodes to the same bytes
// when it succeeds; and encode of an envelope built from the input, which decodes to the same envelope.
#include "bus/wire.hpp"
#include "fuzz_support.hpp"

#include <algorithm>
#include <cstring>

namespace {

// Reads the next `sizeof(T)` bytes of the input (zeros past its end).
template <class T>
T take(std::string_view& in) {
  T value{};
  std::memcpy(&value, in.data(), std::min(sizeof value, in.size()));
  in.remove_prefix(std::min(sizeof value, in.size()));
  return value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
  auto bytes = windi::fuzz::bytes(data, size);
  if (auto decoded = windi::wire::decode(bytes)) {
    WINDI_FUZZ_CHECK(decoded->message.frame);
    WINDI_FUZZ_CHECK(windi::wire::encode(decoded->message, decoded->origin) == bytes);
  }

  windi::envelope e;
  auto in = bytes;
  auto origin = take<std::uint64_t>(in);
  e.chat = take<std::int64_t>(in);
  e.kind = static_cast<windi::event_kind>(take<std::uint8_t>(in));
  e.change = take<std::int64_t>(in);
  e.subject = take<std::int64_t>(in);
  auto count = take<std::uint8_t>(in);
  for (unsigned i = 0; i < count && !in.empty(); ++i) e.audience.push_back(take<std::int64_t>(in));
  e.frame = std::make_shared<std::string const>(in);
  auto round = windi::wire::decode(windi::wire::encode(e, origin));
  WINDI_FUZZ_CHECK(round);
  WINDI_FUZZ_CHECK(round->origin == origin && round->message.chat == e.chat &&
                   round->message.kind == e.kind && round->message.change == e.change &&
                   round->message.subject == e.subject && round->message.audience == e.audience &&
                   *round->message.frame == *e.frame);
  return 0;
}
