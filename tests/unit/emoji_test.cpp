// What counts as one emoji for a reaction.
#include "core/emoji.hpp"

#include <gtest/gtest.h>

namespace windi {
namespace {

TEST(Emoji, AcceptsSingleEmojiIncludingSequences) {
  for (char const* e :
       {"👍", "❤️", "❤", "🎉", "😂", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇺🇦",
        "1️⃣", "#⃣", "🏴󠁧󠁢󠁥󠁮󠁧󠁿", "☕", "🫠", "👩🏾‍💻"}) {
    EXPECT_TRUE(is_single_emoji(e)) << e;
  }
}

TEST(Emoji, RefusesTextSeveralEmojiAndBrokenSequences) {
  for (char const* e : {"", "a", "1", "ok", "👍👍", "👍 ", " 👍", "🇺", "🇺🇦🇺🇦", "👍\u200d", "\u200d👍", "🏽",
                        "<script>", "👍‍👍‍👍‍👍‍👍", "😀󠁧󠁢󠁿", "\xf0\x9f\x91",
                        "\xed\xa0\x80", "\xc0\xaf", "x️"}) {
    EXPECT_FALSE(is_single_emoji(e)) << e;
  }
  EXPECT_FALSE(is_single_emoji(std::string(200, 'a')));
}

}  // namespace
}  // namespace windi
