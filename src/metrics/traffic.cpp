#include "metrics/traffic.hpp"

#include <string>

namespace windi::metrics {

traffic::traffic(registry& r, access_log log)
    : frames_in(
          r.add_counter("windi_websocket_frames_received_total", "WebSocket frames received from clients.")),
      frames_out(r.add_counter("windi_websocket_frames_sent_total", "WebSocket frames sent to clients.")),
      bytes_in(r.add_counter("windi_websocket_received_bytes_total",
                             "Payload bytes of the WebSocket frames received from clients.")),
      bytes_out(r.add_counter("windi_websocket_sent_bytes_total",
                              "Payload bytes of the WebSocket frames sent to clients.")),
      deliveries(r.add_counter("windi_deliveries_total",
                               "Event frames handed to this process's WebSocket sessions, one per recipient "
                               "connection.")),
      outbox_overflows(
          r.add_counter("windi_websocket_outbox_overflows_total",
                        "WebSocket connections closed with 4008 because their send queue overflowed.")),
      log_(std::move(log)),
      http_requests_(r.add_counter_family(
          "windi_http_requests_total", "HTTP requests answered, by method, route template and status code.",
          {"method", "route", "code"})),
      http_duration_(
          r.add_histogram_family("windi_http_request_duration_seconds",
                                 "Time from a request's complete head to its answer being written.",
                                 {"method", "route"}, duration_buckets())),
      http_bytes_in_(
          r.add_counter("windi_http_request_bytes_total", "Bytes of HTTP requests (head and body).")),
      http_bytes_out_(r.add_counter("windi_http_response_bytes_total", "Bytes of HTTP responses written.")),
      http_refused_(r.add_counter_family("windi_http_refused_total",
                                         "HTTP requests refused before routing (bad framing, oversized, "
                                         "half-sent and timed out), by reason.",
                                         {"reason"})),
      rate_limited_(r.add_counter_family("windi_rate_limited_total",
                                         "Requests and frames refused with 429 by a rate limit, by limit.",
                                         {"limit"})),
      ws_opened_(
          r.add_counter("windi_websocket_connections_opened_total", "WebSocket connections accepted.")),
      ws_closed_(r.add_counter_family("windi_websocket_connections_closed_total",
                                      "WebSocket connections ended, by close code (1006: no close frame).",
                                      {"code"})) {}

void traffic::http_request(http_exchange const& e) {
  auto const code = std::to_string(e.status);
  http_requests_.with({e.method, e.route, code}).inc();
  http_duration_.with({e.method, e.route}).observe(e.seconds);
  http_bytes_in_.inc(e.bytes_in);
  http_bytes_out_.inc(e.bytes_out);
  log_.write("http", {{"method", e.method},
                      {"route", e.route},
                      {"status", static_cast<std::int64_t>(e.status)},
                      {"duration_ms", e.seconds * 1000},
                      {"bytes_in", static_cast<std::int64_t>(e.bytes_in)},
                      {"bytes_out", static_cast<std::int64_t>(e.bytes_out)},
                      {"client", e.client}});
}

void traffic::http_refused(http_refusal const& r) {
  http_refused_.with({r.reason}).inc();
  http_bytes_in_.inc(r.bytes_in);
  log_.write("http_refused", {{"reason", r.reason},
                              {"status", static_cast<std::int64_t>(r.status)},
                              {"duration_ms", r.seconds * 1000},
                              {"bytes_in", static_cast<std::int64_t>(r.bytes_in)},
                              {"client", r.client}});
}

void traffic::websocket_closed(websocket_close const& c) {
  auto const code = std::to_string(c.code);
  ws_closed_.with({code}).inc();
  log_.write("ws_close", {{"code", static_cast<std::int64_t>(c.code)},
                          {"duration_ms", c.seconds * 1000},
                          {"frames_in", static_cast<std::int64_t>(c.frames_in)},
                          {"frames_out", static_cast<std::int64_t>(c.frames_out)},
                          {"bytes_in", static_cast<std::int64_t>(c.bytes_in)},
                          {"bytes_out", static_cast<std::int64_t>(c.bytes_out)},
                          {"user_id", c.user}});
}

}  // namespace windi::metrics
