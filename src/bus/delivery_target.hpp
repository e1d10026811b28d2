#pragma once
// The `deliver` function of a bus, shared with the deliveries already queued so that they neither outlive it
// nor call it after stop().
#include "bus/bus.hpp"

#include <atomic>
#include <functional>
#include <memory>
#include <utility>

namespace windi {

struct delivery_target {
  explicit delivery_target(std::function<void(envelope)> f) : fn(std::move(f)) {}
  std::function<void(envelope)> fn;
  std::atomic<bool> stopped{false};
};

inline void deliver_to(std::shared_ptr<delivery_target> const& target, envelope e) {
  if (!target->stopped) target->fn(std::move(e));
}

}  // namespace windi
