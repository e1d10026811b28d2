#include "store/attachments_json.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <stdexcept>

namespace windi {

std::string attachments_json(std::vector<attachment> const& attachments) {
  boost::json::array out;
  for (auto const& a : attachments) {
    boost::json::object item{{"id", a.id},
                             {"name", a.name},
                             {"size", a.size},
                             {"content_type", a.content_type},
                             {"width", nullptr},
                             {"height", nullptr},
                             {"thumbnail", a.has_thumbnail}};
    if (a.width) item["width"] = *a.width;
    if (a.height) item["height"] = *a.height;
    out.push_back(std::move(item));
  }
  return boost::json::serialize(out);
}

std::vector<attachment> parse_attachments(std::string_view json) {
  boost::system::error_code ec;
  auto parsed = boost::json::parse(json, ec);
  if (ec || !parsed.is_array()) throw std::logic_error("stored attachments are not a JSON array");
  std::vector<attachment> out;
  for (auto const& v : parsed.as_array()) {
    auto const& o = v.as_object();
    attachment a;
    a.id = o.at("id").to_number<std::int64_t>();
    a.name = o.at("name").as_string();
    a.size = o.at("size").to_number<std::int64_t>();
    a.content_type = o.at("content_type").as_string();
    if (!o.at("width").is_null()) a.width = o.at("width").to_number<int>();
    if (!o.at("height").is_null()) a.height = o.at("height").to_number<int>();
    a.has_thumbnail = o.at("thumbnail").as_bool();
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace windi
