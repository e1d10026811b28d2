#include "core/validation.hpp"
#include "api/views.hpp"

#include <gtest/gtest.h>

namespace windi {
namespace {

TEST(Validation, CountsCharactersNotBytes) {
  EXPECT_EQ(utf8_length("привет"), 6u);
  EXPECT_EQ(utf8_length("a😄"), 2u);
  EXPECT_TRUE(validate_message_text(std::string(10, 'x'), 10));
  EXPECT_FALSE(validate_message_text(std::string(11, 'x'), 10));
  std::string cyrillic;
  for (int i = 0; i < 10; ++i) cyrillic += "ж";
  EXPECT_TRUE(validate_message_text(cyrillic, 10)) << "20 bytes but 10 characters";
}

TEST(Validation, BlankTextIsRefused) {
  auto blank = validate_message_text(" \n\t ", 100);
  ASSERT_FALSE(blank);
  EXPECT_EQ(blank.error().code, errc::validation);
  EXPECT_EQ(blank.error().field, "text");
  EXPECT_FALSE(validate_message_text("", 100));
}

// PostgreSQL cannot store NUL in text, and control characters are invisible in every client.
TEST(Validation, ControlCharactersAreRefusedButLineBreaksAndTabsAreText) {
  using namespace std::string_literals;
  EXPECT_TRUE(validate_message_text("line one\nline two\tend\r\n", 100));
  EXPECT_FALSE(validate_message_text("nul\0inside"s, 100));
  EXPECT_FALSE(validate_message_text("bell\a", 100));
  EXPECT_FALSE(validate_message_text("\x1b[31mred", 100));
  EXPECT_FALSE(validate_chat_name("team\0"s));
  EXPECT_FALSE(validate_client_message_id("id\0x"s));
  EXPECT_FALSE(validate_email("bob\0@test.com"s));
  EXPECT_TRUE(validate_chat_name("Team 🚀"));
}

TEST(Validation, UsernamesAndEmails) {
  EXPECT_TRUE(validate_username("alice"));
  EXPECT_TRUE(validate_username("bob_2.test-x"));
  EXPECT_FALSE(validate_username("al"));
  EXPECT_FALSE(validate_username("alice bob"));
  EXPECT_FALSE(validate_username("<script>"));
  EXPECT_TRUE(validate_email("bob@test.com"));
  EXPECT_FALSE(validate_email("bob"));
  EXPECT_FALSE(validate_email("bob@"));
  EXPECT_FALSE(validate_email("@test.com"));
  EXPECT_FALSE(validate_email("a@b@c.com"));
  EXPECT_TRUE(validate_password("123456"));
  EXPECT_FALSE(validate_password("12345"));
}

TEST(Views, TimestampsAreIso8601Utc) {
  EXPECT_EQ(iso8601(0), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(iso8601(1'795'651'200'123'456), "2026-11-26T00:00:00.123456Z");
}

}  // namespace
}  // namespace windi
