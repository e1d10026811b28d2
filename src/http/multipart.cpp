#include "http/multipart.hpp"

#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <cstring>

namespace windi::http {
namespace {

constexpr std::size_t fill_bytes = 64 * 1024;
constexpr std::size_t max_part_head_bytes = 16 * 1024;

failure malformed(std::string detail) {
  return fail(errc::bad_request, "Malformed multipart body: " + detail);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value of parameter `name` in a header value like `form-data; name="f"; filename="a.png"`: quoted (with
// backslash escapes) or a bare token.
std::optional<std::string> parameter(std::string_view header, std::string_view name) {
  std::size_t i = header.find(';');
  while (i != std::string_view::npos && i < header.size()) {
    ++i;
    while (i < header.size() && (header[i] == ' ' || header[i] == '\t')) ++i;
    auto const eq = header.find('=', i);
    if (eq == std::string_view::npos) return std::nullopt;
    auto key = trim(header.substr(i, eq - i));
    std::string value;
    std::size_t j = eq + 1;
    while (j < header.size() && (header[j] == ' ' || header[j] == '\t')) ++j;
    if (j < header.size() && header[j] == '"') {
      for (++j; j < header.size() && header[j] != '"'; ++j) {
        // Only \" is an escape: browsers send a Windows path's backslashes as they are.
        if (header[j] == '\\' && j + 1 < header.size() && header[j + 1] == '"') ++j;
        value += header[j];
      }
      i = header.find(';', j);
    } else {
      auto const end = header.find(';', j);
      value = std::string(
          trim(header.substr(j, end == std::string_view::npos ? std::string_view::npos : end - j)));
      i = end;
    }
    if (boost::beast::iequals(key, name)) return value;
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::string> form_data_boundary(std::string_view content_type) {
  auto const semicolon = content_type.find(';');
  if (!boost::beast::iequals(trim(content_type.substr(0, semicolon)), "multipart/form-data"))
    return std::nullopt;
  auto boundary = parameter(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > 70) return std::nullopt;
  return boundary;
}

multipart_file_reader::multipart_file_reader(body_reader& body, std::string const& boundary)
    : body_(body), delimiter_("\r\n--" + boundary), buffer_("\r\n") {}

void multipart_file_reader::compact() {
  if (position_ > 0) {
    buffer_.erase(0, position_);
    position_ = 0;
  }
}

boost::asio::awaitable<outcome<bool>> multipart_file_reader::fill() {
  if (body_done_) co_return false;
  compact();
  auto const had = buffer_.size();
  buffer_.resize(had + fill_bytes);
  auto n = co_await body_.read(std::span<char>(buffer_.data() + had, fill_bytes));
  if (!n) {
    buffer_.resize(had);
    co_return n.error();
  }
  buffer_.resize(had + *n);
  if (*n == 0) body_done_ = true;
  co_return *n > 0;
}

boost::asio::awaitable<outcome<std::string>> multipart_file_reader::open_file() {
  for (;;) {
    // The next delimiter: what comes before it is a preamble or a part we skip.
    std::size_t at;
    while ((at = buffer_.find(delimiter_, position_)) == std::string::npos) {
      // Keep only what could be the start of a delimiter.
      if (buffer_.size() - position_ >= delimiter_.size()) position_ = buffer_.size() - delimiter_.size() + 1;
      auto more = co_await fill();
      if (!more) co_return more.error();
      if (!*more) co_return malformed("no closing boundary");
    }
    position_ = at + delimiter_.size();
    // "--" ends the form; otherwise the boundary line ends with CRLF (after optional whitespace).
    while (buffer_.size() - position_ < 2) {
      auto more = co_await fill();
      if (!more) co_return more.error();
      if (!*more) co_return malformed("truncated boundary");
    }
    if (buffer_.compare(position_, 2, "--") == 0)
      co_return fail(errc::validation, "The form holds no file", "file");
    std::size_t line_end;
    while ((line_end = buffer_.find("\r\n", position_)) == std::string::npos) {
      if (buffer_.size() - position_ > 256) co_return malformed("bad boundary line");
      auto more = co_await fill();
      if (!more) co_return more.error();
      if (!*more) co_return malformed("truncated boundary");
    }
    // From the boundary line's CRLF, so that a part without headers is CRLF CRLF as well.
    position_ = line_end;
    std::size_t head_end;
    while ((head_end = buffer_.find("\r\n\r\n", position_)) == std::string::npos) {
      if (buffer_.size() - position_ > max_part_head_bytes) co_return malformed("part headers too large");
      auto more = co_await fill();
      if (!more) co_return more.error();
      if (!*more) co_return malformed("truncated part headers");
    }
    std::string_view head(buffer_.data() + position_ + 2, head_end - position_);
    position_ = head_end + 4;
    std::optional<std::string> filename;
    while (!head.empty()) {
      auto const eol = head.find("\r\n");
      auto line = head.substr(0, eol);
      head.remove_prefix(eol == std::string_view::npos ? head.size() : eol + 2);
      auto const colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      if (boost::beast::iequals(trim(line.substr(0, colon)), "Content-Disposition")) {
        filename = parameter(line.substr(colon + 1), "filename");
      }
    }
    if (filename) {
      in_file_ = true;
      co_return *filename;
    }
  }
}

boost::asio::awaitable<outcome<std::size_t>> multipart_file_reader::read(std::span<char> into) {
  if (!in_file_ || file_done_ || into.empty()) co_return std::size_t{0};
  for (;;) {
    auto const at = buffer_.find(delimiter_, position_);
    std::size_t ready;
    if (at != std::string::npos) {
      ready = at - position_;
      if (ready == 0) {
        file_done_ = true;
        co_return std::size_t{0};
      }
    } else {
      // Bytes that cannot be the start of a delimiter are the file's.
      auto const held = buffer_.size() - position_;
      ready = held >= delimiter_.size() ? held - delimiter_.size() + 1 : 0;
    }
    if (ready > 0) {
      auto const n = std::min(ready, into.size());
      std::memcpy(into.data(), buffer_.data() + position_, n);
      position_ += n;
      co_return n;
    }
    auto more = co_await fill();
    if (!more) co_return more.error();
    if (!*more) co_return malformed("the file part never ends");
  }
}

}  // namespace windi::http
