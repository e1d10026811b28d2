#pragma once
// Request and response bodies that pass through the server piece by piece (uploads and downloads of files),
// never whole in memory. Each piece refreshes the connection's timeout, so a large body on a slow link is
// limited by its progress, not by its total time.
#include "http/framing.hpp"
#include "http/request.hpp"
#include "http/response.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>

#include <chrono>
#include <cstdint>
#include <string>

namespace windi::http {

// A request's body read through Beast's parser, for a streaming route (router::add_streaming).
class streamed_request_body final : public body_reader {
 public:
  // `head`: the parsed head (its body not started), moved in. `limit`: the most body bytes accepted, and what
  // a read past it fails with.
  streamed_request_body(boost::beast::tcp_stream& stream, boost::beast::flat_buffer& buffer,
                        head_parser&& head, body_limit limit, std::chrono::seconds idle_timeout);

  boost::asio::awaitable<outcome<std::size_t>> read(std::span<char> into) override;
  std::uint64_t consumed() const override { return consumed_; }
  // The whole body has been read: the connection can carry another request.
  bool complete() const { return parser_.is_done(); }
  // The request's head, for the route (its body is empty).
  beast_request request() const;

 private:
  boost::beast::tcp_stream& stream_;
  boost::beast::flat_buffer& buffer_;
  boost::beast::http::request_parser<boost::beast::http::buffer_body> parser_;
  std::chrono::seconds idle_timeout_;
  std::string too_large_;
  std::uint64_t consumed_ = 0;
  bool failed_ = false;
};

// Writes `head` (its status and fields set; Content-Length is set here) and then `length` bytes read from
// `source`, unless head_only (a HEAD request). Returns the bytes written; an error when the client went away
// or the source failed partway, after which the connection must close.
boost::asio::awaitable<std::pair<boost::system::error_code, std::uint64_t>> write_streamed_response(
    boost::beast::tcp_stream& stream, boost::beast::http::response<boost::beast::http::buffer_body>& head,
    body_source& source, std::uint64_t length, bool head_only, std::chrono::seconds idle_timeout);

}  // namespace windi::http
