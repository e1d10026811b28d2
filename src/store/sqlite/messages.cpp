#include "store/sqlite/operations.hpp"

#include "store/attachments_json.hpp"

#include <algorithm>
#include <string>
#include <unordered_map>

namespace windi::sqlite {
namespace {

// With its reactions.
std::optional<message> find_message(connection& db, std::string_view sql, auto const&... args) {
  std::optional<message> found;
  {
    auto s = db.query(sql, args...);
    if (!s.step()) return std::nullopt;
    found = read_message(s, 0);
  }
  load_reactions(db, *found);
  return found;
}

std::vector<message> read_page(connection& db, statement& s, bool newest_first) {
  std::vector<message> page;
  while (s.step()) page.push_back(read_message(s, 0));
  if (newest_first) std::reverse(page.begin(), page.end());
  load_reactions(db, page);
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
  std::int64_t last_change = 0;
  {
    auto s = db.query("SELECT last_seq, last_change FROM chats WHERE id = ?1", m.chat);
    if (!s.step()) return fail(errc::not_found, "Chat not found");
    last_seq = s.int64(0);
    last_change = s.int64(1);
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
  if (m.reply_to) {
    // One answer for an unknown id and another chat's message: nothing about other chats leaks.
    auto s = db.query("SELECT chat_id, deleted_at FROM messages WHERE id = ?1", *m.reply_to);
    if (!s.step() || s.int64(0) != m.chat) {
      return fail(errc::validation, "Message to reply to not found", "reply_to");
    }
    if (!s.is_null(1)) return fail(errc::validation, "Cannot reply to a deleted message", "reply_to");
  }
  std::vector<attachment> files;
  if (!m.attachments.empty()) {
    auto found = attachable_files(db, m.sender_id, m.attachments);
    if (!found) return found.error();
    files = std::move(*found);
  }
  std::int64_t const seq = last_seq + 1;
  std::int64_t const change = last_change + 1;
  std::optional<std::string> files_json;
  if (!files.empty()) files_json = attachments_json(files);
  db.query(
        "INSERT INTO messages (chat_id, seq, change_seq, sender_id, text, client_message_id, created_at, "
        "reply_to_id, attachments) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        m.chat, seq, change, m.sender_id, m.text, m.client_message_id, m.created_at, m.reply_to, files_json)
      .run();
  message_id const id = db.last_insert_rowid();
  if (!files.empty()) attach_files(db, id, files);
  db.query("UPDATE chats SET last_seq = ?2, last_change = ?3, last_activity_at = ?4 WHERE id = ?1", m.chat,
           seq, change, m.created_at)
      .run();
  // The sender has read its own message, which keeps unread_count a plain subtraction.
  db.query("UPDATE chat_members SET last_read_seq = ?3 WHERE chat_id = ?1 AND user_id = ?2", m.chat,
           m.sender_id, seq)
      .run();
  // A new message has no reactions yet: no reaction query on the hot path.
  auto s = db.query(by_id, id);
  s.step();
  return appended_message{.stored = read_message(s, 0), .duplicate = false, .members = std::move(members)};
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
  // The page and its reactions from one snapshot: a commit between them would pair a message with reactions
  // of a later change.
  transaction tx(db, transaction::mode::read);
  auto page = [&] {
    if (q.before_seq) {
      auto s = db.query(before, q.chat, *q.before_seq, q.limit);
      return read_page(db, s, true);
    }
    if (q.after_seq) {
      auto s = db.query(after, q.chat, *q.after_seq, q.limit);
      return read_page(db, s, false);
    }
    auto s = db.query(newest, q.chat, q.limit, q.offset);
    return read_page(db, s, true);
  }();
  tx.commit();
  return page;
}

outcome<message> get_message(connection& db, message_id id) {
  static constexpr auto by_id = concat(select_message_sql, "WHERE m.id = ?1");
  transaction tx(db, transaction::mode::read);  // the message and its reactions from one snapshot
  auto found = find_message(db, by_id, id);
  tx.commit();
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
      "c.last_change, "
      "       me.last_read_seq, " WINDI_SQLITE_MESSAGE_COLUMNS
      "FROM chat_members me JOIN chats c ON c.id = me.chat_id "
      "LEFT JOIN messages m ON m.chat_id = c.id AND m.seq = c.last_seq "
      "LEFT JOIN users u ON u.id = m.sender_id LEFT JOIN messages r ON r.id = m.reply_to_id "
      "LEFT JOIN users ru ON ru.id = r.sender_id "
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
  {
    std::vector<message> last;
    for (auto& summary : list) {
      if (summary.last_message) last.push_back(std::move(*summary.last_message));
    }
    load_reactions(db, last);
    auto next = last.begin();
    for (auto& summary : list) {
      if (summary.last_message) summary.last_message = std::move(*next++);
    }
  }
  tx.commit();
  return list;
}

}  // namespace windi::sqlite
