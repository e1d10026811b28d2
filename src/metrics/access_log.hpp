#pragma once
// The process's log format (LOG_FORMAT: text or JSON, one object per line) and the access log: one line per
// HTTP request and per WebSocket connection close, on the logger named "access", at info level whatever the
// process's level. Lines carry what was asked and answered (method, route template, status, sizes, times),
// never a path with ids, a query string or a token.
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

namespace spdlog {
class logger;
}

namespace windi::metrics {

enum class log_format { text, json };

// One key and its value in an access line. Keys are plain identifiers; values are escaped as needed.
struct field {
  std::string_view key;
  std::variant<std::string_view, std::int64_t, double> value;
};

class access_log {
 public:
  // Writes nothing (tests, listeners that are not worth a line per request).
  access_log() = default;
  access_log(std::shared_ptr<spdlog::logger> logger, log_format format);
  // `event`: what happened ("http", "ws_close", ...).
  void write(std::string_view event, std::initializer_list<field> fields) const;
  bool enabled() const { return logger_ != nullptr; }

 private:
  std::shared_ptr<spdlog::logger> logger_;
  log_format format_ = log_format::text;
};

// Sets every logger's format and the default logger's level, and returns the access log writing to the same
// place. In JSON every line is {"time", "level", "msg"}, access lines {"time", "level", "log": "access",
// "event", ...their fields}.
access_log configure_logging(log_format format, bool debug);

// Renders one access line's payload; public for tests.
std::string render_fields(log_format format, std::string_view event, std::initializer_list<field> fields);
// A JSON string literal (quotes included).
std::string json_string(std::string_view text);

}  // namespace windi::metrics
