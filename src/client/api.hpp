#pragma once
// The few API calls a test or load client needs, over http_client. A reply other than the expected status
// throws api_error with the status and the server's detail, so callers can tell "wrong password" from
// "server down" (the latter is a boost::system::system_error from the transport).
#include "client/http_client.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace windi::client {

class api_error : public std::runtime_error {
 public:
  api_error(std::string const& what, unsigned status) : std::runtime_error(what), status_(status) {}
  unsigned status() const { return status_; }

 private:
  unsigned status_;
};

struct login_result {
  std::int64_t user_id = 0;
  std::string username;
  std::string token;
};

boost::asio::awaitable<std::int64_t> register_user(http_client& http, std::string username, std::string email,
                                                   std::string password);
boost::asio::awaitable<login_result> login(http_client& http, std::string username, std::string password);
// The caller's chats, newest activity first (GET /chats/).
boost::asio::awaitable<boost::json::array> list_chats(http_client& http, std::string token);
// A group with the caller as admin; returns its id.
boost::asio::awaitable<std::int64_t> create_group(http_client& http, std::string token, std::string name,
                                                  std::vector<std::int64_t> member_ids);
boost::asio::awaitable<std::int64_t> create_private(http_client& http, std::string token,
                                                    std::int64_t recipient_id);

// The WebSocket frame of a send: {"action":"send_message","data":{chat_id,text,client_message_id}}.
std::string send_message_frame(std::int64_t chat_id, std::string_view text,
                               std::string_view client_message_id);

}  // namespace windi::client
