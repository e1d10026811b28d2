#pragma once
// What crosses the transports, counted and logged in one place: HTTP requests and refusals, WebSocket
// connections and frames, deliveries, rate-limit refusals. The HTTP server and the WebSocket sessions call
// these; either works without one (a null pointer), as in tests.
#include "metrics/access_log.hpp"
#include "metrics/registry.hpp"

#include <cstdint>
#include <string_view>

namespace windi::metrics {

struct http_exchange {
  std::string_view method;
  std::string_view route;  // the route's template, never the path as requested
  unsigned status = 0;
  double seconds = 0;
  std::uint64_t bytes_in = 0;  // head and body
  std::uint64_t bytes_out = 0;
  std::string_view client;  // the client address the limits use
};

struct http_refusal {
  std::string_view reason;  // a constant: "malformed", "framing", "header_too_large", "head_timeout", ...
  unsigned status = 0;      // 0: the connection was dropped without an answer
  double seconds = 0;
  std::uint64_t bytes_in = 0;
  std::string_view client;
};

struct websocket_close {
  std::uint16_t code = 0;  // as sent or received; 1006 when the connection ended without a close frame
  double seconds = 0;
  std::uint64_t frames_in = 0, frames_out = 0, bytes_in = 0, bytes_out = 0;
  std::int64_t user = 0;  // 0 before authentication
};

class traffic {
 public:
  traffic(registry& r, access_log log);

  void http_request(http_exchange const& e);
  void http_refused(http_refusal const& r);
  // A 429: `limit` names which ("login", "registration", "send", "read", ...).
  void rate_limited(std::string_view limit) { rate_limited_.with({limit}).inc(); }

  void websocket_opened() { ws_opened_.inc(); }
  void websocket_closed(websocket_close const& c);

  // Per frame: plain counters, no lookup.
  counter& frames_in;
  counter& frames_out;
  counter& bytes_in;
  counter& bytes_out;
  counter& deliveries;  // frames handed to sessions (one per recipient connection)
  counter& outbox_overflows;

 private:
  access_log log_;
  family<counter>& http_requests_;
  family<histogram>& http_duration_;
  counter& http_bytes_in_;
  counter& http_bytes_out_;
  family<counter>& http_refused_;
  family<counter>& rate_limited_;
  counter& ws_opened_;
  family<counter>& ws_closed_;
};

}  // namespace windi::metrics
