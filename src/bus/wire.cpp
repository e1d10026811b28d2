#include "bus/wire.hpp"

#include <cstring>

namespace windi::wire {
namespace {

constexpr std::uint8_t version = 2;
constexpr std::size_t header_size = 1 + 8 + 8 + 1 + 8 + 8 + 4;
// Far more than any chat has members; bounds the allocation a corrupt count could cause.
constexpr std::uint32_t max_audience = 1'000'000;

void put(std::string& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

std::uint64_t get(std::string_view in, std::size_t at, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value |= std::uint64_t{static_cast<unsigned char>(in[at + i])} << (8 * i);
  return value;
}

}  // namespace

std::string encode(envelope const& e, std::uint64_t origin) {
  std::string out;
  std::size_t const frame_size = e.frame ? e.frame->size() : 0;
  out.reserve(header_size + 8 * e.audience.size() + frame_size);
  out.push_back(static_cast<char>(version));
  put(out, origin, 8);
  put(out, static_cast<std::uint64_t>(e.chat), 8);
  put(out, static_cast<std::uint8_t>(e.kind), 1);
  put(out, static_cast<std::uint64_t>(e.change), 8);
  put(out, static_cast<std::uint64_t>(e.subject), 8);
  put(out, e.audience.size(), 4);
  for (user_id user : e.audience) put(out, static_cast<std::uint64_t>(user), 8);
  if (e.frame) out.append(*e.frame);
  return out;
}

std::optional<decoded> decode(std::string_view bytes) {
  if (bytes.size() < header_size || static_cast<std::uint8_t>(bytes[0]) != version) return std::nullopt;
  decoded result;
  result.origin = get(bytes, 1, 8);
  result.message.chat = static_cast<chat_id>(get(bytes, 9, 8));
  result.message.kind = static_cast<event_kind>(get(bytes, 17, 1));
  result.message.change = static_cast<std::int64_t>(get(bytes, 18, 8));
  result.message.subject = static_cast<user_id>(get(bytes, 26, 8));
  auto const count = static_cast<std::uint32_t>(get(bytes, 34, 4));
  if (count > max_audience || bytes.size() - header_size < std::size_t{count} * 8) return std::nullopt;
  result.message.audience.reserve(count);
  for (std::uint32_t i = 0; i < count; ++i) {
    result.message.audience.push_back(static_cast<user_id>(get(bytes, header_size + 8 * std::size_t{i}, 8)));
  }
  result.message.frame =
      std::make_shared<std::string const>(bytes.substr(header_size + 8 * std::size_t{count}));
  return result;
}

}  // namespace windi::wire
