#include "config/settings.hpp"

#include <boost/asio/ip/address.hpp>

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace windi {
namespace {

constexpr char const* known_keys[] = {
    "HOST",
    "PORT",
    "THREADS",
    "DATABASE_URL",
    "DATABASE_POOL_SIZE",
    "REDIS_URL",
    "SECRET_KEY",
    "DEBUG",
    "DATA_DIR",
    "WEB_DIR",
    "ACCESS_TOKEN_EXPIRE_MINUTES",
    "ALLOWED_ORIGINS",
    "MAX_BODY_BYTES",
    "MAX_MESSAGE_CHARS",
    "MAX_GROUP_MEMBERS",
    "HISTORY_MAX_LIMIT",
    "PASSWORD_MEMLIMIT_KIB",
    "PASSWORD_OPSLIMIT",
    "WS_MAX_FRAME_BYTES",
    "WS_OUTBOX_MAX_FRAMES",
    "WS_OUTBOX_MAX_BYTES",
    "WS_SOCKET_UNSENT_MAX_BYTES",
    "WS_IDLE_TIMEOUT_SECONDS",
    "WS_WRITE_TIMEOUT_SECONDS",
    "WS_SYNC_MAX_MESSAGES",
    "WS_MAX_CONNECTIONS_PER_USER",
    "WS_MAX_CONNECTIONS_PER_ADDRESS",
    "MAX_REACTIONS_PER_MESSAGE",
    "SEND_RATE_PER_SECOND",
    "SEND_BURST",
    "READS_PER_SECOND",
    "TYPING_MIN_INTERVAL_MS",
    "LOGIN_FREE_FAILURES",
    "LOGIN_ADDRESS_FREE_FAILURES",
    "LOGIN_MAX_DELAY_SECONDS",
    "REGISTRATIONS_PER_HOUR",
    "REGISTRATION_BURST",
    "TRUSTED_PROXIES",
    "METRICS_ADDR",
    "LOG_FORMAT",
    "SHUTDOWN_TIMEOUT_SECONDS",
    "FILES_STORAGE",
    "FILES_DIR",
    "MAX_FILE_BYTES",
    "FILE_QUOTA_BYTES",
    "FILE_URL_SECONDS",
    "UNATTACHED_FILE_HOURS",
    "FILE_CLEANUP_SECONDS",
    "FILE_BLOB_GRACE_SECONDS",
};

std::string trim(std::string_view s) {
  auto begin = s.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) return {};
  auto end = s.find_last_not_of(" \t\r");
  return std::string(s.substr(begin, end - begin + 1));
}

bool parse_bool(std::string const& v) {
  return v == "1" || v == "true" || v == "True" || v == "TRUE" || v == "yes" || v == "on";
}

template <class Int>
outcome<Int> parse_int(variables const& vars, std::string const& key, Int fallback, Int min, Int max) {
  auto it = vars.find(key);
  if (it == vars.end() || it->second.empty()) return fallback;
  Int value{};
  auto const& text = it->second;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min || value > max) {
    return fail(errc::validation, key + " must be an integer between " + std::to_string(min) + " and " +
                                      std::to_string(max) + ", got '" + text + "'");
  }
  return value;
}

std::string get(variables const& vars, std::string const& key, std::string fallback = {}) {
  auto it = vars.find(key);
  return it == vars.end() || it->second.empty() ? fallback : it->second;
}

std::vector<std::string> split_list(std::string const& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (auto t = trim(item); !t.empty()) out.push_back(t);
  }
  return out;
}

}  // namespace

variables parse_dotenv(std::string_view text) {
  variables vars;
  std::stringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    auto t = trim(line);
    if (t.empty() || t.front() == '#') continue;
    if (t.rfind("export ", 0) == 0) t = trim(std::string_view(t).substr(7));
    auto eq = t.find('=');
    if (eq == std::string::npos) continue;
    auto key = trim(std::string_view(t).substr(0, eq));
    auto value = trim(std::string_view(t).substr(eq + 1));
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    } else if (auto hash = value.find(" #"); hash != std::string::npos) {
      value = trim(std::string_view(value).substr(0, hash));
    }
    vars[key] = value;
  }
  return vars;
}

variables gather_variables(std::string const& dotenv_path) {
  variables vars;
  if (std::ifstream file{dotenv_path}) {
    std::stringstream text;
    text << file.rdbuf();
    vars = parse_dotenv(text.str());
  }
  for (auto key : known_keys) {
    if (char const* value = std::getenv(key)) vars[key] = value;
  }
  return vars;
}

