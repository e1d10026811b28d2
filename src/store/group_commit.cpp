#include "store/group_commit.hpp"

#include "store/append_batcher.hpp"

#include <algorithm>
#include <chrono>
#include <vector>

namespace windi {
namespace {

class group_commit_store final : public store {
 public:
  group_commit_store(std::unique_ptr<store> inner, boost::asio::any_io_executor io,
                     group_commit_options options)
      : inner_(std::move(inner)) {
    if (auto own = inner_->commit_executor()) io = std::move(own);
    for (int i = 0; i < std::max(options.shards, 1); ++i) {
      shards_.push_back(std::make_unique<append_batcher>(
          io, [this](std::vector<new_message> batch) { return commit_batch(std::move(batch)); },
          options.max_batch, 1));
    }
  }

  task<outcome<appended_message>> append_message(new_message m) override {
    // A chat's appends always go to the same shard, so they commit in the order they were made. The shard
    // queues the message before this coroutine first waits, so callers keep their order through it.
    auto& shard = *shards_[static_cast<std::size_t>(m.chat) % shards_.size()];
    stats_.pending.fetch_add(1, std::memory_order_relaxed);
    auto result = co_await shard.append(std::move(m));
    stats_.pending.fetch_sub(1, std::memory_order_relaxed);
    co_return result;
  }
  task<std::vector<outcome<appended_message>>> append_messages(std::vector<new_message> batch) override {
    return inner_->append_messages(std::move(batch));
  }

