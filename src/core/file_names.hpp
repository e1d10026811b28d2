#pragma once
// The name an uploaded file is kept and offered under. It comes from the client and ends up in a
// Content-Disposition header and in other people's screens, so it is cleaned, never trusted.
#include <string>
#include <string_view>

namespace windi {

inline constexpr std::size_t max_file_name_bytes = 255;

// The last path segment of `given` (a browser may send "C:\Users\me\cat.png"), without control characters,
// bidirectional overrides (which make "gpj.exe" read as "exe.jpg"), or leading and trailing spaces and dots,
// cut to max_file_name_bytes at a character boundary. Invalid UTF-8, or nothing left, gives "file".
std::string clean_file_name(std::string_view given);

// A Content-Disposition header value for a cleaned name: `attachment` or `inline`, an ASCII fallback
// (RFC 6266: filename="...") and the exact name (RFC 5987: filename*=UTF-8''...).
std::string content_disposition(bool inline_display, std::string_view clean_name);

}  // namespace windi
