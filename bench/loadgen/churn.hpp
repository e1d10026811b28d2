#pragma once
// Connection churn: loops that open a WebSocket, authenticate, wait for `connected` and close, again and
// again. The chaos scenario keeps a few of them going as one fault among others; the churn scenario runs
// many of them flat out and looks at what the server kept afterwards.
#include "client/endpoint.hpp"
#include "population.hpp"

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <cstdint>
#include <functional>

namespace windi::loadgen {

struct churn_plan {
  // Where attempt i connects (a killed process's endpoint may move).
  std::function<client::endpoint(std::size_t)> endpoint;
  std::atomic<bool> const* stopping = nullptr;   // ends every loop when set
  std::atomic<std::uint64_t>* cycles = nullptr;  // completed cycles, all loops together
  std::uint64_t limit = 0;                       // ends every loop once `cycles` reaches it; 0: no limit
  double per_second = 0;                         // per loop; 0: as fast as the server answers
};

// One loop as `who`; attempts are numbered from `index`. Failed attempts (a process down) wait 200 ms.
boost::asio::awaitable<void> churn_loop(churn_plan const& plan, member who, std::size_t index);

}  // namespace windi::loadgen
