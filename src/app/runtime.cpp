#include "app/runtime.hpp"

#include "bus/redis_limiter.hpp"
#include "files/disk_blob_store.hpp"
#include "media/images.hpp"
#include "store/open_store.hpp"

#include <sodium.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace windi::app {

namespace asio = boost::asio;

namespace {

// The lowest priority short of SCHED_IDLE: CFS weighs a nice-19 thread at 1.5% of a nice-0 one when both want
// the CPU, yet it still gets all the CPU nobody else wants, so logins never starve outright.
constexpr int background_nice = 19;

std::vector<std::unique_ptr<asio::io_context>> single_threaded_contexts(int count) {
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  // The hint tells Asio that one thread runs each context, which lets it skip waking other threads.
  for (int i = 0; i < std::max(1, count); ++i) contexts.push_back(std::make_unique<asio::io_context>(1));
  return contexts;
}

}  // namespace

background_pool::background_pool(std::size_t threads) : work_(asio::make_work_guard(io_)) {
  for (std::size_t i = 0; i < threads; ++i) {
    threads_.emplace_back([this] {
      // Linux applies nice to the calling thread alone. Failure only costs the priority, never the work.
      if (setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), background_nice) != 0) {
        spdlog::debug("background thread keeps its priority: {}", std::strerror(errno));
      }
      io_.run();
    });
  }
}

