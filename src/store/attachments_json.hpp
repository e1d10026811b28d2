#pragma once
// How a message row keeps its attachments, on both backends: a JSON array written once when the message is
// stored, [{"id": 7, "name": "cat.png", "size": 51479, "content_type": "image/png", "width": 300,
// "height": 152, "thumbnail": true}, ...], NULL when there are none.
#include "core/types.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace windi {

std::string attachments_json(std::vector<attachment> const& attachments);
// Throws std::logic_error on text that attachments_json did not write (a damaged row).
std::vector<attachment> parse_attachments(std::string_view json);

}  // namespace windi
