// Uploads and downloads of files: thin adapters over core/file_service.hpp. Downloads stream from blob
// storage with Range, ETag and headers that keep a hostile file from running in our origin.
#include "api/views.hpp"
#include "core/file_names.hpp"
#include "core/file_service.hpp"
#include "http/byte_range.hpp"
#include "http/multipart.hpp"
#include "http/params.hpp"
#include "http/route_support.hpp"
#include "media/sniff.hpp"

#include <boost/beast/http/field.hpp>

#include <charconv>

namespace windi::http {

namespace beast_http = boost::beast::http;
using beast_http::verb;

namespace {

// Multipart framing around the file: the body limit of the upload route is the file limit plus this.
constexpr std::uint64_t form_overhead_bytes = 64 * 1024;

class blob_body final : public body_source {
 public:
  explicit blob_body(std::unique_ptr<files::blob_download> blob) : blob_(std::move(blob)) {}
  boost::asio::awaitable<outcome<std::size_t>> read(std::span<char> into) override {
    return blob_->read(into);
  }

 private:
  std::unique_ptr<files::blob_download> blob_;
};

std::optional<std::int64_t> integer(std::optional<std::string> const& text) {
  if (!text) return std::nullopt;
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc{} || end != text->data() + text->size()) return std::nullopt;
  return value;
}

// The headers every download carries: whatever its bytes are, the browser neither guesses another type nor
// runs anything in our origin; only raster images are shown inline.
void download_headers(api_response& out, file_download const& d, file_variant variant) {
  bool const shown_inline = variant == file_variant::thumbnail || media::is_inline_image(d.content_type);
  out.content_type = shown_inline ? d.content_type : "application/octet-stream";
  out.headers.emplace_back("X-Content-Type-Options", "nosniff");
  out.headers.emplace_back("Content-Security-Policy", "default-src 'none'; sandbox");
  out.headers.emplace_back("Cross-Origin-Resource-Policy", "same-origin");
  out.headers.emplace_back("Cache-Control", "private, max-age=3600");
  out.headers.emplace_back("ETag", d.etag);
  out.headers.emplace_back("Accept-Ranges", "bytes");
  auto name = d.file.name;
  if (variant == file_variant::thumbnail) name += ".webp";
  out.headers.emplace_back("Content-Disposition", content_disposition(shown_inline, name));
}

// The request's conditions: If-None-Match with the current ETag is 304; a Range (unless an If-Range names
// other bytes) picks a part.
range_choice wanted_range(request_context const& request, std::string const& etag, std::uint64_t total) {
  auto const& raw = request.raw;
  auto const range = raw[beast_http::field::range];
  if (range.empty()) return range_choice{};
  auto const if_range = raw[beast_http::field::if_range];
  if (!if_range.empty() && if_range != etag) return range_choice{};
  return choose_range(range, total);
}

bool not_modified(request_context const& request, std::string const& etag) {
  auto const header = request.raw[beast_http::field::if_none_match];
  if (header.empty()) return false;
  if (header == "*") return true;
  return std::string_view(header).find(etag) != std::string_view::npos;
}

// The caller's right to the file: a signed URL's, or the bearer token's.
boost::asio::awaitable<outcome<file_record>> permitted_file(request_context& request, route_services& s,
                                                            file_variant variant) {
  auto id = path_id(request, "file_id");
  if (!id) co_return id.error();
  auto signature = request.query_param("signature");
  if (signature) {
    auto scope = parse_scope(request.query_param("scope").value_or(""));
    auto expires = integer(request.query_param("expires"));
    if (!scope || !expires) co_return fail(errc::forbidden, "Invalid download signature");
    co_return co_await s.files.find_signed(*id, variant, *scope, *expires, std::move(*signature));
  }
  auto claims = co_await authenticate(request, s.auth);
  if (!claims) co_return claims.error();
  co_return co_await s.files.find(claims->subject, *id);
}

handler download(route_services& s, file_variant variant) {
  return [&s, variant](request_context& request) -> boost::asio::awaitable<api_response> {
    auto file = co_await permitted_file(request, s, variant);
    if (!file) co_return error_response(file.error(), "query");
    auto const what = served(*file, variant);
    if (!what) co_return error_response(fail(errc::not_found, "File not found"), "path");
    auto const total = what->total;
    auto const& etag = what->etag;
    bool const head_only = request.raw.method() == verb::head;
    auto const range = wanted_range(request, etag, total);
    std::uint64_t offset = 0;
    std::uint64_t length = total;
    if (range.is == range_choice::kind::part) {
      offset = range.offset;
      length = range.length;
    }
    bool const unmodified = not_modified(request, etag);
    bool const bodyless = head_only || unmodified || range.is == range_choice::kind::unsatisfiable;
    auto opened = co_await s.files.open(std::move(*file), variant, offset, bodyless ? 0 : length);
    if (!opened) co_return error_response(opened.error(), "path");
    api_response out;
    download_headers(out, *opened, variant);
    if (unmodified) {
      out.status = beast_http::status::not_modified;
      co_return out;
    }
    if (range.is == range_choice::kind::unsatisfiable) {
      out.status = beast_http::status::range_not_satisfiable;
      out.headers.emplace_back("Content-Range", "bytes */" + std::to_string(total));
      out.content_type = "application/json";
      out.body = R"({"detail":"Requested range not satisfiable"})";
      co_return out;
    }
    if (range.is == range_choice::kind::part) {
      out.status = beast_http::status::partial_content;
      out.headers.emplace_back("Content-Range", "bytes " + std::to_string(offset) + "-" +
                                                    std::to_string(offset + length - 1) + "/" +
                                                    std::to_string(total));
    }
    out.stream_length = length;
    if (opened->body) {
      out.stream = std::make_shared<blob_body>(std::move(opened->body));
    } else {
      // HEAD, or an empty file: the length is announced, no byte is read.
      struct nothing final : body_source {
        boost::asio::awaitable<outcome<std::size_t>> read(std::span<char>) override {
          co_return std::size_t{0};
        }
      };
      out.stream = std::make_shared<nothing>();
    }
    co_return out;
  };
}

// Reads the upload's bytes: the file part of a multipart form, or the raw body.
boost::asio::awaitable<outcome<file_record>> receive_upload(request_context& request, route_services& s,
                                                            user_id me) {
  auto const content_type = std::string(request.raw[beast_http::field::content_type]);
  auto boundary = form_data_boundary(content_type);
  if (boundary) {
    multipart_file_reader form(*request.body, *boundary);
    auto name = co_await form.open_file();
    if (!name) co_return name.error();
    upload_reader read = [&form](std::span<char> into) { return form.read(into); };
    co_return co_await s.files.upload(me, std::move(*name), std::move(read));
  }
  auto name = request.query_param("filename").value_or("file");
  upload_reader read = [&request](std::span<char> into) { return request.body->read(into); };
  co_return co_await s.files.upload(me, std::move(name), std::move(read));
}

}  // namespace

void add_file_routes(router& r, route_services& s) {
  auto const max_file_bytes = s.files.limits().max_file_bytes;
  body_limit const limit{static_cast<std::uint64_t>(max_file_bytes) + form_overhead_bytes,
                         file_too_large(max_file_bytes).detail};
  r.add_streaming(
      verb::post, "/api/v1/files", limit,
      authenticated(s.auth, "body", [&s](request_context& request, token_claims const& me) -> route_result {
        auto stored = co_await receive_upload(request, s, me.subject);
        if (!stored) co_return stored.error();
        file_scope const scope{file_scope::kind::owner, me.subject};
        co_return json_response(beast_http::status::created,
                                file_view(*stored, s.files.urls(), scope, s.files.now()));
      }));
  r.add(verb::get, "/api/v1/files/{file_id}", download(s, file_variant::original));
  r.add(verb::get, "/api/v1/files/{file_id}/thumbnail", download(s, file_variant::thumbnail));
}

}  // namespace windi::http
