#pragma once
// The limits shared by every server process through Redis: each process asks its own in-memory limits first
// (a flood is refused without a round trip, and limiting goes on while Redis is unreachable), then the
// shared state in Redis, kept by atomic scripts on Redis's clock. Keys expire once they no longer limit.
#include "core/limiter.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <memory>
#include <string>

namespace windi {

struct redis_limiter_options {
  std::string key_prefix = "windi";  // keys "<prefix>:limit:..." and "<prefix>:login:{<address>}..."
  // A Redis answer later than this is not waited for: the process's own limits decide.
  std::chrono::milliseconds deadline{250};
  // A connection's place expires this long after its process last refreshed it, so that the places of a
  // process that died go by themselves.
  std::chrono::milliseconds place_lifetime{30'000};
  std::chrono::milliseconds place_refresh{10'000};
};

// redis_url: redis://[[user]:password@]host[:port][/db]; throws std::invalid_argument for anything else.
std::unique_ptr<limiter> make_redis_limiter(std::string const& redis_url, boost::asio::any_io_executor io,
                                            limiter_settings const& settings, clock const& clock,
                                            redis_limiter_options options = {});

}  // namespace windi
