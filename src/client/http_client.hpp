#pragma once
// A keep-alive HTTP/1.1 client for the JSON API: one connection, one request at a time. Transport failures
// (refused, reset, timeout) throw boost::system::system_error; any HTTP status is a normal reply.
#include "client/endpoint.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/verb.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <string>

namespace windi::client {

struct reply {
  unsigned status = 0;
  boost::json::value body;  // null when the body is empty or not JSON
  std::string text;         // the raw body, for messages
};

class http_client {
 public:
  http_client(boost::asio::any_io_executor executor, endpoint target,
              std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // `body` is sent as JSON unless it is null; `token` as a bearer token unless empty.
  boost::asio::awaitable<reply> request(boost::beast::http::verb method, std::string target,
                                        boost::json::value body = nullptr, std::string token = {});
  boost::asio::awaitable<reply> get(std::string target, std::string token = {});
  boost::asio::awaitable<reply> post(std::string target, boost::json::value body, std::string token = {});

 private:
  boost::asio::awaitable<void> connect();
  boost::asio::awaitable<reply> exchange(boost::beast::http::verb method, std::string const& target,
                                         std::string const& body, std::string const& token);

  endpoint target_;
  std::chrono::milliseconds timeout_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  bool connected_ = false;
};

}  // namespace windi::client
