// The SQLite store: one writing connection owned by one dedicated thread, and a few reading connections, each
// on a thread of its own. Every call is shipped to one of those threads with offload(), so no I/O thread ever
// blocks on the database and no connection needs locking. WAL lets the readers proceed beside the writer, so
// a long read (a sync replaying thousands of messages, a search, a deep history page) never holds up a send's
// commit; each multi-statement read runs in a read transaction, one snapshot.
#include "store/open_store.hpp"
#include "store/sqlite/connection.hpp"
#include "store/sqlite/operations.hpp"
#include "support/offload.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <future>
#include <memory>
#include <vector>

namespace windi {
namespace {

using sqlite::connection;
using sqlite::sqlite_error;

failure to_failure(char const* operation, sqlite_error const& e) {
  switch (e.code() & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_PROTOCOL:
    case SQLITE_READONLY:
      spdlog::warn("sqlite: {} failed, database unavailable: {} (code {})", operation, e.what(), e.code());
      return fail(errc::unavailable, "Database unavailable");
    default:
      spdlog::error("sqlite: {} failed: {} (code {})", operation, e.what(), e.code());
      return fail(errc::internal, "Database error");
  }
}

// Opens a connection on the thread that will use it, so it is only ever touched by that one thread. A failure
// to open is a start-up failure: it propagates as the exception.
std::unique_ptr<connection> open_on(boost::asio::thread_pool& thread, std::string const& path) {
  std::promise<std::unique_ptr<connection>> opened;
  auto ready = opened.get_future();
  boost::asio::post(thread, [&opened, &path] {
    try {
      opened.set_value(std::make_unique<connection>(path));
    } catch (...) {
      opened.set_exception(std::current_exception());
    }
  });
  return ready.get();
}

// Outstanding calls finish first; the connection is closed on the thread that used it.
void close_on(boost::asio::thread_pool& thread, std::unique_ptr<connection>& db) {
  boost::asio::post(thread, [&db] { db.reset(); });
  thread.join();
}

// An in-memory database is private to its connection: there, reads stay on the writer.
bool shared_between_connections(std::string const& path) {
  return !(path.empty() || path == ":memory:" || path.starts_with("file:"));
}

class sqlite_store final : public store {
 public:
  explicit sqlite_store(std::string const& path) {
    db_ = open_on(worker_, path);
    if (!shared_between_connections(path)) return;
    for (std::size_t i = 0; i < reader_count; ++i) {
      auto r = std::make_unique<reader>();
      r->db = open_on(r->thread, path);
      readers_.push_back(std::move(r));
    }
  }

  ~sqlite_store() override {
    for (auto& r : readers_) close_on(r->thread, r->db);
    close_on(worker_, db_);
  }

  task<outcome<user>> create_user(new_user u) override {
    return call<user>("create_user",
                      [u = std::move(u)](connection& db) { return sqlite::create_user(db, u); });
  }
  task<outcome<user_credentials>> find_credentials(std::string username) override {
    return read<user_credentials>("find_credentials", [username = std::move(username)](connection& db) {
      return sqlite::find_credentials(db, username);
    });
  }
  task<outcome<user>> get_user(user_id id) override {
    return read<user>("get_user", [id](connection& db) { return sqlite::get_user(db, id); });
  }
  task<outcome<std::vector<user>>> search_users(std::string prefix, user_id except, int limit) override {
    return read<std::vector<user>>("search_users",
                                   [prefix = std::move(prefix), except, limit](connection& db) {
                                     return sqlite::search_users(db, prefix, except, limit);
                                   });
  }
  task<outcome<credential_state>> get_credential_state(user_id user, micros now) override {
    return read<credential_state>("get_credential_state", [user, now](connection& db) {
      return sqlite::get_credential_state(db, user, now);
    });
  }
  task<outcome<void>> revoke_token(user_id user, std::string token_id, micros expires_at,
                                   micros now) override {
    return call<void>("revoke_token",
                      [user, token_id = std::move(token_id), expires_at, now](connection& db) {
                        return sqlite::revoke_token(db, user, token_id, expires_at, now);
                      });
  }
  task<outcome<std::int64_t>> set_password(user_id user, std::string password_hash) override {
    return call<std::int64_t>("set_password", [user, hash = std::move(password_hash)](connection& db) {
      return sqlite::set_password(db, user, hash);
    });
  }

