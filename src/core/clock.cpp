#include "core/clock.hpp"

#include <chrono>

namespace windi {

micros system_clock::now() const {
  auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::microseconds>(since_epoch).count();
}

}  // namespace windi
