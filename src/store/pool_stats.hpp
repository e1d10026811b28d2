#pragma once
// What a store's connection pool counts as it goes, for the metrics: how often requests wait for a
// connection, how long, and how often the database could not be reached. Only stores with a pool (PostgreSQL)
// have these.
#include "metrics/registry.hpp"

namespace windi {

struct pool_stats {
  metrics::counter waits;  // acquires that found every connection leased and had to wait
  metrics::histogram wait_seconds{{0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10}};
  metrics::counter timeouts;          // acquires that gave up at their deadline (the caller answers 503)
  metrics::counter connect_failures;  // new connections that could not be opened (the database unreachable)
};

}  // namespace windi
