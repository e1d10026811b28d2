#pragma once
// The PostgreSQL store: each method is one transaction (mostly one statement; the multi-step writes are
// plpgsql functions from the migrations), run on a pooled connection under a deadline.
#include "store/append_batcher.hpp"
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

  task<outcome<private_chat_result>> find_or_create_private_chat(user_id a, user_id b, micros now) override;
  task<outcome<chat>> create_group_chat(user_id creator, std::string name, std::vector<user_id> member_ids,
                                        micros now) override;
  task<outcome<chat>> get_chat(chat_id id) override;
  task<outcome<std::optional<member>>> get_membership(chat_id chat, user_id user) override;
  task<outcome<std::vector<chat_summary>>> list_chats(user_id user) override;
  task<outcome<member>> add_member(chat_id chat, user_id user, member_role role, micros now) override;
  task<outcome<void>> remove_member(chat_id chat, user_id user) override;

  task<outcome<appended_message>> append_message(new_message m) override;
  task<outcome<std::vector<message>>> history(history_query q) override;
  task<outcome<message>> get_message(message_id id) override;
  task<outcome<read_marker>> mark_read(chat_id chat, user_id reader, std::int64_t up_to_seq) override;

  task<outcome<int>> migrate() override;
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
  // One group commit (see append_batcher); falls back to one statement per message if the batch fails.
  task<std::vector<outcome<appended_message>>> append_batch(std::vector<new_message> batch);
  task<outcome<appended_message>> append_one(new_message m);
  // One windi_append_messages statement; fails as a whole when the statement does.
  task<outcome<std::vector<outcome<appended_message>>>> append_statement(
      std::vector<new_message> const& batch);

  static constexpr std::size_t max_append_batch = 256;
  pool pool_;
  std::vector<std::unique_ptr<append_batcher>> appends_;  // a chat's appends always go to the same one
};

}  // namespace windi::pg
