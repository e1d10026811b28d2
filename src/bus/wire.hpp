#pragma once
// The bytes of an envelope on the Redis channel: a fixed little-endian header, then the frame as is, so any
// frame bytes pass through and decoding needs no parser.
//   u8 version (2) | u64 origin process | i64 chat | u8 kind | i64 change number | i64 subject
//   | u32 audience size n | n x i64 user | frame bytes
#include "bus/bus.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace windi::wire {

struct decoded {
  std::uint64_t origin = 0;
  envelope message;
};

std::string encode(envelope const& e, std::uint64_t origin);
// nullopt for a message that is not ours or is truncated.
std::optional<decoded> decode(std::string_view bytes);

}  // namespace windi::wire
