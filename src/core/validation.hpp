#pragma once
// Field rules shared by every transport, so REST and WebSocket refuse the same input the same way.
#include "core/error.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace windi {

// Number of Unicode code points in valid UTF-8 text.
std::size_t utf8_length(std::string_view text);

outcome<void> validate_username(std::string_view username);
outcome<void> validate_email(std::string_view email);
outcome<void> validate_password(std::string_view password);
outcome<void> validate_message_text(std::string_view text, std::size_t max_chars);
outcome<void> validate_client_message_id(std::string_view id);
outcome<void> validate_chat_name(std::string_view name);

}  // namespace windi
