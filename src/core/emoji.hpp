#pragma once
// Whether a text is exactly one emoji: one grapheme cluster built the way emoji are (a pictographic base
// with optional variation selector and skin tone, joined by ZWJ into sequences; flags as regional-indicator
// pairs or tag sequences; keycaps). Enough for reactions without pulling in ICU.
#include <string_view>

namespace windi {

bool is_single_emoji(std::string_view text);

}  // namespace windi
