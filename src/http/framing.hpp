#pragma once
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include <cstddef>
#include <optional>
#include <string_view>

// Strict HTTP/1.1 request framing (RFC 9112), so that no proxy in front of the server can read a request's
// bytes differently from us (request smuggling). Beast's parser already refuses a lot (see framing.cpp);
// these checks add what it lets through. A request that fails them gets 400 and the connection is closed.
namespace windi::http {

enum class head_state {
  need_more,  // no end of the head yet, nothing wrong so far
  complete,   // the head ends at `end`, and its line endings are clean
  malformed,  // bare LF, bare CR or an obs-fold line: refuse with 400
  too_large,  // no end within the limit: refuse with 431
};

struct head_scan {
  head_state state = head_state::need_more;
  std::size_t end = 0;      // complete: bytes of the head, its empty last line included
  std::string_view detail;  // malformed, too_large: why (a constant string)
};

// Looks at the first bytes of a request, up to the empty line that ends its head (nothing after it: that is
// the body or the next request). Every line must end in CRLF, and no line may start with a space or a tab
// (obs-fold, or whitespace before the first field). `from` is where an earlier call on a prefix of the same
// bytes stopped (the prefix's size), so that reading byte by byte does not rescan everything.
head_scan scan_request_head(std::string_view bytes, std::size_t max_head_bytes, std::size_t from = 0);

// Checks the framing fields of a request head that Beast has parsed (parser.is_header_done(), body not read
// yet): returns why it is refused, or nothing.
// A Transfer-Encoding must be one field whose value is exactly `chunked` (we support no other coding), with
// no Content-Length beside it, on HTTP/1.1; a Content-Length must be one field holding a plain decimal
// number.
// The server reads every request's head with one of these, then moves it into the parser its route reads the
// body with (the whole body into a string, or piece by piece).
using head_parser = boost::beast::http::request_parser<boost::beast::http::empty_body>;
std::optional<std::string_view> framing_error(head_parser const& parser);

}  // namespace windi::http