outcome<database_settings> parse_database_url(std::string const& url, std::string const& data_dir) {
  database_settings db;
  if (url.empty()) {
    db.kind = database_settings::backend::sqlite;
    db.sqlite_path = data_dir + "/windi.db";
    return db;
  }
  if (url.rfind("sqlite:///", 0) == 0) {
    // SQLAlchemy's form: sqlite:///relative.db and sqlite:////absolute/path.db
    db.kind = database_settings::backend::sqlite;
    db.sqlite_path = url.substr(10);
    if (db.sqlite_path.empty()) return fail(errc::validation, "DATABASE_URL: sqlite:/// needs a file path");
    return db;
  }
  for (std::string_view scheme : {"postgresql+asyncpg://", "postgresql+psycopg://", "postgresql+psycopg2://",
                                  "postgresql://", "postgres://"}) {
    if (url.rfind(scheme, 0) == 0) {
      db.kind = database_settings::backend::postgres;
      db.postgres_conninfo = "postgresql://" + url.substr(scheme.size());
      return db;
    }
  }
  return fail(errc::validation,
              "DATABASE_URL must start with sqlite:///, postgresql:// or postgresql+asyncpg:// (got '" +
                  mask_url_password(url) + "')");
}

outcome<settings> settings_from_variables(variables const& vars) {
  settings s;
  s.host = get(vars, "HOST", s.host);
  auto port = parse_int<int>(vars, "PORT", s.port, 0, 65535);
  if (!port) return port.error();
  s.port = static_cast<std::uint16_t>(*port);
  auto threads = parse_int<int>(vars, "THREADS", 0, 0, 256);
  if (!threads) return threads.error();
  s.threads = *threads;
  s.debug = parse_bool(get(vars, "DEBUG", "false"));
  s.data_dir = get(vars, "DATA_DIR", s.data_dir);
  s.web_dir = get(vars, "WEB_DIR", s.web_dir);
  s.secret_key = get(vars, "SECRET_KEY");
  s.redis_url = get(vars, "REDIS_URL");
  s.database_url = get(vars, "DATABASE_URL");
  auto db = parse_database_url(s.database_url, s.data_dir);
  if (!db) return db.error();
  s.database = *db;
  auto pool = parse_int<int>(vars, "DATABASE_POOL_SIZE", 8, 1, 256);
  if (!pool) return pool.error();
  s.database.pool_size = *pool;
  auto ttl = parse_int<int>(vars, "ACCESS_TOKEN_EXPIRE_MINUTES", 24 * 60, 1, 60 * 24 * 365);
  if (!ttl) return ttl.error();
  s.access_token_ttl = std::chrono::minutes(*ttl);
  s.allowed_origins = split_list(get(vars, "ALLOWED_ORIGINS"));
  auto body = parse_int<std::size_t>(vars, "MAX_BODY_BYTES", s.max_body_bytes, 1024, 64u << 20);
  if (!body) return body.error();
  s.max_body_bytes = *body;
  auto storage = get(vars, "FILES_STORAGE", "disk");
  if (storage == "postgres") {
    // The bytes go where the store is: there is no PostgreSQL to keep them in otherwise.
    if (s.database.kind != database_settings::backend::postgres) {
      return fail(errc::validation,
                  "FILES_STORAGE=postgres keeps files in the PostgreSQL database, but DATABASE_URL is not a "
                  "PostgreSQL URL (postgresql://...); use FILES_STORAGE=disk with SQLite");
    }
    s.files_storage = settings::file_storage::postgres;
  } else if (storage != "disk") {
    return fail(errc::validation, "FILES_STORAGE must be disk or postgres, got '" + storage + "'");
  }
  s.files_dir = get(vars, "FILES_DIR", s.data_dir + "/files");
  auto file_bytes = parse_int<std::int64_t>(vars, "MAX_FILE_BYTES", s.max_file_bytes, 1, 1ll << 40);
  if (!file_bytes) return file_bytes.error();
  s.max_file_bytes = *file_bytes;
  auto quota = parse_int<std::int64_t>(vars, "FILE_QUOTA_BYTES", s.file_quota_bytes, 1, 1ll << 50);
  if (!quota) return quota.error();
  s.file_quota_bytes = *quota;
  auto url_seconds = parse_int<int>(vars, "FILE_URL_SECONDS", s.file_url_seconds, 10, 7 * 24 * 3600);
  if (!url_seconds) return url_seconds.error();
  s.file_url_seconds = *url_seconds;
  auto unattached = parse_int<int>(vars, "UNATTACHED_FILE_HOURS", s.unattached_file_hours, 1, 24 * 365);
  if (!unattached) return unattached.error();
  s.unattached_file_hours = *unattached;
  auto cleanup = parse_int<int>(vars, "FILE_CLEANUP_SECONDS", s.file_cleanup_seconds, 1, 24 * 3600);
  if (!cleanup) return cleanup.error();
  s.file_cleanup_seconds = *cleanup;
  auto grace = parse_int<int>(vars, "FILE_BLOB_GRACE_SECONDS", s.file_blob_grace_seconds, 1, 24 * 3600);
  if (!grace) return grace.error();
  s.file_blob_grace_seconds = *grace;
  auto chars = parse_int<std::size_t>(vars, "MAX_MESSAGE_CHARS", s.max_message_chars, 1, 1u << 20);
  if (!chars) return chars.error();
  s.max_message_chars = *chars;
  auto members = parse_int<int>(vars, "MAX_GROUP_MEMBERS", s.max_group_members, 2, 100000);
  if (!members) return members.error();
  s.max_group_members = *members;
  auto history = parse_int<int>(vars, "HISTORY_MAX_LIMIT", s.history_max_limit, 1, 1000);
  if (!history) return history.error();
  s.history_max_limit = *history;
  auto mem =
      parse_int<std::uint64_t>(vars, "PASSWORD_MEMLIMIT_KIB", s.password_memlimit_bytes >> 10, 8, 4u << 20);
  if (!mem) return mem.error();
  s.password_memlimit_bytes = *mem << 10;
  auto ops = parse_int<std::uint64_t>(vars, "PASSWORD_OPSLIMIT", s.password_opslimit, 1, 16);
  if (!ops) return ops.error();
  s.password_opslimit = *ops;
  auto frame = parse_int<std::size_t>(vars, "WS_MAX_FRAME_BYTES", s.ws_max_frame_bytes, 1024, 16u << 20);
  if (!frame) return frame.error();
  s.ws_max_frame_bytes = *frame;
  auto outbox_frames =
      parse_int<std::size_t>(vars, "WS_OUTBOX_MAX_FRAMES", s.ws_outbox_max_frames, 1, 1u << 20);
  if (!outbox_frames) return outbox_frames.error();
  s.ws_outbox_max_frames = *outbox_frames;
  auto outbox_bytes =
      parse_int<std::size_t>(vars, "WS_OUTBOX_MAX_BYTES", s.ws_outbox_max_bytes, 1024, 1u << 30);
  if (!outbox_bytes) return outbox_bytes.error();
  s.ws_outbox_max_bytes = *outbox_bytes;
  auto unsent = parse_int<int>(vars, "WS_SOCKET_UNSENT_MAX_BYTES", s.ws_socket_unsent_max_bytes, 0, 1 << 30);
  if (!unsent) return unsent.error();
  s.ws_socket_unsent_max_bytes = *unsent;
  auto idle = parse_int<int>(vars, "WS_IDLE_TIMEOUT_SECONDS", s.ws_idle_timeout_seconds, 2, 3600);
  if (!idle) return idle.error();
  s.ws_idle_timeout_seconds = *idle;
  auto write = parse_int<int>(vars, "WS_WRITE_TIMEOUT_SECONDS", s.ws_write_timeout_seconds, 1, 3600);
  if (!write) return write.error();
  s.ws_write_timeout_seconds = *write;
  auto per_user = parse_int<std::size_t>(vars, "WS_MAX_CONNECTIONS_PER_USER", s.ws_max_connections_per_user,
                                         1, 1000000000);
  if (!per_user) return per_user.error();
  s.ws_max_connections_per_user = *per_user;
  auto per_address = parse_int<std::size_t>(vars, "WS_MAX_CONNECTIONS_PER_ADDRESS",
                                            s.ws_max_connections_per_address, 1, 1000000000);
  if (!per_address) return per_address.error();
  s.ws_max_connections_per_address = *per_address;
  auto replay = parse_int<int>(vars, "WS_SYNC_MAX_MESSAGES", s.ws_sync_max_messages, 1, 100000);
  if (!replay) return replay.error();
  s.ws_sync_max_messages = *replay;
  auto reactions = parse_int<int>(vars, "MAX_REACTIONS_PER_MESSAGE", s.max_reactions_per_message, 1, 1000);
  if (!reactions) return reactions.error();
  s.max_reactions_per_message = *reactions;
  auto login_free = parse_int<int>(vars, "LOGIN_FREE_FAILURES", s.login_free_failures, 1, 1000000000);
  if (!login_free) return login_free.error();
  s.login_free_failures = *login_free;
  auto address_free =
      parse_int<int>(vars, "LOGIN_ADDRESS_FREE_FAILURES", s.login_address_free_failures, 1, 1000000000);
  if (!address_free) return address_free.error();
  s.login_address_free_failures = *address_free;
  auto max_delay = parse_int<int>(vars, "LOGIN_MAX_DELAY_SECONDS", s.login_max_delay_seconds, 1, 86400);
  if (!max_delay) return max_delay.error();
  s.login_max_delay_seconds = *max_delay;
  auto per_hour = parse_int<int>(vars, "REGISTRATIONS_PER_HOUR", s.registrations_per_hour, 1, 1000000000);
  if (!per_hour) return per_hour.error();
  s.registrations_per_hour = *per_hour;
  auto burst = parse_int<int>(vars, "REGISTRATION_BURST", s.registration_burst, 1, 1000000000);
  if (!burst) return burst.error();
  s.registration_burst = *burst;
  s.trusted_proxies = get(vars, "TRUSTED_PROXIES");
  auto send_rate =
      parse_int<int>(vars, "SEND_RATE_PER_SECOND", static_cast<int>(s.send_rate_per_second), 1, 1000000000);
  if (!send_rate) return send_rate.error();
  s.send_rate_per_second = *send_rate;
  auto send_burst = parse_int<int>(vars, "SEND_BURST", s.send_burst, 1, 1000000000);
  if (!send_burst) return send_burst.error();
  s.send_burst = *send_burst;
  auto reads = parse_int<int>(vars, "READS_PER_SECOND", static_cast<int>(s.reads_per_second), 1, 1000000000);
  if (!reads) return reads.error();
  s.reads_per_second = *reads;
  auto typing = parse_int<int>(vars, "TYPING_MIN_INTERVAL_MS", s.typing_min_interval_ms, 0, 60000);
  if (!typing) return typing.error();
  s.typing_min_interval_ms = *typing;
  // Set but empty turns the metrics listener off (unlike other settings, where empty means the default).
  if (auto metrics = vars.find("METRICS_ADDR"); metrics != vars.end()) {
    if (trim(metrics->second).empty()) {
      s.metrics_host.clear();
    } else {
      auto address = parse_listen_address(trim(metrics->second));
      if (!address) return fail(errc::validation, "METRICS_ADDR: " + address.error().detail);
      s.metrics_host = address->host;
      s.metrics_port = address->port;
    }
  }
  auto log_format = get(vars, "LOG_FORMAT", "text");
  if (log_format != "text" && log_format != "json") {
    return fail(errc::validation, "LOG_FORMAT must be text or json, got '" + log_format + "'");
  }
  s.log_json = log_format == "json";
  auto drain = parse_int<int>(vars, "SHUTDOWN_TIMEOUT_SECONDS", s.shutdown_timeout_seconds, 1, 3600);
  if (!drain) return drain.error();
  s.shutdown_timeout_seconds = *drain;
  return s;
}

