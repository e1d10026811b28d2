#include "client/http_client.hpp"

#include "client/tcp_connect.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace windi::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

http_client::http_client(asio::any_io_executor executor, endpoint target, std::chrono::milliseconds timeout)
    : target_(std::move(target)), timeout_(timeout), stream_(std::move(executor)) {}

asio::awaitable<void> http_client::connect() {
  stream_.expires_after(timeout_);
  co_await connect_tcp(stream_, target_);
  buffer_.clear();
  connected_ = true;
}

asio::awaitable<reply> http_client::exchange(bhttp::verb method, std::string const& target,
                                             std::string const& body, std::string const& token) {
  bhttp::request<bhttp::string_body> req{method, target, 11};
  req.set(bhttp::field::host, target_.host);
  req.set(bhttp::field::accept, "application/json");
  if (!token.empty()) req.set(bhttp::field::authorization, "Bearer " + token);
  if (!body.empty()) {
    req.set(bhttp::field::content_type, "application/json");
    req.body() = body;
  }
  req.keep_alive(true);
  req.prepare_payload();

  stream_.expires_after(timeout_);
  co_await bhttp::async_write(stream_, req, asio::use_awaitable);
  bhttp::response<bhttp::string_body> res;
  co_await bhttp::async_read(stream_, buffer_, res, asio::use_awaitable);
  stream_.expires_never();
  if (!res.keep_alive()) {
    boost::system::error_code ignored;
    stream_.socket().close(ignored);
    connected_ = false;
  }
  reply out;
  out.status = res.result_int();
  out.text = std::move(res.body());
  boost::system::error_code ec;
  out.body = boost::json::parse(out.text, ec);
  if (ec) out.body = nullptr;
  co_return out;
}

asio::awaitable<reply> http_client::request(bhttp::verb method, std::string target, boost::json::value body,
                                            std::string token) {
  std::string const payload = body.is_null() ? std::string() : boost::json::serialize(body);
  bool const reused = connected_;
  if (!connected_) co_await connect();
  // A kept-alive connection may have been closed by the server meanwhile: retry once on a new one. A fresh
  // connection that fails is a real failure and propagates.
  try {
    co_return co_await exchange(method, target, payload, token);
  } catch (boost::system::system_error const&) {
    if (!reused) throw;
  }
  boost::system::error_code ignored;
  stream_.socket().close(ignored);
  connected_ = false;
  co_await connect();
  co_return co_await exchange(method, target, payload, token);
}

asio::awaitable<reply> http_client::get(std::string target, std::string token) {
  return request(bhttp::verb::get, std::move(target), nullptr, std::move(token));
}

asio::awaitable<reply> http_client::post(std::string target, boost::json::value body, std::string token) {
  return request(bhttp::verb::post, std::move(target), std::move(body), std::move(token));
}

}  // namespace windi::client
