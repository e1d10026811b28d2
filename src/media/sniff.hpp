#pragma once
// The type of an uploaded file, judged from its bytes. A client's Content-Type or file name is never trusted:
// it decides how a browser renders the file, and an HTML or SVG "image" shown inline runs script in our
// origin.
#include <cstddef>
#include <string>
#include <string_view>

namespace windi::media {

// How many leading bytes callers pass to sniff_content_type; libmagic rarely looks further.
inline constexpr std::size_t sniff_head_bytes = 64 * 1024;

// The MIME type of a file from its first bytes (at most sniff_head_bytes are looked at), as libmagic sees it:
// "image/png", "text/html", ... Empty input, or a libmagic that cannot start, gives
// "application/octet-stream", which clients only ever download. Safe to call from any thread.
std::string sniff_content_type(std::string_view head);

// True only for the raster formats a browser may show inline: JPEG, PNG, GIF and WebP. Everything else, SVG
// and HTML included, is served as a download. Takes a sniffed type; parameters ("; charset=...") make it
// false.
bool is_inline_image(std::string_view content_type);

}  // namespace windi::media
