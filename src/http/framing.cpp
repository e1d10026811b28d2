#include "http/framing.hpp"

#include <boost/beast/core/string.hpp>

#include <algorithm>

// What Beast 1.81's request parser (boost/beast/http/impl/basic_parser.ipp) already refuses, and what it lets
// through that these checks add:
//
//   refused by Beast                                        let through by Beast (checked here)
//   ---------------------------------------------------    ------------------------------------------------
//   Content-Length that is not 1*DIGIT (+5, 0x5, 5a, "")    the same value twice: "5, 5", or two fields "5"
//   two Content-Length values that differ                   Transfer-Encoding before a Content-Length, when
//   Content-Length after a final `chunked`                    it is not a final `chunked` (xchunked, gzip,
//   any Transfer-Encoding after a Content-Length              "chunked, gzip"): the Content-Length frames it
//   a second Transfer-Encoding after a final `chunked`      Transfer-Encoding without a final `chunked` and
//   a bare LF or a bare CR inside the request line or a       no Content-Length: no body at all, so the body
//     field line (bad_version, bad_value, bad_line_ending)    is read as the next request
//   a space before a field's colon, a field line that      unknown codings before `chunked` ("gzip, chunked",
//     starts with a space right after the request line        "chunked, chunked"): not decoded
//     (bad_field)                                          obs-fold: unfolded and accepted, so a folded
//                                                             "Transfer-Encoding:\r\n chunked" counts as
//                                                             chunked
//                                                          Transfer-Encoding in an HTTP/1.0 request
//
// Beast refuses a bare LF when it parses the line that holds it, but once it has parsed part of a head it
// parses again only after a CRLF CRLF has arrived, so a head that goes on with bare LFs keeps it waiting (up
// to the header limit or the idle timeout); and the server used to close without an answer when Beast refused
// a head before consuming any of it. scan_request_head refuses it as soon as it arrives, with a 400.

namespace windi::http {

namespace beast_http = boost::beast::http;

head_scan scan_request_head(std::string_view bytes, std::size_t max_head_bytes, std::size_t from) {
  auto const size = bytes.size();
  // A decision at position i looks at most two bytes ahead, so the last undecided position of an earlier call
  // is at most three bytes before its end.
  std::size_t i = from > 3 ? from - 3 : 0;
  for (; i < size; ++i) {
    if (i >= max_head_bytes) return {head_state::too_large, 0, "Request headers too large"};
    char const c = bytes[i];
    if (c == '\r') {
      if (i + 1 == size) break;
      if (bytes[i + 1] != '\n') return {head_state::malformed, 0, "Bare CR in the request head"};
    } else if (c == '\n') {
      if (i == 0 || bytes[i - 1] != '\r') {
        return {head_state::malformed, 0, "Bare LF in the request head: lines must end in CRLF"};
      }
      if (i + 1 == size) break;
      char const next = bytes[i + 1];
      if (next == ' ' || next == '\t') {
        return {head_state::malformed, 0, "Header line starting with whitespace (obs-fold)"};
      }
      if (next == '\r') {
        if (i + 2 == size) break;
        if (bytes[i + 2] != '\n') return {head_state::malformed, 0, "Bare CR in the request head"};
        std::size_t const end = i + 3;
        if (end > max_head_bytes) return {head_state::too_large, 0, "Request headers too large"};
        return {head_state::complete, end, {}};
      }
    }
  }
  if (size >= max_head_bytes) return {head_state::too_large, 0, "Request headers too large"};
  return {head_state::need_more, 0, {}};
}

std::optional<std::string_view> framing_error(head_parser const& parser) {
  auto const& head = parser.get();
  std::size_t transfer_encodings = 0;
  std::size_t content_lengths = 0;
  std::string_view transfer_encoding;
  std::string_view content_length;
  for (auto const& field : head) {
    if (field.name() == beast_http::field::transfer_encoding) {
      ++transfer_encodings;
      transfer_encoding = field.value();
    } else if (field.name() == beast_http::field::content_length) {
      ++content_lengths;
      content_length = field.value();
    }
  }

  if (transfer_encodings > 0) {
    if (content_lengths > 0) return "Transfer-Encoding together with Content-Length";
    if (head.version() < 11) return "Transfer-Encoding in an HTTP/1.0 request";
    if (transfer_encodings > 1) return "Transfer-Encoding given more than once";
    if (!boost::beast::iequals(transfer_encoding, "chunked")) {
      // Say which of the two it is: a coding list that does not end in chunked cannot be framed at all.
      auto last =
          transfer_encoding.substr(std::min(transfer_encoding.size(), transfer_encoding.rfind(',') + 1));
      auto const first = last.find_first_not_of(" \t");
      last = first == std::string_view::npos ? std::string_view{} : last.substr(first);
      if (!boost::beast::iequals(last, "chunked")) return "Transfer-Encoding must end with chunked";
      return "Unsupported transfer coding: only chunked is accepted";
    }
    // Beast must have read it the same way, or the body would be framed differently from what we checked.
    if (!parser.chunked()) return "Transfer-Encoding not understood";
    return std::nullopt;
  }

  if (content_lengths > 1) return "Content-Length given more than once";
  if (content_lengths == 1) {
    bool const digits = !content_length.empty() && std::all_of(content_length.begin(), content_length.end(),
                                                               [](char c) { return c >= '0' && c <= '9'; });
    if (!digits) return "Content-Length must be a plain decimal number";
    if (!parser.content_length()) return "Content-Length not understood";
  }
  return std::nullopt;
}

}  // namespace windi::http