  task<outcome<private_chat_result>> find_or_create_private_chat(user_id a, user_id b, micros now) override {
    return call<private_chat_result>("find_or_create_private_chat", [a, b, now](connection& db) {
      return sqlite::find_or_create_private_chat(db, a, b, now);
    });
  }
  task<outcome<chat>> create_group_chat(user_id creator, std::string name, std::vector<user_id> member_ids,
                                        micros now) override {
    return call<chat>("create_group_chat", [creator, name = std::move(name),
                                            member_ids = std::move(member_ids), now](connection& db) {
      return sqlite::create_group_chat(db, creator, name, member_ids, now);
    });
  }
  task<outcome<chat>> get_chat(chat_id id) override {
    return read<chat>("get_chat", [id](connection& db) { return sqlite::get_chat(db, id); });
  }
  task<outcome<std::optional<member>>> get_membership(chat_id chat, user_id user) override {
    return read<std::optional<member>>(
        "get_membership", [chat, user](connection& db) { return sqlite::get_membership(db, chat, user); });
  }
  task<outcome<std::vector<chat_summary>>> list_chats(user_id user) override {
    return read<std::vector<chat_summary>>("list_chats",
                                           [user](connection& db) { return sqlite::list_chats(db, user); });
  }
  task<outcome<std::vector<chat_id>>> chat_ids_of(user_id user) override {
    return read<std::vector<chat_id>>("chat_ids_of",
                                      [user](connection& db) { return sqlite::chat_ids_of(db, user); });
  }
  task<outcome<std::vector<user_id>>> contacts_of(user_id user) override {
    return read<std::vector<user_id>>("contacts_of",
                                      [user](connection& db) { return sqlite::contacts_of(db, user); });
  }
  task<outcome<chat_change>> add_member(chat_id chat, user_id user, member_role role, micros now) override {
    return call<chat_change>("add_member", [chat, user, role, now](connection& db) {
      return sqlite::add_member(db, chat, user, role, now);
    });
  }
  task<outcome<chat_change>> remove_member(chat_id chat, user_id user) override {
    return call<chat_change>("remove_member",
                             [chat, user](connection& db) { return sqlite::remove_member(db, chat, user); });
  }
  task<outcome<chat_change>> rename_chat(chat_id chat, std::string name) override {
    return call<chat_change>("rename_chat", [chat, name = std::move(name)](connection& db) {
      return sqlite::rename_chat(db, chat, name);
    });
  }

  task<outcome<message_change>> edit_message(message_id id, user_id editor, std::string text,
                                             micros now) override {
    return call<message_change>("edit_message", [id, editor, text = std::move(text), now](connection& db) {
      return sqlite::edit_message(db, id, editor, text, now);
    });
  }
  task<outcome<message_change>> delete_message(message_id id, user_id by, micros now) override {
    return call<message_change>(
        "delete_message", [id, by, now](connection& db) { return sqlite::delete_message(db, id, by, now); });
  }
  task<outcome<message_change>> set_reaction(message_id id, user_id user, std::string emoji, bool present,
                                             int max_distinct, micros now) override {
    return call<message_change>(
        "set_reaction", [id, user, emoji = std::move(emoji), present, max_distinct, now](connection& db) {
          return sqlite::set_reaction(db, id, user, emoji, present, max_distinct, now);
        });
  }
  task<outcome<changes_page>> changes_since(chat_id chat, std::int64_t after_change, int limit) override {
    return read<changes_page>("changes_since", [chat, after_change, limit](connection& db) {
      return sqlite::changes_since(db, chat, after_change, limit);
    });
  }

  task<std::vector<outcome<appended_message>>> append_messages(std::vector<new_message> batch) override {
    return offload(worker_.get_executor(), [this, batch = std::move(batch)]() -> append_results {
      try {
        return sqlite::append_messages(*db_, batch);
      } catch (sqlite_error const& e) {
        return append_results(batch.size(), to_failure("append_messages", e));
      }
    });
  }
  task<outcome<std::vector<message>>> history(history_query q) override {
    return read<std::vector<message>>("history", [q](connection& db) { return sqlite::history(db, q); });
  }
  task<outcome<std::vector<search_hit>>> search_messages(search_request q) override {
    return read<std::vector<search_hit>>(
        "search_messages", [q = std::move(q)](connection& db) { return sqlite::search_messages(db, q); });
  }
  task<outcome<message>> get_message(message_id id) override {
    return read<message>("get_message", [id](connection& db) { return sqlite::get_message(db, id); });
  }
  task<outcome<read_marker>> mark_read(chat_id chat, user_id reader, std::int64_t up_to_seq) override {
    return call<read_marker>("mark_read", [chat, reader, up_to_seq](connection& db) {
      return sqlite::mark_read(db, chat, reader, up_to_seq);
    });
  }

