// Changes to stored messages: edit, delete, reactions, and reading a chat's changes after a number. Each runs
// in one write transaction, whose lock is the chat's lock: the change number is taken and used with no other
// writer in between.
#include "store/sqlite/operations.hpp"

#include <algorithm>

namespace windi::sqlite {
namespace {

// The message a change applies to, and the acting user's place in its chat.
struct target {
  chat_id chat = 0;
  user_id sender = 0;
  bool deleted = false;
  std::string text;
  bool group = false;
  bool actor_is_admin = false;
  std::vector<user_id> members;
};

// errc::not_found when the message does not exist or the actor is not a member of its chat: an outsider
// learns nothing about which messages exist.
outcome<target> find_target(connection& db, message_id id, user_id actor) {
  target t;
  {
    auto s = db.query(
        "SELECT m.chat_id, m.sender_id, m.deleted_at IS NOT NULL, m.text, c.kind = 'group' "
        "FROM messages m JOIN chats c ON c.id = m.chat_id WHERE m.id = ?1",
        id);
    if (!s.step()) return fail(errc::not_found, "Message not found");
    t.chat = s.int64(0);
    t.sender = s.int64(1);
    t.deleted = s.int64(2) != 0;
    t.text = s.text(3);
    t.group = s.int64(4) != 0;
  }
  bool member = false;
  auto s = db.query("SELECT user_id, role FROM chat_members WHERE chat_id = ?1 ORDER BY user_id", t.chat);
  while (s.step()) {
    t.members.push_back(s.int64(0));
    if (t.members.back() == actor) {
      member = true;
      t.actor_is_admin = s.text(1) == "admin";
    }
  }
  if (!member) return fail(errc::not_found, "Message not found");
  return t;
}

message load_message(connection& db, message_id id) {
  static constexpr auto by_id = concat(select_message_sql, "WHERE m.id = ?1");
  message m;
  {
    auto s = db.query(by_id, id);
    s.step();
    m = read_message(s, 0);
  }
  load_reactions(db, m);
  return m;
}

// The change is done: the message row takes the chat's next change number.
std::int64_t record_change(connection& db, chat_id chat, message_id id) {
  auto change = next_change(db, chat);
  db.query("UPDATE messages SET change_seq = ?2, changed = 1 WHERE id = ?1", id, change).run();
  return change;
}

message_change finish(connection& db, transaction& tx, message_id id, std::int64_t change,
                      std::vector<user_id> members) {
  auto stored = load_message(db, id);
  int read_by = 0;
  {
    auto s = db.query(
        "SELECT count(*) FROM chat_members WHERE chat_id = ?1 AND user_id <> ?2 AND last_read_seq >= ?3",
        stored.chat, stored.sender_id, stored.seq);
    s.step();
    read_by = static_cast<int>(s.int64(0));
  }
  tx.commit();
  return message_change{
      .stored = std::move(stored), .change = change, .members = std::move(members), .read_by = read_by};
}

}  // namespace

outcome<message_change> edit_message(connection& db, message_id id, user_id editor, std::string const& text,
                                     micros now) {
  transaction tx(db, transaction::mode::write);
  auto t = find_target(db, id, editor);
  if (!t) return t.error();
  if (t->sender != editor) return fail(errc::forbidden, "Only the sender can edit a message");
  if (t->deleted) return fail(errc::conflict, "Message was deleted");
  std::int64_t change = 0;
  if (t->text != text) {
    db.query("UPDATE messages SET text = ?2, edited_at = ?3 WHERE id = ?1", id, text, now).run();
    change = record_change(db, t->chat, id);
  }
  return finish(db, tx, id, change, std::move(t->members));
}

outcome<message_change> delete_message(connection& db, message_id id, user_id by, micros now) {
  transaction tx(db, transaction::mode::write);
  auto t = find_target(db, id, by);
  if (!t) return t.error();
  if (t->sender != by && !(t->group && t->actor_is_admin)) {
    return fail(errc::forbidden, "Only the sender or a group admin can delete a message");
  }
  std::int64_t change = 0;
  if (!t->deleted) {
    // The text is erased, not hidden (secure_delete zeroes the freed bytes); so are its reply link and
    // reactions. The row stays as a tombstone so seqs, paging and unread counts stay exact.
    db.query(
          "UPDATE messages SET text = '', deleted_at = ?2, reply_to_id = NULL, attachments = NULL WHERE id = "
          "?1",
          id, now)
        .run();
    db.query("DELETE FROM message_reactions WHERE message_id = ?1", id).run();
    detach_files(db, id, now);
    change = record_change(db, t->chat, id);
  }
  return finish(db, tx, id, change, std::move(t->members));
}

outcome<message_change> set_reaction(connection& db, message_id id, user_id user, std::string const& emoji,
                                     bool present, int max_distinct, micros now) {
  transaction tx(db, transaction::mode::write);
  auto t = find_target(db, id, user);
  if (!t) return t.error();
  if (t->deleted) return fail(errc::conflict, "Message was deleted");
  bool const has =
      db.query("SELECT 1 FROM message_reactions WHERE message_id = ?1 AND emoji = ?2 AND user_id = ?3", id,
               emoji, user)
          .step();
  std::int64_t change = 0;
  if (present && !has) {
    bool const known =
        db.query("SELECT 1 FROM message_reactions WHERE message_id = ?1 AND emoji = ?2", id, emoji).step();
    if (!known) {
      auto s = db.query("SELECT count(DISTINCT emoji) FROM message_reactions WHERE message_id = ?1", id);
      s.step();
      if (s.int64(0) >= max_distinct) {
        return fail(errc::validation,
                    "A message has at most " + std::to_string(max_distinct) + " different reactions",
                    "emoji");
      }
    }
    db.query("INSERT INTO message_reactions (message_id, emoji, user_id, created_at) VALUES (?1, ?2, ?3, ?4)",
             id, emoji, user, now)
        .run();
    change = record_change(db, t->chat, id);
  } else if (!present && has) {
    db.query("DELETE FROM message_reactions WHERE message_id = ?1 AND emoji = ?2 AND user_id = ?3", id, emoji,
             user)
        .run();
    change = record_change(db, t->chat, id);
  }
  return finish(db, tx, id, change, std::move(t->members));
}

outcome<changes_page> changes_since(connection& db, chat_id chat, std::int64_t after_change, int limit) {
  // Sent after the cursor and not changed since: a suffix of the chat by seq (sends take change numbers in
  // seq order), read from the top of the (chat_id, seq) index down to the first one at or before the cursor.
  static constexpr auto sent =
      concat("SELECT " WINDI_SQLITE_MESSAGE_COLUMNS ", m.changed FROM messages m " WINDI_SQLITE_MESSAGE_JOINS,
             "WHERE m.chat_id = ?1 ORDER BY m.seq DESC");
  // Changed after their send: the partial index holds only those.
  static constexpr auto changed = concat(select_message_sql,
                                         "WHERE m.chat_id = ?1 AND m.changed = 1 AND m.change_seq > ?2 "
                                         "ORDER BY m.change_seq LIMIT ?3");
  auto const most = static_cast<std::size_t>(std::max(limit, 0));
  transaction tx(db, transaction::mode::read);
  changes_page page;
  {
    auto s = db.query("SELECT last_change FROM chats WHERE id = ?1", chat);
    if (!s.step()) return fail(errc::not_found, "Chat not found");
    page.last_change = s.int64(0);
  }
  std::vector<message> found;
  if (after_change < page.last_change) {
    auto s = db.query(sent, chat);
    while (found.size() <= most && s.step()) {
      if (s.int64(message_column_count) != 0) continue;  // the second query finds it by its later change
      auto m = read_message(s, 0);
      if (m.change_seq <= after_change) break;
      found.push_back(std::move(m));
    }
  }
  if (after_change < page.last_change && found.size() <= most) {
    auto s = db.query(changed, chat, after_change, limit + 1);
    while (s.step()) found.push_back(read_message(s, 0));
  }
  if (found.size() > most) {
    page.truncated = true;
  } else {
    std::sort(found.begin(), found.end(),
              [](message const& a, message const& b) { return a.change_seq < b.change_seq; });
    load_reactions(db, found);
    page.messages = std::move(found);
  }
  tx.commit();
  return page;
}

}  // namespace windi::sqlite
