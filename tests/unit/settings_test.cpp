#include "config/settings.hpp"

#include <gtest/gtest.h>

namespace windi {
namespace {

TEST(Settings, DotenvReadsTheSeedFile) {
  auto vars = parse_dotenv(
      "DATABASE_URL=postgresql+asyncpg://windi:windi123@localhost:5432/windi_chat\n"
      "REDIS_URL=redis://localhost:6379\n"
      "# a comment\n"
      "export SECRET_KEY=\"change-me-in-production\"\n"
      "DEBUG=true   # inline comment\n"
      "garbage line without equals\n");
  EXPECT_EQ(vars["DATABASE_URL"], "postgresql+asyncpg://windi:windi123@localhost:5432/windi_chat");
  EXPECT_EQ(vars["REDIS_URL"], "redis://localhost:6379");
  EXPECT_EQ(vars["SECRET_KEY"], "change-me-in-production");
  EXPECT_EQ(vars["DEBUG"], "true");
  EXPECT_EQ(vars.size(), 4u);
}

TEST(Settings, SeedDatabaseUrlBecomesALibpqUri) {
  auto db = parse_database_url("postgresql+asyncpg://windi:windi123@localhost:5432/windi_chat", "data");
  ASSERT_TRUE(db);
  EXPECT_EQ(db->kind, database_settings::backend::postgres);
  EXPECT_EQ(db->postgres_conninfo, "postgresql://windi:windi123@localhost:5432/windi_chat");
  auto plain = parse_database_url("postgres://u@h/db", "data");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->postgres_conninfo, "postgresql://u@h/db");
}

TEST(Settings, SqliteUrlsAndTheEmbeddedDefault) {
  auto relative = parse_database_url("sqlite:///chat.db", "data");
  ASSERT_TRUE(relative);
  EXPECT_EQ(relative->kind, database_settings::backend::sqlite);
  EXPECT_EQ(relative->sqlite_path, "chat.db");
  auto absolute = parse_database_url("sqlite:////var/lib/windi/chat.db", "data");
  ASSERT_TRUE(absolute);
  EXPECT_EQ(absolute->sqlite_path, "/var/lib/windi/chat.db");
  auto fallback = parse_database_url("", "/srv/windi");
  ASSERT_TRUE(fallback);
  EXPECT_EQ(fallback->sqlite_path, "/srv/windi/windi.db");
  EXPECT_FALSE(parse_database_url("mysql://x", "data"));
}

TEST(Settings, RefusesThePlaceholderSecretOutsideDebug) {
  auto s = settings_from_variables({{"SECRET_KEY", "change-me-in-production"}});
  ASSERT_TRUE(s);
  EXPECT_FALSE(validate_for_serving(*s));
  auto debug = settings_from_variables({{"SECRET_KEY", "change-me-in-production"}, {"DEBUG", "true"}});
  ASSERT_TRUE(debug);
  EXPECT_TRUE(validate_for_serving(*debug));
  auto strong = settings_from_variables({{"SECRET_KEY", std::string(48, 'k')}});
  ASSERT_TRUE(strong);
  EXPECT_TRUE(validate_for_serving(*strong));
}

TEST(Settings, RejectsBadNumbersNamingTheVariable) {
  auto bad = settings_from_variables({{"PORT", "eighty"}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().detail.find("PORT"), std::string::npos);
  EXPECT_FALSE(settings_from_variables({{"PORT", "70000"}}));
  auto ok = settings_from_variables({{"PORT", "9000"}, {"HOST", "127.0.0.1"}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->port, 9000);
  EXPECT_EQ(ok->host, "127.0.0.1");
}

TEST(Settings, MasksPasswordsInUrls) {
  EXPECT_EQ(mask_url_password("postgresql://windi:windi123@localhost:5432/db"),
            "postgresql://windi:***@localhost:5432/db");
  EXPECT_EQ(mask_url_password("redis://localhost:6379"), "redis://localhost:6379");
}

}  // namespace
}  // namespace windi

namespace windi {
namespace {

TEST(Settings, SocketLimitsAreReadAndBounded) {
  auto cfg = settings_from_variables({{"WS_OUTBOX_MAX_FRAMES", "64"},
                                      {"WS_IDLE_TIMEOUT_SECONDS", "5"},
                                      {"WS_WRITE_TIMEOUT_SECONDS", "3"},
                                      {"WS_SYNC_MAX_MESSAGES", "20"},
                                      {"WS_MAX_FRAME_BYTES", "2048"}});
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->ws_outbox_max_frames, 64u);
  EXPECT_EQ(cfg->ws_idle_timeout_seconds, 5);
  EXPECT_EQ(cfg->ws_write_timeout_seconds, 3);
  EXPECT_EQ(cfg->ws_sync_max_messages, 20);
  EXPECT_EQ(cfg->ws_max_frame_bytes, 2048u);
  auto zero = settings_from_variables({{"WS_OUTBOX_MAX_FRAMES", "0"}});
  ASSERT_FALSE(zero);
  EXPECT_NE(zero.error().detail.find("WS_OUTBOX_MAX_FRAMES"), std::string::npos);
  EXPECT_FALSE(settings_from_variables({{"WS_IDLE_TIMEOUT_SECONDS", "soon"}}));
}

TEST(Settings, ConnectionCapsHaveDefaultsAndAreRead) {
  auto defaults = settings_from_variables({});
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->ws_max_connections_per_user, 50u);
  EXPECT_EQ(defaults->ws_max_connections_per_address, 1000u);
  auto cfg = settings_from_variables(
      {{"WS_MAX_CONNECTIONS_PER_USER", "3"}, {"WS_MAX_CONNECTIONS_PER_ADDRESS", "100000"}});
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->ws_max_connections_per_user, 3u);
  EXPECT_EQ(cfg->ws_max_connections_per_address, 100000u);
  EXPECT_FALSE(settings_from_variables({{"WS_MAX_CONNECTIONS_PER_USER", "0"}}));
  EXPECT_FALSE(settings_from_variables({{"WS_MAX_CONNECTIONS_PER_ADDRESS", "many"}}));
}

