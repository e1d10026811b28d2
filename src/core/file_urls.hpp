#pragma once
// Signed download URLs. A browser cannot put an Authorization header on an <img>, so every attachment the API
// shows comes with a URL whose query carries an expiry and an HMAC (keyed from the server's secret) over the
// file, the variant (the file or its thumbnail), the expiry and a scope: the chat whose message shows the
// file (c<chat id>), or the uploader before it is sent (u<user id>). The download checks that the file
// belongs to that scope first (404 otherwise, as for any file an outsider asks for), then the signature (403
// when tampered with or expired). A URL names no reader, so one event frame serves every member; like any
// presigned URL it works for whoever holds it until it expires.
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/types.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace windi {

enum class file_variant { original, thumbnail };

struct file_scope {
  enum class kind { chat, owner } of = kind::chat;
  std::int64_t id = 0;
};

// The scope's text in a URL ("c12", "u7"); nullopt when `text` is not one.
std::string scope_text(file_scope scope);
std::optional<file_scope> parse_scope(std::string_view text);

class file_url_signer {
 public:
  // ttl: how long a URL stays valid at least. Expiries are rounded up to a multiple of ttl, so the URLs made
  // within one period are the same and a browser's cache keeps serving them; each is valid for less than 2x
  // ttl.
  file_url_signer(std::string_view secret, std::chrono::seconds ttl);

  // The path and query of a signed URL: /api/v1/files/{id}[/thumbnail]?scope=..&expires=..&signature=..
  std::string url(file_id id, file_variant variant, file_scope scope, micros now) const;
  // errc::forbidden when `signature` is not this server's for these values, or `expires` (Unix seconds) has
  // passed.
  outcome<void> verify(file_id id, file_variant variant, file_scope scope, std::int64_t expires,
                       std::string_view signature, micros now) const;
  // Fills in the attachment's url, and its thumbnail_url when it has a thumbnail.
  void sign(attachment& a, file_scope scope, micros now) const;

 private:
  std::string sign(file_id id, file_variant variant, file_scope scope, std::int64_t expires) const;

  unsigned char key_[32];
  std::int64_t ttl_seconds_;
};

// Fills in the download URLs of messages' attachments, for the members of each message's chat, as messages
// leave the services.
class attachment_signer {
 public:
  attachment_signer(file_url_signer const& urls, clock const& clock) : urls_(urls), clock_(clock) {}
  void operator()(message& m) const;
  void operator()(std::vector<message>& messages) const;
  void operator()(chat_summary& summary) const;  // its last message

 private:
  file_url_signer const& urls_;
  clock const& clock_;
};

}  // namespace windi
