#include "core/validation.hpp"

#include <algorithm>

namespace windi {

std::size_t utf8_length(std::string_view text) {
  // Continuation bytes are 10xxxxxx; every other byte starts a code point.
  return static_cast<std::size_t>(std::count_if(
      text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

namespace {

bool is_blank(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

// NUL and the other C0 control characters but tab, line feed and carriage return: invisible in any client,
// and PostgreSQL cannot store NUL in text at all.
bool has_control_characters(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) {
    auto const byte = static_cast<unsigned char>(c);
    return byte < 0x20 && c != '\t' && c != '\n' && c != '\r';
  });
}

}  // namespace

outcome<void> validate_username(std::string_view username) {
  if (username.size() < 3 || username.size() > 32) {
    return fail(errc::validation, "Username must be 3 to 32 characters long", "username");
  }
  bool allowed = std::all_of(username.begin(), username.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
  });
  if (!allowed) {
    return fail(errc::validation, "Username may contain only letters, digits, '_', '.' and '-'", "username");
  }
  return {};
}

outcome<void> validate_email(std::string_view email) {
  auto at = email.find('@');
  bool ok = email.size() <= 254 && at != std::string_view::npos && at > 0 && at == email.rfind('@') &&
            email.find('.', at) != std::string_view::npos && email.back() != '.' &&
            email.find_first_of(" \t\r\n") == std::string_view::npos && email[at + 1] != '.' &&
            !has_control_characters(email);
  if (!ok) return fail(errc::validation, "value is not a valid email address", "email");
  return {};
}

outcome<void> validate_password(std::string_view password) {
  if (utf8_length(password) < 6) {
    return fail(errc::validation, "Password must be at least 6 characters long", "password");
  }
  if (password.size() > 256)
    return fail(errc::validation, "Password must be at most 256 bytes long", "password");
  return {};
}

outcome<void> validate_message_text(std::string_view text, std::size_t max_chars) {
  if (is_blank(text)) return fail(errc::validation, "Message text must not be empty", "text");
  if (has_control_characters(text)) {
    return fail(errc::validation, "Message text must not contain control characters", "text");
  }
  if (utf8_length(text) > max_chars) {
    return fail(errc::validation, "Message text must be at most " + std::to_string(max_chars) + " characters",
                "text");
  }
  return {};
}

outcome<void> validate_client_message_id(std::string_view id) {
  if (id.empty() || id.size() > 128) {
    return fail(errc::validation, "client_message_id must be 1 to 128 characters long", "client_message_id");
  }
  if (has_control_characters(id)) {
    return fail(errc::validation, "client_message_id must not contain control characters",
                "client_message_id");
  }
  return {};
}

outcome<void> validate_chat_name(std::string_view name) {
  if (is_blank(name) || utf8_length(name) > 100) {
    return fail(errc::validation, "Chat name must be 1 to 100 characters long", "name");
  }
  if (has_control_characters(name))
    return fail(errc::validation, "Chat name must not contain control characters", "name");
  return {};
}

}  // namespace windi
