#include "history_reader.hpp"

#include <boost/json/array.hpp>

#include <algorithm>
#include <stdexcept>

namespace windi::loadgen {

boost::asio::awaitable<void> read_history(client::http_client& http, std::int64_t chat, std::string token,
                                          std::int64_t& after_seq,
                                          std::function<void(message_copy)> const& take) {
  constexpr std::size_t page = 100;
  for (;;) {
    auto r = co_await http.get("/api/v1/messages/history/" + std::to_string(chat) + "?after_seq=" +
                                   std::to_string(after_seq) + "&limit=" + std::to_string(page),
                               token);
    if (r.status != 200 || !r.body.is_array())
      throw std::runtime_error("history of chat " + std::to_string(chat) + ": " + r.text);
    for (auto const& m : r.body.as_array()) {
      auto copy = read_message(m.as_object());
      after_seq = std::max(after_seq, copy.seq);
      take(std::move(copy));
    }
    if (r.body.as_array().size() < page) co_return;
  }
}

}  // namespace windi::loadgen
