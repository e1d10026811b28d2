#include "store/store.hpp"

namespace windi {

task<outcome<appended_message>> store::append_message(new_message m) {
  std::vector<new_message> alone;
  alone.push_back(std::move(m));
  auto results = co_await append_messages(std::move(alone));
  if (results.size() != 1) co_return fail(errc::internal, "append: lost result");
  co_return std::move(results.front());
}

}  // namespace windi
