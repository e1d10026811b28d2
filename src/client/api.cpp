#include "client/api.hpp"

#include <boost/json/serialize.hpp>

namespace windi::client {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// FastAPI-style errors carry {"detail": "..."} or a list of validation errors; either way show it.
std::string detail_of(reply const& r) {
  if (auto const* obj = r.body.if_object()) {
    if (auto const* d = obj->if_contains("detail")) {
      if (auto const* s = d->if_string()) return std::string(*s);
      return json::serialize(*d);
    }
  }
  return r.text.substr(0, 300);
}

// `also` is a second accepted status (0: none).
void expect(reply const& r, unsigned status, std::string_view what, unsigned also = 0) {
  if (r.status == status || (also != 0 && r.status == also)) return;
  throw api_error(std::string(what) + ": HTTP " + std::to_string(r.status) + ": " + detail_of(r), r.status);
}

std::int64_t id_of(reply const& r, std::string_view what) {
  auto const* obj = r.body.if_object();
  auto const* id = obj ? obj->if_contains("id") : nullptr;
  if (!id || !id->is_int64()) throw api_error(std::string(what) + ": no id in the answer", r.status);
  return id->as_int64();
}

// Request bodies are built here, outside the coroutines: GCC 12 mishandles initializer lists in coroutine
// frames.
json::value credentials(std::string const& username, std::string const* email, std::string const& password) {
  json::object body{{"username", username}, {"password", password}};
  if (email) body["email"] = *email;
  return body;
}

json::value group_body(std::string const& name, std::vector<std::int64_t> const& member_ids) {
  json::object body{{"name", name}, {"member_ids", json::array(member_ids.begin(), member_ids.end())}};
  return body;
}

json::value private_body(std::int64_t recipient_id) {
  json::object body{{"recipient_id", recipient_id}};
  return body;
}

}  // namespace

asio::awaitable<std::int64_t> register_user(http_client& http, std::string username, std::string email,
                                            std::string password) {
  auto body = credentials(username, &email, password);
  auto r = co_await http.post("/api/v1/auth/register", std::move(body));
  expect(r, 201, "register " + username);
  co_return id_of(r, "register");
}

asio::awaitable<login_result> login(http_client& http, std::string username, std::string password) {
  auto body = credentials(username, nullptr, password);
  auto r = co_await http.post("/api/v1/auth/login-json", std::move(body));
  expect(r, 200, "login " + username);
  login_result out;
  auto const& obj = r.body.as_object();
  out.token = std::string(obj.at("access_token").as_string());
  auto const& user = obj.at("user").as_object();
  out.user_id = user.at("id").as_int64();
  out.username = std::string(user.at("username").as_string());
  co_return out;
}

asio::awaitable<json::array> list_chats(http_client& http, std::string token) {
  auto r = co_await http.get("/api/v1/chats/", std::move(token));
  expect(r, 200, "list chats");
  if (!r.body.is_array()) throw api_error("list chats: the answer is not a list", r.status);
  co_return std::move(r.body.as_array());
}

asio::awaitable<std::int64_t> create_group(http_client& http, std::string token, std::string name,
                                           std::vector<std::int64_t> member_ids) {
  auto body = group_body(name, member_ids);
  auto r = co_await http.post("/api/v1/chats/group", std::move(body), std::move(token));
  expect(r, 201, "create group " + name);
  co_return id_of(r, "create group");
}

asio::awaitable<std::int64_t> create_private(http_client& http, std::string token,
                                             std::int64_t recipient_id) {
  auto body = private_body(recipient_id);
  auto r = co_await http.post("/api/v1/chats/private", std::move(body), std::move(token));
  expect(r, 201, "create private chat", 200);
  co_return id_of(r, "create private chat");
}

std::string send_message_frame(std::int64_t chat_id, std::string_view text,
                               std::string_view client_message_id) {
  json::object data{{"chat_id", chat_id}, {"text", text}, {"client_message_id", client_message_id}};
  json::object frame{{"action", "send_message"}, {"data", std::move(data)}};
  return json::serialize(frame);
}

}  // namespace windi::client
