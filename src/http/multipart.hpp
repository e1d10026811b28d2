#pragma once
// The one file of a multipart/form-data upload (RFC 7578), read as it arrives: the parts before it (other
// fields) are skipped, its bytes are handed on piece by piece, never the whole body in memory.
#include "http/request.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace windi::http {

// The boundary of a multipart/form-data Content-Type; nullopt for any other type or a malformed one.
std::optional<std::string> form_data_boundary(std::string_view content_type);

class multipart_file_reader {
 public:
  multipart_file_reader(body_reader& body, std::string const& boundary);

  // Reads up to the content of the first part that carries a file and returns its file name (as sent).
  // errc::validation when the form holds no file, errc::bad_request when it is not well-formed multipart.
  boost::asio::awaitable<outcome<std::string>> open_file();
  // The file's next bytes, up to into.size(); 0 at the end of the part.
  boost::asio::awaitable<outcome<std::size_t>> read(std::span<char> into);

 private:
  boost::asio::awaitable<outcome<bool>> fill();  // false at the end of the body
  void compact();

  body_reader& body_;
  std::string delimiter_;  // CRLF "--" boundary
  std::string buffer_;
  std::size_t position_ = 0;
  bool body_done_ = false;
  bool in_file_ = false;
  bool file_done_ = false;
};

}  // namespace windi::http