TEST(Settings, MetricsListenOnLoopbackByDefaultAndEmptyTurnsThemOff) {
  auto defaults = settings_from_variables({});
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->metrics_host, "127.0.0.1");
  EXPECT_EQ(defaults->metrics_port, 9464);
  auto off = settings_from_variables({{"METRICS_ADDR", ""}});
  ASSERT_TRUE(off);
  EXPECT_TRUE(off->metrics_host.empty());
  auto any_port = settings_from_variables({{"METRICS_ADDR", "0.0.0.0:0"}});
  ASSERT_TRUE(any_port);
  EXPECT_EQ(any_port->metrics_host, "0.0.0.0");
  EXPECT_EQ(any_port->metrics_port, 0);
  auto v6 = settings_from_variables({{"METRICS_ADDR", "[::1]:9100"}});
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->metrics_host, "::1");
  EXPECT_EQ(v6->metrics_port, 9100);
}

TEST(Settings, MetricsAddressMustBeAnIpAndAPort) {
  for (auto bad : {"9464", "localhost:9464", "127.0.0.1", "127.0.0.1:", "127.0.0.1:70000", "::1:9464",
                   "[::1]", "127.0.0.1:94x4"}) {
    auto s = settings_from_variables({{"METRICS_ADDR", bad}});
    ASSERT_FALSE(s) << bad;
    EXPECT_NE(s.error().detail.find("METRICS_ADDR"), std::string::npos) << bad;
  }
}

TEST(Settings, LogFormatIsTextOrJson) {
  auto defaults = settings_from_variables({});
  ASSERT_TRUE(defaults);
  EXPECT_FALSE(defaults->log_json);
  auto json = settings_from_variables({{"LOG_FORMAT", "json"}});
  ASSERT_TRUE(json);
  EXPECT_TRUE(json->log_json);
  auto bad = settings_from_variables({{"LOG_FORMAT", "xml"}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().detail.find("LOG_FORMAT"), std::string::npos);
}

TEST(Settings, FilesAreOnDiskByDefaultAndInPostgresOnlyWithPostgres) {
  auto defaults = settings_from_variables({});
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->files_storage, settings::file_storage::disk);
  auto disk = settings_from_variables({{"FILES_STORAGE", "disk"}, {"DATABASE_URL", "postgresql://u@h/db"}});
  ASSERT_TRUE(disk);
  EXPECT_EQ(disk->files_storage, settings::file_storage::disk);
  auto postgres = settings_from_variables(
      {{"FILES_STORAGE", "postgres"}, {"DATABASE_URL", "postgresql+asyncpg://u:p@h:5432/db"}});
  ASSERT_TRUE(postgres) << postgres.error().detail;
  EXPECT_EQ(postgres->files_storage, settings::file_storage::postgres);

  // With SQLite, explicit or the default, there is no PostgreSQL to keep them in: refused at start-up.
  for (std::string url : {"", "sqlite:///chat.db"}) {
    auto sqlite = settings_from_variables({{"FILES_STORAGE", "postgres"}, {"DATABASE_URL", url}});
    ASSERT_FALSE(sqlite) << url;
    EXPECT_EQ(sqlite.error().code, errc::validation);
    EXPECT_NE(sqlite.error().detail.find("FILES_STORAGE=postgres"), std::string::npos)
        << sqlite.error().detail;
    EXPECT_NE(sqlite.error().detail.find("DATABASE_URL"), std::string::npos) << sqlite.error().detail;
  }
  for (std::string value : {"s3", "Postgres", "postgresql"}) {
    auto bad = settings_from_variables({{"FILES_STORAGE", value}, {"DATABASE_URL", "postgresql://u@h/db"}});
    ASSERT_FALSE(bad) << value;
    EXPECT_NE(bad.error().detail.find("FILES_STORAGE must be disk or postgres"), std::string::npos)
        << bad.error().detail;
  }
}

TEST(Settings, ShutdownTimeoutIsBounded) {
  auto defaults = settings_from_variables({});
  ASSERT_TRUE(defaults);
  EXPECT_EQ(defaults->shutdown_timeout_seconds, 10);
  auto set = settings_from_variables({{"SHUTDOWN_TIMEOUT_SECONDS", "3"}});
  ASSERT_TRUE(set);
  EXPECT_EQ(set->shutdown_timeout_seconds, 3);
  EXPECT_FALSE(settings_from_variables({{"SHUTDOWN_TIMEOUT_SECONDS", "0"}}));
  EXPECT_FALSE(settings_from_variables({{"SHUTDOWN_TIMEOUT_SECONDS", "forever"}}));
}

}  // namespace
}  // namespace windi
