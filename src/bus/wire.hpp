#pragma once
// The bytes of an envelope on the Redis channel: a fixed little-endian header, then the frame as is, so any
// frame bytes pass through and decoding needs no parser.
//   u8 version (1) | u64 origin process | u32 recipient count n | n x i64 recipient | frame bytes
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