void background_pool::join() {
  work_.reset();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

io_runner::io_runner(int threads)
    : contexts_(single_threaded_contexts(threads)),
      io(*contexts_.front()),
      blocking(static_cast<std::size_t>(std::max(2, threads))) {
  for (auto& context : contexts_) {
    work_.push_back(asio::make_work_guard(*context));
    threads_.emplace_back([&context = *context] { context.run(); });
  }
}

asio::any_io_executor io_runner::next_connection_executor() {
  auto i = next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size();
  return contexts_[i]->get_executor();
}

std::vector<asio::any_io_executor> io_runner::executors() const {
  std::vector<asio::any_io_executor> all;
  for (auto const& context : contexts_) all.push_back(context->get_executor());
  return all;
}

void io_runner::stop() {
  work_.clear();
  for (auto& context : contexts_) context->stop();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  blocking.join();
}

int io_threads_for(settings const& cfg) {
  return cfg.threads > 0 ? cfg.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

namespace {

std::string secret_for(settings const& cfg) {
  if (!cfg.secret_key.empty()) return cfg.secret_key;
  spdlog::warn("SECRET_KEY is not set: using a random one, so tokens end with this process (DEBUG only)");
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char hex[sizeof bytes * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return hex;
}

service_limits limits_for(settings const& cfg) {
  service_limits limits{cfg.max_message_chars, cfg.max_group_members, cfg.history_max_limit};
  limits.sync_max_messages = cfg.ws_sync_max_messages;
  limits.max_reactions_per_message = cfg.max_reactions_per_message;
  limits.send_per_second = cfg.send_rate_per_second;
  limits.send_burst = cfg.send_burst;
  limits.reads_per_second = cfg.reads_per_second;
  limits.typing_min_interval_ms = cfg.typing_min_interval_ms;
  return limits;
}

file_limits file_limits_for(settings const& cfg) {
  file_limits out;
  out.max_file_bytes = cfg.max_file_bytes;
  out.quota_bytes = cfg.file_quota_bytes;
  out.unattached_lifetime = std::chrono::hours(cfg.unattached_file_hours);
  out.blob_grace = std::chrono::seconds(cfg.file_blob_grace_seconds);
  return out;
}

login_throttle_settings login_throttle_for(settings const& cfg) {
  login_throttle_settings out;
  out.account_free_failures = cfg.login_free_failures;
  out.address_free_failures = cfg.login_address_free_failures;
  out.max_delay = std::chrono::seconds(cfg.login_max_delay_seconds);
  return out;
}

limiter_settings limiter_settings_for(settings const& cfg) {
  auto const limits = limits_for(cfg);
  limiter_settings out;
  out.login = login_throttle_for(cfg);
  auto bucket = [&out](bucket_kind kind) -> token_bucket_settings& {
    return out.buckets[static_cast<int>(kind)];
  };
  bucket(bucket_kind::registration) = {.burst = static_cast<double>(cfg.registration_burst),
                                       .per_second = cfg.registrations_per_hour / 3600.0};
  bucket(bucket_kind::send) = {.burst = limits.send_burst, .per_second = limits.send_per_second};
  bucket(bucket_kind::read) = {.burst = 2 * limits.reads_per_second, .per_second = limits.reads_per_second};
  bucket(bucket_kind::typing) = {.burst = 1,
                                 .per_second = 1000.0 / std::max(limits.typing_min_interval_ms, 1)};
  return out;
}

// The PostgreSQL blob store's own connections. Its own pool rather than the store's: a statement of it moves
// up to a 256 KiB chunk, and a few large uploads or downloads at once would otherwise hold the connections
// that sends, history and logins wait for (a quarter of the store's pool is group commit's already); it is
// also out of reach behind the store's interface. Four keep several transfers going at once for 4 more server
// connections per process, opened only once files are used.
constexpr int blob_pool_size = 4;

std::unique_ptr<files::blob_store> make_blob_store(settings const& cfg, io_runner& runner) {
  if (cfg.files_storage == settings::file_storage::postgres) {
    return make_postgres_blob_store(cfg.database.postgres_conninfo, blob_pool_size, runner.io.get_executor(),
                                    runner.blocking.get_executor());
  }
  return std::make_unique<files::disk_blob_store>(cfg.files_dir, runner.blocking.get_executor());
}

std::unique_ptr<limiter> make_limiter(settings const& cfg, asio::any_io_executor io, clock const& clock) {
  if (cfg.redis_url.empty()) return std::make_unique<local_limiter>(limiter_settings_for(cfg), clock);
  return make_redis_limiter(cfg.redis_url, std::move(io), limiter_settings_for(cfg), clock);
}

}  // namespace

runtime::runtime(settings const& cfg_, int io_threads)
    : cfg(cfg_),
      secret(secret_for(cfg)),
      runner(io_threads),
      db(open_store(cfg.database, runner.io.get_executor())),
      events(cfg.redis_url.empty() ? make_local_bus(runner.io.get_executor())
                                   : make_redis_bus(cfg.redis_url, runner.io.get_executor())),
      hasher(cfg.password_opslimit, cfg.password_memlimit_bytes),
      tokens(secret, cfg.access_token_ttl, clock),
      rate_limits(make_limiter(cfg, runner.io.get_executor(), clock)),
      file_urls(secret, std::chrono::seconds(cfg.file_url_seconds)),
      sign_urls(file_urls, clock),
      blobs(make_blob_store(cfg, runner)),
      auth(*db, *events, hasher, tokens, clock, runner.blocking.get_executor(), *rate_limits),
      users(*db),
      chats(*db, *events, clock, limits_for(cfg), sign_urls),
      messages(*db, *events, clock, *rate_limits, limits_for(cfg), sign_urls),
      search(*db, limits_for(cfg), sign_urls),
      presence(*db, *events, clock),
      sync(*db, presence, limits_for(cfg), sign_urls),
      files(*db, *blobs, clock, file_urls, runner.blocking.get_executor(),
            std::filesystem::path(cfg.data_dir) / "spool", file_limits_for(cfg)) {
  media::init_images();
  rate_limits->start();
  spdlog::info("database: {}", cfg.database.kind == database_settings::backend::postgres
                                   ? mask_url_password(cfg.database.postgres_conninfo)
                                   : "sqlite " + cfg.database.sqlite_path);
  spdlog::info("files: {}", cfg.files_storage == settings::file_storage::postgres
                                ? "in the PostgreSQL database"
                                : "on disk in " + cfg.files_dir);
}

service_limits runtime::limits() const { return limits_for(cfg); }

runtime::~runtime() {
  rate_limits->stop();
  events->stop();
  runner.stop();
}

bool runtime::migrate() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    auto applied = wait(db->migrate());
    if (applied) {
      if (*applied > 0) spdlog::info("applied {} migration(s)", *applied);
      return true;
    }
    if (applied.error().code != errc::unavailable || std::chrono::steady_clock::now() > deadline) {
      spdlog::critical("database migration failed: {}", applied.error().detail);
      return false;
    }
    spdlog::warn("database unavailable ({}), retrying", applied.error().detail);
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

}  // namespace windi::app
