#pragma once
// A flooding client: one connection sending send_message frames as fast as its socket allows, never waiting
// for the server beyond `window` unanswered frames. Over the server's send budget each frame is answered with
// an error frame (429), which counts as an answer too, so the flood goes on at full speed.
#include "connections.hpp"

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <cstdint>
#include <memory>

namespace windi::loadgen {

struct flood_totals {
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> stored{0};   // answered message_sent
  std::atomic<std::uint64_t> refused{0};  // answered with an error frame (status 429 past the budget)
};

// Floods `chat_id` over `c` from `start_at_ns` until `stop_at_ns`. Reads every answer itself (no other reader
// may run on `c`).
boost::asio::awaitable<void> flood(connection_ptr c, std::shared_ptr<flood_totals> totals,
                                   std::int64_t chat_id, std::uint64_t window, std::int64_t start_at_ns,
                                   std::int64_t stop_at_ns);

}  // namespace windi::loadgen
