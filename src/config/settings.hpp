#pragma once
// One immutable, validated settings value built at start-up from the environment, an optional .env file and
// command-line flags (flags override the environment, which overrides .env).
#include "core/error.hpp"
#include "store/open_store.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace windi {

struct settings {
  std::string host = "0.0.0.0";
  std::uint16_t port = 8000;
  int threads = 0;  // I/O threads; 0 means one per core
  database_settings database;
  std::string database_url;  // as given, for display with the password masked
  std::string redis_url;     // empty: in-process bus
  std::string secret_key;
  bool debug = false;
  std::string data_dir = "data";
  std::string web_dir = "web";  // the web app: public/ is served at /, node_modules/ holds Swagger UI
  std::chrono::seconds access_token_ttl{24 * 3600};
  std::vector<std::string> allowed_origins;  // WebSocket Origin allow-list; same-host origins always pass

  // Uploaded files: where their bytes live (FILES_STORAGE: on disk under files_dir, with several processes a
  // volume they all share; or in the PostgreSQL database of DATABASE_URL, then no shared disk is needed), and
  // their limits.
  enum class file_storage { disk, postgres };
  file_storage files_storage = file_storage::disk;
  std::string files_dir;                      // default: DATA_DIR/files
  std::int64_t max_file_bytes = 25 << 20;     // one upload
  std::int64_t file_quota_bytes = 1ll << 30;  // per user, every file and thumbnail
  int file_url_seconds = 600;                 // a signed download URL lasts at least this long
  int unattached_file_hours = 24;             // an upload no message holds is removed after this
  int file_cleanup_seconds = 60;              // how often unattached uploads and unused bytes are looked for
  // The bytes no file uses any more are removed once unused this long (an upload of the same bytes may be
  // about to record its file).
  int file_blob_grace_seconds = 120;

  // Limits, each a named setting.
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_message_chars = 4096;
  int max_group_members = 1000;
  int history_max_limit = 100;
  std::size_t ws_max_frame_bytes = 64 * 1024;
  std::size_t ws_outbox_max_frames = 1024;
  std::size_t ws_outbox_max_bytes = 8u << 20;
  int ws_socket_unsent_max_bytes = 0;  // 0: the kernel's own bound (tcp_wmem)
  int ws_idle_timeout_seconds = 60;
  int ws_write_timeout_seconds = 10;
  // WebSockets one user, and one client address, may hold open on one process; past either the upgrade gets
  // 429.
  std::size_t ws_max_connections_per_user = 50;
  std::size_t ws_max_connections_per_address =
      1000;                            // a connection whose writes make no progress this long is dropped
  int max_reactions_per_message = 20;  // distinct emoji on one message
  int ws_sync_max_messages = 500;      // per chat; a client that missed more gets resync_required

  // Throttling (core/rate_limits.hpp).
  double send_rate_per_second = 10;  // per user, REST and WebSocket together
  int send_burst = 50;
  double reads_per_second = 10;          // mark-read requests per user
  int typing_min_interval_ms = 1000;     // a user's typing indicator in one chat goes out at most this often
  int login_free_failures = 5;           // per (username, client address) before logins are delayed
  int login_address_free_failures = 20;  // per client address, whatever the usernames
  int login_max_delay_seconds = 900;     // the delay doubles per further failure up to this
  int registrations_per_hour = 20;       // per client address, after the burst
  int registration_burst = 5;
  std::string trusted_proxies;  // peers whose X-Forwarded-For names the client (http/client_address.hpp)

  // Operations: the metrics listener (empty host: none), the log format, the bound of a SIGTERM drain.
  std::string metrics_host = "127.0.0.1";
  std::uint16_t metrics_port = 9464;
  bool log_json = false;
  int shutdown_timeout_seconds = 10;

  // argon2id cost: OWASP's minimum is 19 MiB, t=2, p=1.
  std::uint64_t password_memlimit_bytes = 19ull << 20;
  std::uint64_t password_opslimit = 2;
};

// Variables as read from .env and the environment, before interpretation.
using variables = std::map<std::string, std::string>;

// Parses the text of a .env file: KEY=VALUE lines, `export` prefixes, # comments, single or double quotes.
variables parse_dotenv(std::string_view text);

// Reads `path` if it exists (missing is not an error), then overlays the process environment for known keys.
variables gather_variables(std::string const& dotenv_path);

// Builds settings from variables; fails with a message naming the offending variable.
outcome<settings> settings_from_variables(variables const& vars);

// Turns a DATABASE_URL (empty, sqlite:///path, postgresql://..., postgresql+asyncpg://..., postgres://...)
// into database settings. data_dir is where the default SQLite file goes.
outcome<database_settings> parse_database_url(std::string const& url, std::string const& data_dir);

// "host:port" or "[v6 address]:port", the host an IP address, the port 0 to 65535 (0: any free port).
struct listen_address {
  std::string host;
  std::uint16_t port = 0;
};
outcome<listen_address> parse_listen_address(std::string const& text);

// Refuses a placeholder or short secret outside DEBUG.
outcome<void> validate_for_serving(settings const& s);

// The URL with its password replaced by ***, for logs.
std::string mask_url_password(std::string const& url);

}  // namespace windi
