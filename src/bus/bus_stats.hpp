#pragma once
// What a bus counts as it goes, for the metrics. Kept beside the bus interface rather than in it: a bus works
// the same whether anyone reads these or not.
#include "bus/bus.hpp"
#include "metrics/registry.hpp"

namespace windi {

struct bus_stats {
  metrics::counter published;   // events this process published
  metrics::counter received;    // events from other processes (through Redis)
  metrics::counter dropped;     // cross-process copies dropped while Redis was down or slow
  metrics::counter reconnects;  // Redis connections established again after a loss
  // events_missed raised: this process's subscription came back (its connections resync), or it told the
  // others that it had dropped copies (theirs do).
  metrics::counter missed_notices;
  metrics::counter presence_updates;  // user_status events: a user's first connection opened or last closed
  // From a PUBLISH to this process's own subscriber receiving it back: the hop every other process waits
  // for too, timed on one clock. Redis only.
  metrics::histogram delivery_lag_seconds{
      {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}};
};

// Implemented by the buses that keep stats.
class bus_stats_source {
 public:
  virtual bus_stats const& stats() const = 0;

 protected:
  ~bus_stats_source() = default;
};

// The stats of a bus from make_local_bus or make_redis_bus; null for another implementation.
inline bus_stats const* stats_of(bus const& b) {
  auto const* source = dynamic_cast<bus_stats_source const*>(&b);
  return source ? &source->stats() : nullptr;
}

}  // namespace windi
