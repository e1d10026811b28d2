// windi: the messenger server and its operational commands. Wiring only.
#include "app/commands.hpp"
#include "config/settings.hpp"

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <optional>

namespace {

struct overrides {
  std::optional<std::string> host;
  std::optional<int> port;
  std::optional<int> threads;
  std::optional<std::string> database_url;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"WinDI Messenger: a real-time chat server (REST + WebSocket)."};
  cli.require_subcommand(1);
  std::string env_file = ".env";
  cli.add_option("--env-file", env_file, "Read settings from this .env file (if it exists)")
      ->capture_default_str();
  overrides flags;
  auto add_database_flag = [&flags](CLI::App* command) {
    command->add_option("--database-url", flags.database_url, "Overrides DATABASE_URL");
  };

  auto* serve = cli.add_subcommand("serve", "Run the HTTP and WebSocket server");
  serve->add_option("--host", flags.host, "Address to bind (HOST, default 0.0.0.0)");
  serve->add_option("--port", flags.port, "Port to listen on (PORT, default 8000; 0 picks a free port)")
      ->check(CLI::Range(0, 65535));
  serve->add_option("--threads", flags.threads, "I/O threads (THREADS, default one per core)")
      ->check(CLI::Range(0, 256));
  add_database_flag(serve);
  auto* migrate = cli.add_subcommand("migrate", "Apply pending database migrations and exit");
  add_database_flag(migrate);
  auto* test_data =
      cli.add_subcommand("create-test-data", "Load the demo users and chats (safe to run again)");
  add_database_flag(test_data);
  windi::app::test_client_options probe;
  auto* test_client =
      cli.add_subcommand("test-client", "Send one message over the WebSocket, expect ack and echo");
  test_client->add_option("--url", probe.url, "Server base URL")->capture_default_str();
  test_client->add_option("--username", probe.username, "User to log in as")->capture_default_str();
  test_client->add_option("--password", probe.password, "Password")->capture_default_str();
  test_client->add_option("--chat-id", probe.chat_id, "Chat to send into (default: the user's first chat)");
  test_client->add_option("--text", probe.text, "Message text")->capture_default_str();
  test_client->add_option("--timeout", probe.timeout_seconds, "Seconds to wait for each step")
      ->capture_default_str();

  CLI11_PARSE(cli, argc, argv);
  // A client of a running server: no settings, .env or SECRET_KEY involved.
  if (test_client->parsed()) return windi::app::test_client(probe);

  auto vars = windi::gather_variables(env_file);
  if (flags.database_url) vars["DATABASE_URL"] = *flags.database_url;
  if (flags.host) vars["HOST"] = *flags.host;
  if (flags.port) vars["PORT"] = std::to_string(*flags.port);
  if (flags.threads) vars["THREADS"] = std::to_string(*flags.threads);
  auto settings = windi::settings_from_variables(vars);
  if (!settings) {
    spdlog::critical("configuration: {}", settings.error().detail);
    return 2;
  }
  try {
    if (serve->parsed()) return windi::app::serve(*settings);
    if (migrate->parsed()) return windi::app::migrate(*settings);
    if (test_data->parsed()) return windi::app::create_test_data(*settings);
  } catch (std::exception const& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
  return 0;
}