  task<outcome<user>> create_user(new_user u) override { return inner_->create_user(std::move(u)); }
  task<outcome<user_credentials>> find_credentials(std::string username) override {
    return inner_->find_credentials(std::move(username));
  }
  task<outcome<user>> get_user(user_id id) override { return inner_->get_user(id); }
  task<outcome<credential_state>> get_credential_state(user_id user, micros now) override {
    return inner_->get_credential_state(user, now);
  }
  task<outcome<void>> revoke_token(user_id user, std::string token_id, micros expires_at,
                                   micros now) override {
    return inner_->revoke_token(user, std::move(token_id), expires_at, now);
  }
  task<outcome<std::int64_t>> set_password(user_id user, std::string password_hash) override {
    return inner_->set_password(user, std::move(password_hash));
  }
  task<outcome<std::vector<user>>> search_users(std::string prefix, user_id except, int limit) override {
    return inner_->search_users(std::move(prefix), except, limit);
  }
  task<outcome<private_chat_result>> find_or_create_private_chat(user_id a, user_id b, micros now) override {
    return inner_->find_or_create_private_chat(a, b, now);
  }
  task<outcome<chat>> create_group_chat(user_id creator, std::string name, std::vector<user_id> member_ids,
                                        micros now) override {
    return inner_->create_group_chat(creator, std::move(name), std::move(member_ids), now);
  }
  task<outcome<chat>> get_chat(chat_id id) override { return inner_->get_chat(id); }
  task<outcome<std::optional<member>>> get_membership(chat_id chat, user_id user) override {
    return inner_->get_membership(chat, user);
  }
  task<outcome<std::vector<chat_summary>>> list_chats(user_id user) override {
    return inner_->list_chats(user);
  }
  task<outcome<std::vector<chat_id>>> chat_ids_of(user_id user) override { return inner_->chat_ids_of(user); }
  task<outcome<std::vector<user_id>>> contacts_of(user_id user) override { return inner_->contacts_of(user); }
  task<outcome<chat_change>> add_member(chat_id chat, user_id user, member_role role, micros now) override {
    return inner_->add_member(chat, user, role, now);
  }
  task<outcome<chat_change>> remove_member(chat_id chat, user_id user) override {
    return inner_->remove_member(chat, user);
  }
  task<outcome<chat_change>> rename_chat(chat_id chat, std::string name) override {
    return inner_->rename_chat(chat, std::move(name));
  }
  task<outcome<message_change>> edit_message(message_id id, user_id editor, std::string text,
                                             micros now) override {
    return inner_->edit_message(id, editor, std::move(text), now);
  }
  task<outcome<message_change>> delete_message(message_id id, user_id by, micros now) override {
    return inner_->delete_message(id, by, now);
  }
  task<outcome<message_change>> set_reaction(message_id id, user_id user, std::string emoji, bool present,
                                             int max_distinct, micros now) override {
    return inner_->set_reaction(id, user, std::move(emoji), present, max_distinct, now);
  }
  task<outcome<changes_page>> changes_since(chat_id chat, std::int64_t after_change, int limit) override {
    return inner_->changes_since(chat, after_change, limit);
  }
  task<outcome<std::vector<message>>> history(history_query q) override {
    auto const started = std::chrono::steady_clock::now();
    auto page = co_await inner_->history(q);
    stats_.history_seconds.observe(seconds_since(started));
    co_return page;
  }
  task<outcome<message>> get_message(message_id id) override { return inner_->get_message(id); }
  task<outcome<std::vector<search_hit>>> search_messages(search_request q) override {
    return inner_->search_messages(std::move(q));
  }
  task<outcome<read_marker>> mark_read(chat_id chat, user_id reader, std::int64_t up_to_seq) override {
    return inner_->mark_read(chat, reader, up_to_seq);
  }
  task<outcome<file_record>> create_file(new_file f) override { return inner_->create_file(std::move(f)); }
  task<outcome<file_record>> get_file(file_id id, user_id reader) override {
    return inner_->get_file(id, reader);
  }
  task<outcome<file_record>> get_chat_file(file_id id, chat_id chat) override {
    return inner_->get_chat_file(id, chat);
  }
  task<outcome<std::int64_t>> stored_bytes(user_id owner) override { return inner_->stored_bytes(owner); }
  task<outcome<int>> remove_unattached_files(micros created_before, int limit, micros now) override {
    return inner_->remove_unattached_files(created_before, limit, now);
  }
  task<outcome<std::vector<std::string>>> released_blobs(micros released_before, int limit) override {
    return inner_->released_blobs(released_before, limit);
  }
  task<outcome<void>> forget_released_blob(std::string blob) override {
    return inner_->forget_released_blob(std::move(blob));
  }
  task<outcome<int>> migrate() override { return inner_->migrate(); }
  task<store_health> health() override { return inner_->health(); }
  boost::asio::any_io_executor commit_executor() override { return inner_->commit_executor(); }
  pool_stats const* connection_pool_stats() const override { return inner_->connection_pool_stats(); }

  group_commit_stats stats_;

 private:
  static double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

  task<std::vector<outcome<appended_message>>> commit_batch(std::vector<new_message> batch) {
    auto const size = batch.size();
    auto const started = std::chrono::steady_clock::now();
    auto results = co_await inner_->append_messages(std::move(batch));
    stats_.commit_seconds.observe(seconds_since(started));
    stats_.batch_size.observe(static_cast<double>(size));
    for (auto const& r : results) {
      if (!r) {
        stats_.append_failures.inc();
      } else if (!r->duplicate) {
        stats_.messages_stored.inc();
      }
    }
    co_return results;
  }

  std::unique_ptr<store> inner_;
  std::vector<std::unique_ptr<append_batcher>> shards_;  // destroyed before inner_
};

}  // namespace

group_commit_stats* group_commit_stats_of(store& s) {
  auto* decorated = dynamic_cast<group_commit_store*>(&s);
  return decorated ? &decorated->stats_ : nullptr;
}

std::unique_ptr<store> with_group_commit(std::unique_ptr<store> inner, boost::asio::any_io_executor io,
                                         group_commit_options options) {
  return std::make_unique<group_commit_store>(std::move(inner), std::move(io), options);
}

}  // namespace windi
