#pragma once
// A windi process's counters as its /metrics page shows them (Prometheus text format), read before and after
// a measured phase: what the process itself counted, where the load generator cannot see (events received
// from Redis, frames handed to its sockets).
#include "client/endpoint.hpp"
#include "client_pool.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace windi::loadgen {

// GET /metrics from `at`, on one of the pool's threads; throws unless the answer is 200.
std::string fetch_metrics(client_pool& pool, client::endpoint const& at);

// The sum of every sample of metric `name` (all label sets), or nullopt when the page has none.
std::optional<double> metric_value(std::string_view page, std::string_view name);

}  // namespace windi::loadgen