  task<outcome<file_record>> create_file(new_file f) override {
    return call<file_record>("create_file",
                             [f = std::move(f)](connection& db) { return sqlite::create_file(db, f); });
  }
  task<outcome<file_record>> get_file(file_id id, user_id reader) override {
    return read<file_record>("get_file",
                             [id, reader](connection& db) { return sqlite::get_file(db, id, reader); });
  }
  task<outcome<file_record>> get_chat_file(file_id id, chat_id chat) override {
    return read<file_record>("get_chat_file",
                             [id, chat](connection& db) { return sqlite::get_chat_file(db, id, chat); });
  }
  task<outcome<std::int64_t>> stored_bytes(user_id owner) override {
    return read<std::int64_t>("stored_bytes",
                              [owner](connection& db) { return sqlite::stored_bytes(db, owner); });
  }
  task<outcome<int>> remove_unattached_files(micros created_before, int limit, micros now) override {
    return call<int>("remove_unattached_files", [created_before, limit, now](connection& db) {
      return sqlite::remove_unattached_files(db, created_before, limit, now);
    });
  }
  task<outcome<std::vector<std::string>>> released_blobs(micros released_before, int limit) override {
    return call<std::vector<std::string>>("released_blobs", [released_before, limit](connection& db) {
      return sqlite::released_blobs(db, released_before, limit);
    });
  }
  task<outcome<void>> forget_released_blob(std::string blob) override {
    return call<void>("forget_released_blob", [blob = std::move(blob)](connection& db) {
      return sqlite::forget_released_blob(db, blob);
    });
  }

  task<outcome<int>> migrate() override {
    auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    return call<int>("migrate", [now](connection& db) { return sqlite::migrate(db, now); });
  }

  boost::asio::any_io_executor commit_executor() override { return worker_.get_executor(); }

  task<store_health> health() override {
    return offload(worker_.get_executor(), [this]() -> store_health {
      try {
        db_->query("SELECT 1").step();
        return store_health{.backend = "sqlite", .ok = true, .detail = {}};
      } catch (sqlite_error const& e) {
        spdlog::warn("sqlite: health check failed: {}", e.what());
        return store_health{.backend = "sqlite", .ok = false, .detail = "database unavailable"};
      }
    });
  }

 private:
  using append_results = std::vector<outcome<appended_message>>;

  // Runs fn(connection) on the writer's thread; SQLite errors become failures, never exceptions.
  template <class T, class Fn>
  task<outcome<T>> call(char const* operation, Fn fn) {
    return run_on<T>(worker_, *db_, operation, std::move(fn));
  }

  // The same for a call that only reads, on the next reader in turn.
  template <class T, class Fn>
  task<outcome<T>> read(char const* operation, Fn fn) {
    if (readers_.empty()) return call<T>(operation, std::move(fn));
    auto& r = *readers_[next_reader_.fetch_add(1, std::memory_order_relaxed) % readers_.size()];
    return run_on<T>(r.thread, *r.db, operation, std::move(fn));
  }

  template <class T, class Fn>
  static task<outcome<T>> run_on(boost::asio::thread_pool& thread, connection& db, char const* operation,
                                 Fn fn) {
    return offload(thread.get_executor(), [&db, operation, fn = std::move(fn)]() -> outcome<T> {
      try {
        return fn(db);
      } catch (sqlite_error const& e) {
        return to_failure(operation, e);
      }
    });
  }

  // Two: reads seldom wait behind one another, and this is an embedded default on a small machine.
  static constexpr std::size_t reader_count = 2;
  struct reader {
    boost::asio::thread_pool thread{1};
    std::unique_ptr<connection> db;  // touched only on `thread`
  };

  boost::asio::thread_pool worker_{1};
  std::unique_ptr<connection> db_;  // touched only on worker_'s thread
  std::vector<std::unique_ptr<reader>> readers_;
  std::atomic<std::size_t> next_reader_{0};
};

}  // namespace

std::unique_ptr<store> make_sqlite_store(std::string path) { return std::make_unique<sqlite_store>(path); }

}  // namespace windi
