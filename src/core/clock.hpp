#pragma once
#include "core/types.hpp"

namespace windi {

// Injected so that tests control time (token expiry, timestamps).
class clock {
 public:
  virtual ~clock() = default;
  virtual micros now() const = 0;
};

class system_clock final : public clock {
 public:
  micros now() const override;
};

}  // namespace windi
