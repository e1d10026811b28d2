#include "http/router.hpp"

#include "api/json_input.hpp"
#include "http/params.hpp"

#include <boost/json/object.hpp>
#include <boost/url/parse.hpp>

namespace windi::http {

namespace beast_http = boost::beast::http;

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (end > start) segments.emplace_back(path.substr(start, end - start));
    start = end + 1;
  }
  return segments;
}

namespace {

bool match(std::vector<std::string> const& pattern, std::vector<std::string> const& path,
           std::map<std::string, std::string>& params) {
  if (pattern.size() != path.size()) return false;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    auto const& p = pattern[i];
    if (p.size() > 2 && p.front() == '{' && p.back() == '}') {
      params[p.substr(1, p.size() - 2)] = path[i];
    } else if (p != path[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

void router::add(beast_http::verb method, std::string pattern, handler h) {
  auto segments = split_path(pattern);
  routes_.push_back(route{method, std::move(pattern), std::move(h), std::move(segments), std::nullopt});
}

void router::add_streaming(beast_http::verb method, std::string pattern, body_limit limit, handler h) {
  auto segments = split_path(pattern);
  routes_.push_back(route{method, std::move(pattern), std::move(h), std::move(segments), std::move(limit)});
}

body_limit const* router::streamed_body_limit(beast_http::verb method, std::string_view target) const {
  std::string const target_text(target);
  auto parsed = boost::urls::parse_origin_form(target_text);
  if (!parsed) return nullptr;
  auto segments = split_path(parsed->path());
  for (auto const& r : routes_) {
    std::map<std::string, std::string> params;
    if (r.method == method && match(r.segments, segments, params))
      return r.streamed_body_limit ? &*r.streamed_body_limit : nullptr;
  }
  return nullptr;
}

boost::asio::awaitable<api_response> router::dispatch(beast_request const& request,
                                                      std::string client_address, std::string_view* matched,
                                                      body_reader* body) const {
  std::string_view ignored;
  auto& route_name = matched ? *matched : ignored;
  route_name = malformed_route;
  std::string const target_text(request.target());  // owned: see decode_query about Boost.URL 1.81
  auto target = boost::urls::parse_origin_form(target_text);
  if (!target) {
    co_return json_response(beast_http::status::bad_request,
                            boost::json::object{{"detail", "Malformed request target"}});
  }
  auto segments = split_path(target->path());
  auto joined_path = [&segments] {
    std::string path = "/";
    for (auto const& s : segments) path += s + "/";
    if (path.size() > 1) path.pop_back();
    return path;
  };
  bool path_known = false;
  for (auto const& r : routes_) {
    std::map<std::string, std::string> params;
    if (!match(r.segments, segments, params)) continue;
    path_known = true;
    bool head_as_get = request.method() == beast_http::verb::head && r.method == beast_http::verb::get;
    if (r.method != request.method() && !head_as_get) continue;
    request_context context{request,
                            joined_path(),
                            std::move(params),
                            decode_query(target->encoded_query()),
                            std::move(client_address),
                            r.streamed_body_limit ? body : nullptr};
    route_name = r.pattern;
    co_return co_await r.handle(context);
  }
  bool readable = request.method() == beast_http::verb::get || request.method() == beast_http::verb::head;
  if (!path_known && readable && fallback_) {
    request_context context{
        request, joined_path(), {}, decode_query(target->encoded_query()), std::move(client_address)};
    route_name = fallback_route;
    co_return co_await fallback_(context);
  }
  route_name = unmatched_route;
  if (path_known) {
    co_return json_response(beast_http::status::method_not_allowed,
                            boost::json::object{{"detail", "Method Not Allowed"}});
  }
  co_return json_response(beast_http::status::not_found, boost::json::object{{"detail", "Not Found"}});
}

}  // namespace windi::http
