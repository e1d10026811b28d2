#include "store/postgres/postgres_store.hpp"
#include "store/postgres/rows.hpp"
#include "store/postgres/statements.hpp"

#include <algorithm>
#include <string>
#include <vector>

namespace windi::pg {
namespace {

// A term's tokens as windi_search_query takes them: separated by spaces (tokens hold only letters and
// digits).
std::vector<std::string> joined(std::vector<search_term> const& terms) {
  std::vector<std::string> out;
  out.reserve(terms.size());
  for (auto const& term : terms) {
    std::string text;
    for (auto const& token : term) {
      if (!text.empty()) text += ' ';
      text += token;
    }
    out.push_back(std::move(text));
  }
  return out;
}

}  // namespace

task<outcome<std::vector<search_hit>>> postgres_store::search_messages(search_request q) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  auto const required = joined(q.terms.required);
  auto const excluded = joined(q.terms.excluded);
  params args(q.user);
  args.add_array(required).add_array(excluded).add(q.terms.prefix).add_array(q.chats);
  args.add(q.sender).add(q.before).add(std::max(q.limit, 0));
  auto r = co_await query(*c, sql::search_messages, std::move(args), "search_messages");
  if (!r) co_return r.error();
  constexpr int chat_name = message_columns + 1;
  constexpr int snippet = message_columns + 2;
  std::vector<search_hit> hits;
  hits.reserve(r->rows());
  for (int row = 0; row < r->rows(); ++row) {
    hits.push_back(search_hit{read_message(*r, row), r->text(row, chat_name), r->text(row, snippet)});
  }
  co_return hits;
}

}  // namespace windi::pg
