#pragma once
// A chat's history read through REST, page by page: by the chaos clients when a sync answer says too much was
// missed, and by the checker for the store's side.
#include "chat_view.hpp"
#include "client/http_client.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <string>

namespace windi::loadgen {

// Reads a chat's history through REST from the message after `after_seq` to the newest, page by page,
// handing each message to `take` and moving `after_seq` past it, so that a caller whose read failed halfway
// can go on from there. Throws on a transport failure or an answer other than 200.
boost::asio::awaitable<void> read_history(client::http_client& http, std::int64_t chat, std::string token,
                                          std::int64_t& after_seq,
                                          std::function<void(message_copy)> const& take);

}  // namespace windi::loadgen
