#include "store/sqlite/operations.hpp"

#include <algorithm>
#include <string>
#include <unordered_map>

namespace windi::sqlite {
namespace {

std::optional<message> find_message(connection& db, std::string_view sql, auto const&... args) {
  auto s = db.query(sql, args...);
  if (!s.step()) return std::nullopt;
  return read_message(s, 0);
}

std::vector<message> read_page(statement& s, bool newest_first) {
  std::vector<message> page;
  while (s.step()) page.push_back(read_message(s, 0));
  if (newest_first) std::reverse(page.begin(), page.end());
  return page;
}

}  // namespace

namespace {

// One append inside the caller's write transaction; the write lock is the chat's lock, so last_seq is read
// and bumped with no other writer in between.
outcome<appended_message> append_one(connection& db, new_message const& m) {
  static constexpr auto by_client_id =
      concat(select_message_sql, "WHERE m.sender_id = ?1 AND m.client_message_id = ?2");
  static constexpr auto by_id = concat(select_message_sql, "WHERE m.id = ?1");

  std::int64_t last_seq = 0;
  {
    auto s = db.query("SELECT last_seq FROM chats WHERE id = ?1", m.chat);
    if (!s.step()) return fail(errc::not_found, "Chat not found");
    last_seq = s.int64(0);
  }
  std::vector<user_id> members;
  bool is_member = false;
  {
    auto s = db.query("SELECT user_id FROM chat_members WHERE chat_id = ?1", m.chat);
    while (s.step()) {
      members.push_back(s.int64(0));
      is_member = is_member || members.back() == m.sender_id;
    }
  }
  if (!is_member) return fail(errc::forbidden, "Not a member of this chat");
  if (m.client_message_id) {
    if (auto earlier = find_message(db, by_client_id, m.sender_id, *m.client_message_id)) {
      return appended_message{
          .stored = std::move(*earlier), .duplicate = true, .members = std::move(members)};
    }
  }
  std::int64_t const seq = last_seq + 1;
  db.query(
        "INSERT INTO messages (chat_id, seq, sender_id, text, client_message_id, created_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        m.chat, seq, m.sender_id, m.text, m.client_message_id, m.created_at)
      .run();
  message_id const id = db.last_insert_rowid();
  db.query("UPDATE chats SET last_seq = ?2, last_activity_at = ?3 WHERE id = ?1", m.chat, seq, m.created_at)
      .run();
  // The sender has read its own message, which keeps unread_count a plain subtraction.
  db.query("UPDATE chat_members SET last_read_seq = ?3 WHERE chat_id = ?1 AND user_id = ?2", m.chat,
           m.sender_id, seq)
      .run();
  auto stored = find_message(db, by_id, id);
  return appended_message{.stored = std::move(*stored), .duplicate = false, .members = std::move(members)};
}

}  // namespace

std::vector<outcome<appended_message>> append_messages(connection& db,
                                                       std::vector<new_message> const& batch) {
  std::vector<outcome<appended_message>> results;
  results.reserve(batch.size());
  transaction tx(db, transaction::mode::write);
  for (auto const& m : batch) {
    // A savepoint per message: one that fails half-way leaves no trace and takes no other message with it.
    db.exec("SAVEPOINT append_one");
    try {
      results.push_back(append_one(db, m));
      db.exec("RELEASE append_one");
    } catch (sqlite_error const& e) {
      db.exec("ROLLBACK TO append_one");
      db.exec("RELEASE append_one");
      results.push_back(fail(errc::internal, e.what()));
    }
  }
  tx.commit();
  return results;
}

outcome<std::vector<message>> history(connection& db, history_query const& q) {
  // Every branch walks the UNIQUE (chat_id, seq) index from a bound, so a page costs the same at any depth.
  // Seqs are dense (assigned under the write lock, never deleted), so an offset from the newest is a seq
  // bound.
  static constexpr auto before =
      concat(select_message_sql, "WHERE m.chat_id = ?1 AND m.seq < ?2 ORDER BY m.seq DESC LIMIT ?3");
  static constexpr auto after =
      concat(select_message_sql, "WHERE m.chat_id = ?1 AND m.seq > ?2 ORDER BY m.seq LIMIT ?3");
  static constexpr auto newest =
      concat(select_message_sql,
             "WHERE m.chat_id = ?1 AND m.seq <= (SELECT last_seq FROM chats WHERE id = ?1) - ?3 "
             "ORDER BY m.seq DESC LIMIT ?2");
  if (q.before_seq) {
    auto s = db.query(before, q.chat, *q.before_seq, q.limit);
    return read_page(s, true);
  }
  if (q.after_seq) {
    auto s = db.query(after, q.chat, *q.after_seq, q.limit);
    return read_page(s, false);
  }
  auto s = db.query(newest, q.chat, q.limit, q.offset);
  return read_page(s, true);
}

outcome<message> get_message(connection& db, message_id id) {
  static constexpr auto by_id = concat(select_message_sql, "WHERE m.id = ?1");
  auto found = find_message(db, by_id, id);
  if (!found) return fail(errc::not_found, "Message not found");
  return std::move(*found);
}

outcome<read_marker> mark_read(connection& db, chat_id chat, user_id reader, std::int64_t up_to_seq) {
  transaction tx(db, transaction::mode::write);
  std::int64_t old_seq = 0;
  std::int64_t last_seq = 0;
  {
    auto s = db.query(
        "SELECT cm.last_read_seq, c.last_seq FROM chat_members cm JOIN chats c ON c.id = cm.chat_id "
        "WHERE cm.chat_id = ?1 AND cm.user_id = ?2",
        chat, reader);
    if (!s.step()) return fail(errc::forbidden, "Not a member of this chat");
    old_seq = s.int64(0);
    last_seq = s.int64(1);
  }
  std::int64_t const new_seq = std::max(old_seq, std::min(up_to_seq, last_seq));
  if (new_seq != old_seq) {
    db.query("UPDATE chat_members SET last_read_seq = ?3 WHERE chat_id = ?1 AND user_id = ?2", chat, reader,
             new_seq)
        .run();
  }
  tx.commit();
  return read_marker{
      .chat = chat, .reader = reader, .last_read_seq = new_seq, .advanced = new_seq != old_seq};
}

outcome<std::vector<chat_summary>> list_chats(connection& db, user_id user) {
  // Two queries whatever the number of chats: summaries (the last message is a point lookup on
  // (chat_id, seq) = (id, last_seq)), then every member of those chats. One snapshot for both.
  static constexpr char summaries[] =
      "SELECT c.id, c.kind, c.name, c.created_by, c.created_at, c.last_seq, c.last_activity_at, "
      "       me.last_read_seq, "
      "       m.id, m.chat_id, m.seq, m.sender_id, u.username, m.text, m.client_message_id, m.created_at "
      "FROM chat_members me JOIN chats c ON c.id = me.chat_id "
      "LEFT JOIN messages m ON m.chat_id = c.id AND m.seq = c.last_seq "
      "LEFT JOIN users u ON u.id = m.sender_id "
      "WHERE me.user_id = ?1 ORDER BY c.last_activity_at DESC, c.id DESC";
  static constexpr char members[] =
      "SELECT cm.chat_id, cm.user_id, u.username, cm.role, cm.last_read_seq, cm.joined_at "
      "FROM chat_members me JOIN chat_members cm ON cm.chat_id = me.chat_id JOIN users u ON u.id = "
      "cm.user_id "
      "WHERE me.user_id = ?1 ORDER BY cm.chat_id, cm.joined_at, cm.user_id";

  transaction tx(db, transaction::mode::read);
  std::vector<chat_summary> list;
  std::unordered_map<chat_id, std::size_t> position;
  {
    auto s = db.query(summaries, user);
    while (s.step()) {
      chat_summary& summary = list.emplace_back();
      summary.info = read_chat(s, 0);
      summary.my_last_read_seq = s.int64(chat_column_count);
      summary.unread_count = std::max<std::int64_t>(0, summary.info.last_seq - summary.my_last_read_seq);
      if (!s.is_null(chat_column_count + 1)) summary.last_message = read_message(s, chat_column_count + 1);
      position.emplace(summary.info.id, list.size() - 1);
    }
  }
  {
    auto s = db.query(members, user);
    while (s.step()) {
      auto it = position.find(s.int64(0));
      if (it != position.end()) list[it->second].info.members.push_back(read_member(s, 1));
    }
  }
  tx.commit();
  return list;
}

}  // namespace windi::sqlite
