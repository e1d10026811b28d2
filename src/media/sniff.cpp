#include "media/sniff.hpp"

#include <magic.h>

#include <array>

namespace windi::media {
namespace {

constexpr char const* fallback_type = "application/octet-stream";

// A magic_t is not thread-safe and loading its database costs a few milliseconds, so each thread opens its
// own on first use and closes it when the thread ends.
class magic_cookie {
 public:
  magic_cookie() = default;
  magic_cookie(magic_cookie const&) = delete;
  magic_cookie& operator=(magic_cookie const&) = delete;
  ~magic_cookie() {
    if (cookie_ != nullptr) magic_close(cookie_);
  }

  // Null when libmagic or its database is missing; the next call tries again.
  magic_t get() {
    if (cookie_ != nullptr) return cookie_;
    // MAGIC_NO_CHECK_COMPRESS: sniffing must not decompress what a client sent.
    magic_t cookie = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS);
    if (cookie == nullptr) return nullptr;
    if (magic_load(cookie, nullptr) != 0) {
      magic_close(cookie);
      return nullptr;
    }
    cookie_ = cookie;
    return cookie_;
  }

 private:
  magic_t cookie_ = nullptr;
};

}  // namespace

std::string sniff_content_type(std::string_view head) {
  // libmagic calls empty input "application/x-empty", a type no client knows what to do with.
  if (head.empty()) return fallback_type;
  thread_local magic_cookie cookie;
  magic_t const magic = cookie.get();
  if (magic == nullptr) return fallback_type;
  if (head.size() > sniff_head_bytes) head = head.substr(0, sniff_head_bytes);
  char const* type = magic_buffer(magic, head.data(), head.size());
  if (type == nullptr || *type == '\0') return fallback_type;
  return type;
}

bool is_inline_image(std::string_view content_type) {
  // An allow-list, never a deny-list: a type libmagic learns tomorrow must not become inline by default.
  static constexpr std::array<std::string_view, 4> inline_types{"image/jpeg", "image/png", "image/gif",
                                                                "image/webp"};
  for (auto const type : inline_types) {
    if (content_type == type) return true;
  }
  return false;
}

}  // namespace windi::media
