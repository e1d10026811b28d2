#pragma once
// Where a client connects: host and port, parsed from a base URL such as http://localhost:8000.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace windi::client {

struct endpoint {
  std::string host;
  std::uint16_t port = 80;
};

// Accepts http://host[:port][/]; anything else (https, a path, a bad port) is nullopt, since the clients
// speak plain HTTP and WebSocket only.
std::optional<endpoint> parse_base_url(std::string_view url);

}  // namespace windi::client
