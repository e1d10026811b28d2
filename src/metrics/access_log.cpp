#include "metrics/access_log.hpp"

#include <spdlog/formatter.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <ctime>

namespace windi::metrics {
namespace {

constexpr std::string_view access_logger_name = "access";

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

// A text value stays readable and splits on spaces only between fields.
void append_text_value(std::string& out, std::string_view text) {
  bool plain = !text.empty() && text.find_first_of(" \"=\\\n\r\t") == std::string_view::npos;
  if (plain) {
    out += text;
  } else {
    append_json_string(out, text);
  }
}

void append_number(std::string& out, std::variant<std::string_view, std::int64_t, double> const& value) {
  if (auto const* i = std::get_if<std::int64_t>(&value)) {
    out += std::to_string(*i);
  } else {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", std::get<double>(value));
    out += buf;
  }
}

// {"time": ..., "level": ..., then the message: as "msg", or, for the access logger whose payload is already
// JSON members, those members}.
class json_formatter final : public spdlog::formatter {
 public:
  void format(spdlog::details::log_msg const& msg, spdlog::memory_buf_t& dest) override {
    std::string line;
    line.reserve(msg.payload.size() + 96);
    line += "{\"time\":\"";
    auto const since_epoch = msg.time.time_since_epoch();
    auto const seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    auto const millis = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds).count();
    std::time_t const t = seconds.count();
    std::tm utc{};
    gmtime_r(&t, &utc);
    char stamp[96];
    std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                  utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(millis));
    line += stamp;
    line += "\",\"level\":";
    auto const level = spdlog::level::to_string_view(msg.level);
    append_json_string(line, std::string_view(level.data(), level.size()));
    std::string_view const payload(msg.payload.data(), msg.payload.size());
    if (std::string_view(msg.logger_name.data(), msg.logger_name.size()) == access_logger_name) {
      line += ",\"log\":\"access\",";
      line += payload;
    } else {
      line += ",\"msg\":";
      append_json_string(line, payload);
    }
    line += "}\n";
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<json_formatter>(); }
};

}  // namespace

std::string json_string(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

std::string render_fields(log_format format, std::string_view event, std::initializer_list<field> fields) {
  std::string out;
  out.reserve(64 + 24 * fields.size());
  if (format == log_format::json) {
    out += "\"event\":";
    append_json_string(out, event);
    for (auto const& f : fields) {
      out += ',';
      append_json_string(out, f.key);
      out += ':';
      if (auto const* s = std::get_if<std::string_view>(&f.value)) {
        append_json_string(out, *s);
      } else {
        append_number(out, f.value);
      }
    }
    return out;
  }
  out += event;
  for (auto const& f : fields) {
    out += ' ';
    out += f.key;
    out += '=';
    if (auto const* s = std::get_if<std::string_view>(&f.value)) {
      append_text_value(out, *s);
    } else {
      append_number(out, f.value);
    }
  }
  return out;
}

access_log::access_log(std::shared_ptr<spdlog::logger> logger, log_format format)
    : logger_(std::move(logger)), format_(format) {}

void access_log::write(std::string_view event, std::initializer_list<field> fields) const {
  if (!logger_ || !logger_->should_log(spdlog::level::info)) return;
  logger_->info(render_fields(format_, event, fields));
}

access_log configure_logging(log_format format, bool debug) {
  auto base = spdlog::default_logger();
  base->set_level(debug ? spdlog::level::debug : spdlog::level::info);
  auto access = std::make_shared<spdlog::logger>(std::string(access_logger_name), base->sinks().begin(),
                                                 base->sinks().end());
  access->set_level(spdlog::level::info);
  if (format == log_format::json) {
    base->set_formatter(std::make_unique<json_formatter>());
    access->set_formatter(std::make_unique<json_formatter>());
  }
  return access_log(std::move(access), format);
}

}  // namespace windi::metrics
