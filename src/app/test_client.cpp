// windi test-client: logs in, opens the chat socket, sends one message and watches for its acknowledgement
// (message_sent) and its own new_message echo. A quick end-to-end check of a running server.
#include "app/commands.hpp"
#include "client/api.hpp"
#include "client/ws_client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <random>

namespace windi::app {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

// Thrown for an expected failure with a message for the user (exit code 1).
struct check_failed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string random_client_message_id() {
  std::random_device rd;
  char buf[32];
  std::snprintf(buf, sizeof buf, "test-client-%08x%08x", rd(), rd());
  return buf;
}

// What one server frame means for this run.
struct frame_view {
  std::string type;
  json::object data;
};

frame_view parse_frame(std::string const& text) {
  frame_view out;
  boost::system::error_code ec;
  auto value = json::parse(text, ec);
  if (ec || !value.is_object()) return out;
  auto& obj = value.as_object();
  if (auto const* t = obj.if_contains("type"); t && t->is_string()) out.type = std::string(t->as_string());
  if (auto* d = obj.if_contains("data"); d && d->is_object()) out.data = std::move(d->as_object());
  return out;
}

bool is_mine(frame_view const& f, std::string const& cmid) {
  auto const* id = f.data.if_contains("client_message_id");
  return id && id->is_string() && id->as_string() == cmid;
}

std::int64_t first_chat_id(json::array const& chats) {
  for (auto const& chat : chats) {
    if (auto const* obj = chat.if_object()) {
      if (auto const* id = obj->if_contains("id"); id && id->is_int64()) return id->as_int64();
    }
  }
  throw check_failed("the user has no chats: create one first or pass --chat-id");
}

asio::awaitable<void> run(test_client_options o) {
  auto server = client::parse_base_url(o.url);
  if (!server) throw check_failed("--url must look like http://host:port, got " + o.url);
  auto const timeout = std::chrono::milliseconds(static_cast<std::int64_t>(o.timeout_seconds * 1000));
  auto executor = co_await asio::this_coro::executor;

  client::http_client http(executor, *server, timeout);
  auto me = co_await client::login(http, o.username, o.password);
  std::cout << "logged in as " << me.username << " (id " << me.user_id << ")\n";

  std::int64_t chat = o.chat_id;
  if (chat == 0) {
    auto chats = co_await client::list_chats(http, me.token);
    chat = first_chat_id(chats);
  }

  client::ws_client ws(executor);
  client::ws_options socket_options;
  socket_options.connect_timeout = timeout;
  co_await ws.connect(*server, client::chat_socket_path(me.token), socket_options);
  std::cout << "connected to " << o.url << "/api/v1/ws/chat\n";

  auto const cmid = random_client_message_id();
  co_await ws.send(client::send_message_frame(chat, o.text, cmid));
  std::cout << "-> send_message chat " << chat << " client_message_id " << cmid << ": " << o.text << "\n";

  bool acked = false;
  bool echoed = false;
  auto const deadline = std::chrono::steady_clock::now() + timeout;
  while (!(acked && echoed)) {
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) break;
    std::string text;
    try {
      text = co_await ws.read(left);
    } catch (boost::system::system_error const& e) {
      if (e.code() == boost::beast::error::timeout) break;
      throw;
    }
    auto frame = parse_frame(text);
    std::cout << "<- " << (frame.type.empty() ? "?" : frame.type) << " " << json::serialize(frame.data)
              << "\n";
    if (frame.type == "message_sent" && is_mine(frame, cmid)) acked = true;
    if (frame.type == "new_message" && is_mine(frame, cmid)) echoed = true;
    if (frame.type == "error") {
      auto const* detail = frame.data.if_contains("detail");
      throw check_failed("the server refused the message: " + (detail ? json::serialize(*detail) : text));
    }
  }
  ws.close_now();
  if (!acked || !echoed) {
    throw check_failed(std::string("no ") + (!acked ? "message_sent acknowledgement" : "") +
                       (!acked && !echoed ? " and no " : "") + (!echoed ? "new_message echo" : "") +
                       " within " + std::to_string(o.timeout_seconds) + " s");
  }
  std::cout << "ok: message acknowledged and delivered back\n";
}

}  // namespace

int test_client(test_client_options const& options) {
  asio::io_context io;
  int code = 1;
  auto finished = [&code, &options](std::exception_ptr failure) {
    if (!failure) {
      code = 0;
      return;
    }
    try {
      std::rethrow_exception(failure);
    } catch (check_failed const& e) {
      std::cerr << "test-client: " << e.what() << "\n";
    } catch (client::api_error const& e) {
      std::cerr << "test-client: " << e.what() << "\n";
    } catch (boost::system::system_error const& e) {
      std::cerr << "test-client: cannot talk to the server at " << options.url << ": " << e.code().message()
                << "\n";
    } catch (std::exception const& e) {
      std::cerr << "test-client: " << e.what() << "\n";
    }
  };
  asio::co_spawn(io, run(options), finished);
  io.run();
  return code;
}

}  // namespace windi::app
