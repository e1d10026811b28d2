#pragma once
#include <cstddef>

namespace windi {

// The limits the services enforce, taken from settings at start-up.
struct service_limits {
  std::size_t max_message_chars = 4096;
  int max_group_members = 1000;
  int history_max_limit = 100;
};

}  // namespace windi
