#include "http/framing.hpp"

#include <gtest/gtest.h>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/string_body.hpp>

#include <string>
#include <string_view>

namespace windi::http {
namespace {

namespace beast_http = boost::beast::http;

constexpr std::size_t kLimit = 16 * 1024;

// What the server does with the bytes of one request head: the byte scan, Beast's parse, the framing check.
// Returns "ok", or the scan's / the check's detail, or "beast: <error>" when Beast itself refuses.
std::string verdict(std::string_view bytes) {
  auto scan = scan_request_head(bytes, kLimit);
  if (scan.state == head_state::need_more) return "incomplete";
  if (scan.state != head_state::complete) return std::string(scan.detail);
  head_parser parser;
  parser.body_limit(boost::none);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(bytes.data(), scan.end), ec);
  if (ec) return "beast: " + ec.message();
  if (!parser.is_header_done()) return "beast: header not done";
  auto problem = framing_error(parser);
  return problem ? std::string(*problem) : "ok";
}

// Only Beast's own parse and framing, without the byte scan: what the server accepted before.
std::string beast_alone(std::string_view bytes) {
  beast_http::request_parser<beast_http::string_body> parser;
  parser.body_limit(boost::none);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
  if (ec) return "beast: " + ec.message();
  return parser.is_header_done() ? "ok" : "incomplete";
}

std::string post(std::string_view fields) {
  return "POST /api/v1/messages HTTP/1.1\r\nHost: x\r\n" + std::string(fields) + "\r\n";
}

TEST(HttpFraming, OrdinaryRequestsPass) {
  EXPECT_EQ(verdict("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "ok");
  EXPECT_EQ(verdict("GET / HTTP/1.0\r\n\r\n"), "ok");
  EXPECT_EQ(verdict(post("Content-Length: 5\r\n")), "ok");
  EXPECT_EQ(verdict(post("Content-Length: 0\r\n")), "ok");
  EXPECT_EQ(verdict(post("Content-Length:   12  \r\n")), "ok")
      << "OWS around a field value is not part of it";
  EXPECT_EQ(verdict(post("Transfer-Encoding: chunked\r\n")), "ok");
  EXPECT_EQ(verdict(post("Transfer-Encoding: Chunked\r\n")), "ok") << "codings are case-insensitive";
  EXPECT_EQ(verdict("GET /api/v1/ws/chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"),
            "ok");
}

// The two cases of the issue: accepted on a kept-alive connection before.
TEST(HttpFraming, BeastAloneAcceptedTheSmugglingCases) {
  EXPECT_EQ(beast_alone(post("Transfer-Encoding: xchunked\r\nContent-Length: 5\r\n")), "ok");
  EXPECT_EQ(beast_alone(post("Transfer-Encoding:\r\n chunked\r\n")), "ok");
  EXPECT_EQ(beast_alone(post("Content-Length: 5, 5\r\n")), "ok");
  EXPECT_EQ(beast_alone(post("Transfer-Encoding: chunked, gzip\r\n")), "ok");
}

TEST(HttpFraming, TransferEncodingWithContentLengthIsRefused) {
  EXPECT_EQ(verdict(post("Transfer-Encoding: xchunked\r\nContent-Length: 5\r\n")),
            "Transfer-Encoding together with Content-Length");
  EXPECT_EQ(verdict(post("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n")),
            "beast: bad Content-Length");
  EXPECT_EQ(verdict(post("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n")),
            "beast: bad Transfer-Encoding");
  EXPECT_EQ(verdict(post("Transfer-Encoding: gzip\r\nContent-Length: 5\r\n")),
            "Transfer-Encoding together with Content-Length");
  EXPECT_EQ(verdict(post("Transfer-Encoding: chunked, gzip\r\nContent-Length: 0\r\n")),
            "Transfer-Encoding together with Content-Length");
}

TEST(HttpFraming, OnlyASingleFinalChunkedIsAccepted) {
  EXPECT_EQ(verdict(post("Transfer-Encoding: xchunked\r\n")), "Transfer-Encoding must end with chunked");
  EXPECT_EQ(verdict(post("Transfer-Encoding: chunked, gzip\r\n")), "Transfer-Encoding must end with chunked");
  EXPECT_EQ(verdict(post("Transfer-Encoding: chunked;x=1\r\n")), "Transfer-Encoding must end with chunked");
  EXPECT_EQ(verdict(post("Transfer-Encoding: identity\r\n")), "Transfer-Encoding must end with chunked");
  EXPECT_EQ(verdict(post("Transfer-Encoding: \r\n")), "Transfer-Encoding must end with chunked");
  EXPECT_EQ(verdict(post("Transfer-Encoding: gzip, chunked\r\n")),
            "Unsupported transfer coding: only chunked is accepted");
  EXPECT_EQ(verdict(post("Transfer-Encoding: chunked, chunked\r\n")),
            "Unsupported transfer coding: only chunked is accepted");
  EXPECT_EQ(verdict(post("Transfer-Encoding: , chunked\r\n")),
            "Unsupported transfer coding: only chunked is accepted");
  EXPECT_EQ(verdict(post("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n")),
            "Transfer-Encoding given more than once");
  EXPECT_EQ(verdict(post("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")),
            "beast: bad Transfer-Encoding");
  EXPECT_EQ(verdict("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
            "Transfer-Encoding in an HTTP/1.0 request");
}

TEST(HttpFraming, ContentLengthMustBeOnePlainDecimal) {
  EXPECT_EQ(verdict(post("Content-Length: 5, 5\r\n")), "Content-Length must be a plain decimal number");
  EXPECT_EQ(verdict(post("Content-Length: 5\r\nContent-Length: 5\r\n")),
            "Content-Length given more than once");
  EXPECT_EQ(verdict(post("Content-Length: 5\r\nContent-Length: 6\r\n")), "beast: multiple Content-Length");
  EXPECT_EQ(verdict(post("Content-Length: 5, 6\r\n")), "beast: multiple Content-Length");
  EXPECT_EQ(verdict(post("Content-Length: +5\r\n")), "beast: bad Content-Length");
  EXPECT_EQ(verdict(post("Content-Length: 0x5\r\n")), "beast: bad Content-Length");
  EXPECT_EQ(verdict(post("Content-Length: -1\r\n")), "beast: bad Content-Length");
  EXPECT_EQ(verdict(post("Content-Length: \r\n")), "beast: bad Content-Length");
  EXPECT_EQ(verdict(post("Content-Length: 99999999999999999999999\r\n")), "beast: bad Content-Length");
}

TEST(HttpFraming, ObsFoldIsRefused) {
  EXPECT_EQ(verdict(post("Transfer-Encoding:\r\n chunked\r\n")),
            "Header line starting with whitespace (obs-fold)");
  EXPECT_EQ(verdict(post("Transfer-Encoding: x\r\n\tchunked\r\n")),
            "Header line starting with whitespace (obs-fold)");
  EXPECT_EQ(verdict(post("X-Note: one\r\n two\r\n")), "Header line starting with whitespace (obs-fold)");
  EXPECT_EQ(verdict("GET / HTTP/1.1\r\n Host: x\r\n\r\n"), "Header line starting with whitespace (obs-fold)");
}

TEST(HttpFraming, BareLineEndingsAreRefused) {
  EXPECT_EQ(verdict("GET / HTTP/1.1\nHost: x\n\n"), "Bare LF in the request head: lines must end in CRLF");
  EXPECT_EQ(verdict("GET / HTTP/1.1\r\nHost: x\n\r\n"),
            "Bare LF in the request head: lines must end in CRLF");
  EXPECT_EQ(verdict("GET / HTTP/1.1\r\nHost: x\r\n\n"),
            "Bare LF in the request head: lines must end in CRLF");
  EXPECT_EQ(verdict("\nGET / HTTP/1.1\r\n\r\n"), "Bare LF in the request head: lines must end in CRLF");
  EXPECT_EQ(verdict("GET / HTTP/1.1\r\nHost: x\ry\r\n\r\n"), "Bare CR in the request head");
  EXPECT_EQ(verdict("GET / HTTP/1.1\r\nHost: x\r\n\rX"), "Bare CR in the request head");
  EXPECT_EQ(beast_alone("GET / HTTP/1.1\nHost: x\n"), "beast: bad version");
  EXPECT_EQ(scan_request_head("GET / HTTP/1.1\n", kLimit).state, head_state::malformed);
}

// Once Beast has seen part of a head, it parses again only when a CRLF CRLF has arrived: a head that goes on
// with bare LFs keeps it waiting (up to the header limit or the idle timeout). The scan refuses at once.
TEST(HttpFraming, BeastWaitsForCrlfCrlfOnceAHeadIsPartial) {
  beast_http::request_parser<beast_http::string_body> parser;
  boost::beast::error_code ec;
  std::string const first = "GET / HTTP/1.1\r\nHost: x";
  std::string const whole = first + "\nX-A: b\n\n";
  auto used = parser.put(boost::asio::buffer(first), ec);  // the request line
  EXPECT_EQ(ec, beast_http::error::need_more);
  std::string const rest = whole.substr(used);
  EXPECT_EQ(parser.put(boost::asio::buffer(rest), ec), 0u);
  EXPECT_EQ(ec, beast_http::error::need_more) << "still waiting, with a complete bare-LF head";
  EXPECT_EQ(scan_request_head(whole, kLimit, first.size()).state, head_state::malformed);
}

TEST(HttpFraming, ScanStopsAtTheEndOfTheHead) {
  std::string const head = "POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\n";
  auto scan = scan_request_head(head + "a\nb\r\n\tc\r\r", kLimit);
  ASSERT_EQ(scan.state, head_state::complete);
  EXPECT_EQ(scan.end, head.size()) << "the body may hold any bytes";
  EXPECT_EQ(scan_request_head("GET / HTTP/1.1\r\nHost: x\r\n", kLimit).state, head_state::need_more);
  EXPECT_EQ(scan_request_head("GET / HTTP/1.1\r\nHost: x\r\n\r", kLimit).state, head_state::need_more);
  EXPECT_EQ(scan_request_head("GET / HTTP/1.1\r", kLimit).state, head_state::need_more);
  EXPECT_EQ(scan_request_head("", kLimit).state, head_state::need_more);
}

TEST(HttpFraming, ScanResumesByteByByte) {
  for (std::string const request :
       {"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n",
        "GET / HTTP/1.1\r\nA: b\n\r\n", "GET / HTTP/1.1\r\nA: b\r\r\n\r\n"}) {
    auto whole = scan_request_head(request, kLimit);
    head_scan step;
    std::size_t scanned = 0;
    for (std::size_t n = 1; n <= request.size(); ++n) {
      step = scan_request_head(std::string_view(request).substr(0, n), kLimit, scanned);
      if (step.state != head_state::need_more) break;
      scanned = n;
    }
    EXPECT_EQ(step.state, whole.state) << request;
    EXPECT_EQ(step.end, whole.end) << request;
    EXPECT_EQ(step.detail, whole.detail) << request;
  }
}

TEST(HttpFraming, HeadLargerThanTheLimitIsTooLarge) {
  std::string const head = "GET / HTTP/1.1\r\nX: " + std::string(100, 'a') + "\r\n\r\n";
  EXPECT_EQ(scan_request_head(head, head.size()).state, head_state::complete);
  EXPECT_EQ(scan_request_head(head, head.size() - 1).state, head_state::too_large);
  EXPECT_EQ(scan_request_head(head.substr(0, 60), 50).state, head_state::too_large);
}

}  // namespace
}  // namespace windi::http
