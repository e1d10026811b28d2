// Changes to stored messages (edit, delete, reactions) and reading a chat's changes after a number. The rules
// of each change live in one plpgsql function (migrations/postgres/0004_chat_changes.sql), which takes the
// chat's next change number under the chat's row lock: one round trip per change.
#include "store/postgres/postgres_store.hpp"
#include "store/postgres/rows.hpp"
#include "store/postgres/statements.hpp"

#include <algorithm>

namespace windi::pg {

// Rows of a windi_message_change function: status, change, member ids, then the message and its reactions.
task<outcome<message_change>> postgres_store::change_message(statement const& stmt, params args,
                                                             std::string_view what, int max_distinct) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  auto r = co_await query(*c, stmt, std::move(args), what);
  if (!r) co_return r.error();
  if (r->rows() != 1) co_return fail(errc::internal, std::string(what) + ": no result");
  auto status = r->view(0, 0);
  // An outsider gets the same answer as for a message that does not exist.
  if (status == "not_found") co_return fail(errc::not_found, "Message not found");
  if (status == "not_sender") co_return fail(errc::forbidden, "Only the sender can edit a message");
  if (status == "not_allowed")
    co_return fail(errc::forbidden, "Only the sender or a group admin can delete a message");
  if (status == "deleted") co_return fail(errc::conflict, "Message was deleted");
  if (status == "too_many") {
    co_return fail(errc::validation,
                   "A message has at most " + std::to_string(max_distinct) + " different reactions", "emoji");
  }
  if (status != "ok")
    co_return fail(errc::internal, std::string(what) + ": unexpected status " + std::string(status));
  constexpr int read_by_column = 3 + message_columns + 1;  // after the message's columns and its reactions
  co_return message_change{read_message(*r, 0, 3), r->int64(0, 1), read_id_array(r->view(0, 2)),
                           static_cast<int>(r->int64(0, read_by_column))};
}

task<outcome<message_change>> postgres_store::edit_message(message_id id, user_id editor, std::string text,
                                                           micros now) {
  return change_message(sql::edit_message, params(id, editor, std::move(text), now), "edit_message");
}

task<outcome<message_change>> postgres_store::delete_message(message_id id, user_id by, micros now) {
  return change_message(sql::delete_message, params(id, by, now), "delete_message");
}

task<outcome<message_change>> postgres_store::set_reaction(message_id id, user_id user, std::string emoji,
                                                           bool present, int max_distinct, micros now) {
  return change_message(sql::set_reaction,
                        params(id, user, std::move(emoji), present ? "true" : "false", max_distinct, now),
                        "set_reaction", max_distinct);
}

task<outcome<changes_page>> postgres_store::changes_since(chat_id chat, std::int64_t after_change,
                                                          int limit) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  // The number first, the rows up to it after: what committed in between is newer than the page says.
  auto last = co_await query(*c, sql::chat_last_change, params(chat), "changes_since");
  if (!last) co_return last.error();
  if (last->rows() == 0) co_return fail(errc::not_found, "Chat not found");
  changes_page page;
  page.last_change = last->int64(0, 0);
  if (after_change >= page.last_change) co_return page;
  int const most = std::max(limit, 0);
  auto r = co_await query(*c, sql::changes_since, params(chat, after_change, most + 1, page.last_change),
                          "changes_since");
  if (!r) co_return r.error();
  if (r->rows() > most) {
    page.truncated = true;
    co_return page;
  }
  page.messages.reserve(r->rows());
  for (int row = 0; row < r->rows(); ++row) page.messages.push_back(read_message(*r, row));
  co_return page;
}

}  // namespace windi::pg
