#pragma once
#include "http/request.hpp"
#include "http/response.hpp"

#include <filesystem>
#include <optional>
#include <string_view>

namespace windi::http {

// Serves the web app's files: the folder's public/ at "/", and Swagger UI's assets (installed by npm into
// node_modules/swagger-ui-dist) at /vendor/swagger-ui/. Only plain segments are accepted, so a request can
// never name a file outside those two folders.
class static_files {
 public:
  explicit static_files(std::filesystem::path web_dir);

  // The response for a GET/HEAD of `path` (encoded, as received), or nullopt when no such file exists.
  std::optional<api_response> serve(std::string_view path, beast_request const& request) const;

  // A named page of public/, e.g. "docs.html"; a JSON 404 naming the missing file when it is absent.
  api_response page(std::string_view file, beast_request const& request) const;

 private:
  std::optional<api_response> serve_file(std::filesystem::path const& file,
                                         beast_request const& request) const;

  std::filesystem::path public_dir_;
  std::filesystem::path swagger_dir_;
};

// The MIME type for a file name's extension; application/octet-stream when unknown.
std::string_view content_type_for(std::string_view file_name);

}  // namespace windi::http
