#pragma once
// Reading server frames at load without parsing JSON: the load generator only needs the frame type, and the
// send timestamp it put into the message text ("lg <steady-clock ns>"). Substring checks keep the client's
// cost per frame small and equal for windi and the ceiling server.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace windi::loadgen {

enum class frame_kind { other, delivery, ack };

// windi: "new_message" is a delivery, "message_sent" an ack. The ceiling server echoes the client's own
// "send_message" frames: each is a delivery, and an ack too when it carries this connection's `ack_tag`
// (the prefix of its client_message_ids).
frame_kind classify(std::string_view frame, bool ceiling, std::string_view ack_tag);

// The send timestamp embedded in a message text, if any.
std::optional<std::int64_t> sent_at_ns(std::string_view frame);

std::int64_t now_ns();
std::string timestamp_text(std::int64_t ns);

}  // namespace windi::loadgen
