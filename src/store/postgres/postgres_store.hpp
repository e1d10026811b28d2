#pragma once
// The PostgreSQL store: each method is one transaction (mostly one statement; the multi-step writes are
// plpgsql functions from the migrations), run on a pooled connection under a deadline.
#include "store/postgres/pool.hpp"
#include "store/store.hpp"

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace windi::pg {

class postgres_store final : public store {
 public:
  postgres_store(std::string conninfo, int pool_size, boost::asio::any_io_executor io);

  task<outcome<user>> create_user(new_user u) override;
  task<outcome<user_credentials>> find_credentials(std::string username) override;
  task<outcome<user>> get_user(user_id id) override;
  task<outcome<std::vector<user>>> search_users(std::string prefix, user_id except, int limit) override;
  task<outcome<credential_state>> get_credential_state(user_id user, micros now) override;
  task<outcome<void>> revoke_token(user_id user, std::string token_id, micros expires_at,
                                   micros now) override;
  task<outcome<std::int64_t>> set_password(user_id user, std::string password_hash) override;

  task<outcome<private_chat_result>> find_or_create_private_chat(user_id a, user_id b, micros now) override;
  task<outcome<chat>> create_group_chat(user_id creator, std::string name, std::vector<user_id> member_ids,
                                        micros now) override;
  task<outcome<chat>> get_chat(chat_id id) override;
  task<outcome<std::optional<member>>> get_membership(chat_id chat, user_id user) override;
  task<outcome<std::vector<chat_summary>>> list_chats(user_id user) override;
  task<outcome<std::vector<chat_id>>> chat_ids_of(user_id user) override;
  task<outcome<std::vector<user_id>>> contacts_of(user_id user) override;
  task<outcome<chat_change>> add_member(chat_id chat, user_id user, member_role role, micros now) override;
  task<outcome<chat_change>> remove_member(chat_id chat, user_id user) override;
  task<outcome<chat_change>> rename_chat(chat_id chat, std::string name) override;

  // One statement (windi_append_messages); if it fails as a whole, each message on its own.
  task<std::vector<outcome<appended_message>>> append_messages(std::vector<new_message> batch) override;
  task<outcome<message_change>> edit_message(message_id id, user_id editor, std::string text,
                                             micros now) override;
  task<outcome<message_change>> delete_message(message_id id, user_id by, micros now) override;
  task<outcome<message_change>> set_reaction(message_id id, user_id user, std::string emoji, bool present,
                                             int max_distinct, micros now) override;
  task<outcome<changes_page>> changes_since(chat_id chat, std::int64_t after_change, int limit) override;
  task<outcome<std::vector<message>>> history(history_query q) override;
  task<outcome<message>> get_message(message_id id) override;
  task<outcome<read_marker>> mark_read(chat_id chat, user_id reader, std::int64_t up_to_seq) override;

  // One statement: the matches picked through the text index, then the page's rows, chat names and snippets.
  task<outcome<std::vector<search_hit>>> search_messages(search_request q) override;

  task<outcome<file_record>> create_file(new_file f) override;
  task<outcome<file_record>> get_file(file_id id, user_id reader) override;
  task<outcome<file_record>> get_chat_file(file_id id, chat_id chat) override;
  task<outcome<std::int64_t>> stored_bytes(user_id owner) override;
  task<outcome<int>> remove_unattached_files(micros created_before, int limit, micros now) override;
  task<outcome<std::vector<std::string>>> released_blobs(micros released_before, int limit) override;
  task<outcome<void>> forget_released_blob(std::string blob) override;

  task<outcome<int>> migrate() override;
  pool_stats const* connection_pool_stats() const override { return &pool_.stats(); }
  task<store_health> health() override;

 private:
  // One store call: a leased connection and the deadline every wait of the call shares.
  struct call {
    pool::lease conn;
    clock::time_point deadline;
  };

  // A query that hangs longer than this is treated as the server being unavailable.
  static constexpr std::chrono::seconds query_budget{10};

  task<outcome<call>> begin(clock::duration budget = query_budget);
  // Server errors become failures via sql_failure; `what` names the operation in the detail.
  static task<outcome<result>> query(call& c, statement const& stmt, params args, std::string_view what);
  // Keeps a server error as a result value, for callers that map particular SQLSTATEs.
  static task<outcome<result>> query_raw(call& c, statement const& stmt, params args);
  static task<outcome<chat>> load_chat(call& c, chat_id id);
  static file_record read_file(result const& r);  // the first row of a files query (store_files.cpp)
  // One call of a windi_*_message change function; `what` names the operation.
  task<outcome<message_change>> change_message(statement const& stmt, params args, std::string_view what,
                                               int max_distinct = 0);
  // One call of a windi_* chat change function.
  task<outcome<chat_change>> change_chat(statement const& stmt, params args, std::string_view what);
  task<outcome<appended_message>> append_one(new_message m);
  // One windi_append_messages statement; fails as a whole when the statement does.
  task<outcome<std::vector<outcome<appended_message>>>> append_statement(
      std::vector<new_message> const& batch);

  pool pool_;
};

}  // namespace windi::pg
