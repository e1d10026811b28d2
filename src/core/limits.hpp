#pragma once
#include <cstddef>

namespace windi {

// The limits the services enforce, taken from settings at start-up.
struct service_limits {
  std::size_t max_message_chars = 4096;
  int max_group_members = 1000;
  int history_max_limit = 100;
  int typing_expiry_ms = 6000;  // a typing indicator clears itself this long after the last typing frame
  int sync_max_messages = 500;  // per chat; a client that missed more gets resync_required
  int max_reactions_per_message = 20;  // distinct emoji on one message
  // Per user, REST and WebSocket together: a token bucket of send_burst sends refilled at send_per_second.
  double send_per_second = 10;
  double send_burst = 50;
  double reads_per_second = 10;       // mark-read requests per user (burst: twice that)
  int typing_min_interval_ms = 1000;  // a user's "typing" in one chat goes out at most this often
};

}  // namespace windi
