#include "file_transfer.hpp"

#include "client/tcp_connect.hpp"
#include "frames.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>

#include <algorithm>
#include <array>
#include <optional>
#include <stdexcept>

namespace windi::loadgen {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// `receive_buffer` > 0 sets the socket's receive buffer before connecting (the window it offers); 0 leaves
// the system's.
asio::awaitable<beast::tcp_stream> connect_to(asio::any_io_executor executor, client::endpoint const& server,
                                              int receive_buffer = 0) {
  beast::tcp_stream stream(executor);
  stream.expires_after(std::chrono::seconds(30));
  co_await client::connect_tcp(stream, server,
                               {.local_address = std::nullopt, .receive_buffer = receive_buffer});
  co_return stream;
}

// Holds reads to `bytes_per_second` (0: no limit), counted from the first read.
class read_pace {
 public:
  explicit read_pace(std::uint64_t bytes_per_second) : rate_(bytes_per_second) {}

  asio::awaitable<void> after(std::uint64_t bytes) {
    if (rate_ == 0) co_return;
    if (started_ns_ == 0) started_ns_ = now_ns();
    read_ += bytes;
    auto const due_ns = started_ns_ + static_cast<std::int64_t>(static_cast<double>(read_) /
                                                                static_cast<double>(rate_) * 1e9);
    auto const ahead_ns = due_ns - now_ns();
    if (ahead_ns <= 0) co_return;
    asio::steady_timer wait(co_await asio::this_coro::executor);
    wait.expires_after(std::chrono::nanoseconds(ahead_ns));
    co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
  }

 private:
  std::uint64_t rate_;
  std::int64_t started_ns_ = 0;
  std::uint64_t read_ = 0;
};

// One GET on `stream`, its body read through a 64 KiB buffer and dropped; the body's size.
asio::awaitable<std::uint64_t> get_and_drop(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                            std::string const& target, std::string const& token,
                                            read_pace* pace = nullptr) {
  http::request<http::empty_body> request{http::verb::get, target, 11};
  request.set(http::field::host, "localhost");
  if (!token.empty()) request.set(http::field::authorization, "Bearer " + token);
  request.keep_alive(true);
  stream.expires_after(std::chrono::seconds(60));
  co_await http::async_write(stream, request, asio::use_awaitable);
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);
  co_await http::async_read_header(stream, buffer, parser, asio::use_awaitable);
  if (parser.get().result_int() != 200)
    throw std::runtime_error("download: status " + std::to_string(parser.get().result_int()));
  std::array<char, 64 * 1024> sink;
  std::uint64_t total = 0;
  while (!parser.is_done()) {
    parser.get().body().data = sink.data();
    parser.get().body().size = sink.size();
    stream.expires_after(std::chrono::seconds(60));
    auto [ec, n] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    (void)n;
    if (ec && ec != http::error::need_buffer) throw boost::system::system_error(ec);
    auto const got = sink.size() - parser.get().body().size;
    total += got;
    if (pace) co_await pace->after(got);
  }
  co_return total;
}

}  // namespace

asio::awaitable<std::int64_t> upload_file(asio::any_io_executor executor, client::endpoint server,
                                          std::string token, std::string name,
                                          std::shared_ptr<std::string const> bytes) {
  auto stream = co_await connect_to(executor, server);
  http::request<http::string_body> request{http::verb::post, "/api/v1/files?filename=" + name, 11};
  request.set(http::field::host, "localhost");
  request.set(http::field::authorization, "Bearer " + token);
  request.set(http::field::content_type, "application/octet-stream");
  request.body() = *bytes;
  request.prepare_payload();
  stream.expires_after(std::chrono::seconds(120));
  co_await http::async_write(stream, request, asio::use_awaitable);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  co_await http::async_read(stream, buffer, response, asio::use_awaitable);
  if (response.result_int() != 201)
    throw std::runtime_error("upload: status " + std::to_string(response.result_int()) + ": " +
                             response.body());
  co_return boost::json::parse(response.body()).as_object().at("id").to_number<std::int64_t>();
}

asio::awaitable<std::uint64_t> download_file(asio::any_io_executor executor, client::endpoint server,
                                             std::string target, std::string token) {
  auto stream = co_await connect_to(executor, server);
  beast::flat_buffer buffer;
  co_return co_await get_and_drop(stream, buffer, target, token);
}

asio::awaitable<void> download_loop(asio::any_io_executor executor, client::endpoint server,
                                    std::string target, std::string token,
                                    std::shared_ptr<download_totals> totals, std::int64_t start_at_ns,
                                    std::int64_t stop_at_ns, std::uint64_t bytes_per_second) {
  asio::steady_timer wait(executor);
  wait.expires_after(std::chrono::nanoseconds(std::max<std::int64_t>(0, start_at_ns - now_ns())));
  co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
  // A paced reader's window stays small: a receive buffer of about 20 ms of its pace, at least 64 KiB (the
  // kernel doubles it, caps it at net.core.rmem_max, and no longer grows it).
  int const receive_buffer =
      bytes_per_second == 0 ? 0 : static_cast<int>(std::max<std::uint64_t>(64 * 1024, bytes_per_second / 50));
  auto connect = [&]() -> asio::awaitable<beast::tcp_stream> {
    co_return co_await connect_to(executor, server, receive_buffer);
  };
  std::optional<beast::tcp_stream> stream;
  stream.emplace(co_await connect());
  beast::flat_buffer buffer;
  read_pace pace(bytes_per_second);
  while (now_ns() < stop_at_ns) {
    bool failed = false;
    try {
      totals->bytes += co_await get_and_drop(*stream, buffer, target, token, &pace);
      ++totals->files;
    } catch (std::exception const&) {
      ++totals->failures;
      failed = true;
    }
    if (failed) {
      stream.emplace(co_await connect());
      buffer.clear();
    }
  }
}

}  // namespace windi::loadgen
