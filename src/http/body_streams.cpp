#include "http/body_streams.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <vector>

namespace windi::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace beast_http = beast::http;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t piece_bytes = 256 * 1024;

}  // namespace

streamed_request_body::streamed_request_body(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                             head_parser&& head, body_limit limit,
                                             std::chrono::seconds idle_timeout)
    : stream_(stream),
      buffer_(buffer),
      parser_(std::move(head)),
      idle_timeout_(idle_timeout),
      too_large_(std::move(limit.too_large)) {
  parser_.body_limit(limit.bytes);
}

beast_request streamed_request_body::request() const {
  beast_request out;
  out.base() = parser_.get().base();
  return out;
}

asio::awaitable<outcome<std::size_t>> streamed_request_body::read(std::span<char> into) {
  if (failed_) co_return fail(errc::bad_request, "Request body incomplete");
  if (parser_.is_done() || into.empty()) co_return std::size_t{0};
  auto& body = parser_.get().body();
  body.data = into.data();
  body.size = into.size();
  stream_.expires_after(idle_timeout_);
  auto [ec, n] = co_await beast_http::async_read(stream_, buffer_, parser_, use_tuple);
  (void)n;
  std::size_t const got = into.size() - body.size;
  body.data = nullptr;
  body.size = 0;
  if (ec == beast_http::error::need_buffer) ec = {};
  consumed_ += got;
  if (ec) {
    failed_ = true;
    if (ec == beast_http::error::body_limit) co_return fail(errc::payload_too_large, too_large_);
    co_return fail(errc::bad_request, "Request body incomplete or malformed");
  }
  co_return got;
}

asio::awaitable<std::pair<boost::system::error_code, std::uint64_t>> write_streamed_response(
    beast::tcp_stream& stream, beast_http::response<beast_http::buffer_body>& head, body_source& source,
    std::uint64_t length, bool head_only, std::chrono::seconds idle_timeout) {
  head.content_length(length);
  head.body().data = nullptr;
  head.body().size = 0;
  head.body().more = !head_only && length > 0;
  beast_http::response_serializer<beast_http::buffer_body> serializer(head);
  stream.expires_after(idle_timeout);
  auto [ec, written] = co_await beast_http::async_write_header(stream, serializer, use_tuple);
  std::uint64_t total = written;
  if (ec || head_only || length == 0) co_return std::pair{ec, total};

  std::vector<char> piece(static_cast<std::size_t>(std::min<std::uint64_t>(piece_bytes, length)));
  std::uint64_t left = length;
  while (left > 0) {
    auto want = static_cast<std::size_t>(std::min<std::uint64_t>(piece.size(), left));
    auto got = co_await source.read(std::span<char>(piece.data(), want));
    if (!got || *got == 0 || *got > want) {
      // The head promised `length` bytes: a short body is all that is left to say, so the connection ends.
      co_return std::pair{boost::system::error_code(asio::error::broken_pipe), total};
    }
    left -= *got;
    head.body().data = piece.data();
    head.body().size = *got;
    head.body().more = left > 0;
    stream.expires_after(idle_timeout);
    auto [write_ec, n] = co_await beast_http::async_write(stream, serializer, use_tuple);
    total += n;
    if (write_ec == beast_http::error::need_buffer) write_ec = {};
    if (write_ec) co_return std::pair{write_ec, total};
  }
  co_return std::pair{boost::system::error_code{}, total};
}

}  // namespace windi::http