outcome<listen_address> parse_listen_address(std::string const& text) {
  auto const expected =
      "expected an IP address and a port, as 127.0.0.1:9464 or [::1]:9464, got '" + text + "'";
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return fail(errc::validation, expected);
  std::string host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return fail(errc::validation, expected);
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    return fail(errc::validation, expected);  // an IPv6 address needs its brackets
  }
  boost::system::error_code ec;
  boost::asio::ip::make_address(host, ec);
  if (ec) return fail(errc::validation, expected);
  auto const port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [end, pec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || pec != std::errc{} || end != port_text.data() + port_text.size() || port > 65535) {
    return fail(errc::validation, expected);
  }
  return listen_address{std::move(host), static_cast<std::uint16_t>(port)};
}

outcome<void> validate_for_serving(settings const& s) {
  if (s.debug) return {};
  if (s.secret_key.empty() || s.secret_key == "change-me-in-production" || s.secret_key == "changeme") {
    return fail(errc::validation,
                "SECRET_KEY is unset or the placeholder; set a random secret of at least 32 characters "
                "(or DEBUG=true for local development)");
  }
  if (s.secret_key.size() < 32) {
    return fail(errc::validation, "SECRET_KEY must be at least 32 characters outside DEBUG");
  }
  return {};
}

std::string mask_url_password(std::string const& url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return url;
  auto at = url.find('@', scheme_end + 3);
  if (at == std::string::npos) return url;
  auto colon = url.find(':', scheme_end + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

}  // namespace windi
