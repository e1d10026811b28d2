#include "frames.hpp"

#include <charconv>

namespace windi::loadgen {

frame_kind classify(std::string_view frame, bool ceiling, std::string_view ack_tag) {
  if (ceiling) {
    if (frame.find("\"send_message\"") == std::string_view::npos) return frame_kind::other;
    return frame.find(ack_tag) != std::string_view::npos ? frame_kind::ack : frame_kind::delivery;
  }
  if (frame.find("\"type\":\"new_message\"") != std::string_view::npos) return frame_kind::delivery;
  if (frame.find("\"type\":\"message_sent\"") != std::string_view::npos) return frame_kind::ack;
  return frame_kind::other;
}

std::optional<std::int64_t> sent_at_ns(std::string_view frame) {
  constexpr std::string_view marker = "\"text\":\"lg ";
  auto at = frame.find(marker);
  if (at == std::string_view::npos) return std::nullopt;
  auto digits = frame.substr(at + marker.size());
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc()) return std::nullopt;
  return value;
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string timestamp_text(std::int64_t ns) { return "lg " + std::to_string(ns); }

}  // namespace windi::loadgen
