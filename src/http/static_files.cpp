#include "http/static_files.hpp"

#include "http/router.hpp"

#include <fmt/format.h>
#include <boost/json/object.hpp>

#include <array>
#include <fstream>
#include <sstream>

namespace windi::http {

namespace fs = std::filesystem;
namespace beast_http = boost::beast::http;

namespace {

constexpr std::string_view swagger_prefix = "/vendor/swagger-ui/";

// The pages run only the app's own scripts; sockets go back to the same host.
constexpr std::string_view page_policy =
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self' "
    "'unsafe-inline'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

// Rejects anything but plain names: no "..", no hidden files, no encoded bytes that could decode to either.
bool plain_segment(std::string_view s) {
  if (s.empty() || s.front() == '.') return false;
  return s.find_first_of("%\\:") == std::string_view::npos;
}

std::optional<fs::path> resolve(fs::path const& root, std::string_view relative) {
  fs::path file = root;
  for (auto const& segment : split_path(relative)) {
    if (!plain_segment(segment)) return std::nullopt;
    file /= segment;
  }
  std::error_code ec;
  if (fs::is_directory(file, ec)) file /= "index.html";
  if (!fs::is_regular_file(file, ec)) return std::nullopt;
  return file;
}

}  // namespace

std::string_view content_type_for(std::string_view file_name) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 13> types{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".webmanifest", "application/manifest+json"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".webp", "image/webp"},
  }};
  for (auto const& [extension, type] : types) {
    if (file_name.ends_with(extension)) return type;
  }
  return "application/octet-stream";
}

static_files::static_files(fs::path web_dir)
    : public_dir_(web_dir / "public"), swagger_dir_(web_dir / "node_modules" / "swagger-ui-dist") {}

std::optional<api_response> static_files::serve(std::string_view path, beast_request const& request) const {
  if (path.starts_with(swagger_prefix)) {
    auto file = resolve(swagger_dir_, path.substr(swagger_prefix.size()));
    if (!file) return std::nullopt;
    return serve_file(*file, request);
  }
  auto file = resolve(public_dir_, path);
  if (!file) return std::nullopt;
  return serve_file(*file, request);
}

api_response static_files::page(std::string_view file, beast_request const& request) const {
  auto found = resolve(public_dir_, file);
  if (auto response = found ? serve_file(*found, request) : std::nullopt) return *response;
  return json_response(
      beast_http::status::not_found,
      boost::json::object{{"detail", fmt::format("{} is not installed in the web folder", file)}});
}

std::optional<api_response> static_files::serve_file(fs::path const& file,
                                                     beast_request const& request) const {
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  if (ec) return std::nullopt;
  auto modified = fs::last_write_time(file, ec);
  if (ec) return std::nullopt;
  // Revalidated on every load (no-cache), so a rebuilt app is picked up at once; the ETag keeps that cheap.
  auto etag =
      fmt::format("\"{:x}-{:x}\"", size, static_cast<std::uint64_t>(modified.time_since_epoch().count()));
  api_response response;
  response.content_type = std::string(content_type_for(file.filename().string()));
  response.headers = {{"Cache-Control", "no-cache"}, {"ETag", etag}, {"X-Content-Type-Options", "nosniff"}};
  if (response.content_type.starts_with("text/html")) {
    response.headers.emplace_back("Content-Security-Policy", std::string(page_policy));
    response.headers.emplace_back("Referrer-Policy", "no-referrer");
  }
  if (auto match = request.find(beast_http::field::if_none_match);
      match != request.end() && match->value() == etag) {
    response.status = beast_http::status::not_modified;
    return response;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream content;
  content << in.rdbuf();
  response.body = std::move(content).str();
  return response;
}

}  // namespace windi::http
