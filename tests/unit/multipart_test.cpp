#include "http/multipart.hpp"

#include "support/run_task.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

namespace windi::http {
namespace {

// A body that arrives `piece` bytes at a time, as a slow network would deliver it.
class chunked_body final : public body_reader {
 public:
  chunked_body(std::string bytes, std::size_t piece) : bytes_(std::move(bytes)), piece_(piece) {}
  boost::asio::awaitable<outcome<std::size_t>> read(std::span<char> into) override {
    auto const n = std::min({piece_, into.size(), bytes_.size() - at_});
    std::memcpy(into.data(), bytes_.data() + at_, n);
    at_ += n;
    co_return n;
  }
  std::uint64_t consumed() const override { return at_; }

 private:
  std::string bytes_;
  std::size_t piece_;
  std::size_t at_ = 0;
};

struct upload {
  std::string name;
  std::string content;
  std::string error;  // the failure's detail, when open_file or read failed
};

upload read_form(std::string const& body, std::string const& boundary, std::size_t piece) {
  boost::asio::io_context io;
  chunked_body source(body, piece);
  multipart_file_reader reader(source, boundary);
  return windi::testing::run_task(io, [&]() -> boost::asio::awaitable<upload> {
    upload out;
    auto name = co_await reader.open_file();
    if (!name) {
      out.error = name.error().detail;
      co_return out;
    }
    out.name = *name;
    char buffer[7];  // small on purpose: pieces never line up with the delimiter
    for (;;) {
      auto n = co_await reader.read(std::span<char>(buffer, sizeof buffer));
      if (!n) {
        out.error = n.error().detail;
        co_return out;
      }
      if (*n == 0) break;
      out.content.append(buffer, *n);
    }
    co_return out;
  }());
}

std::string const boundary = "----WebKitFormBoundaryX3vZ";

std::string form(std::string const& content, std::string const& disposition =
                                                 "form-data; name=\"file\"; "
                                                 "filename=\"cat.png\"") {
  return "preamble to ignore\r\n--" + boundary +
         "\r\nContent-Disposition: form-data; name=\"caption\"\r\n\r\nhello\r\n--" + boundary +
         "\r\nContent-Disposition: " + disposition + "\r\nContent-Type: image/png\r\n\r\n" + content +
         "\r\n--" + boundary + "--\r\n";
}

TEST(Multipart, FindsTheFilePartWhateverThePieceSize) {
  std::string content = "\x89PNG\r\n\x1a\n";
  content += "--" + boundary.substr(0, 10) + " almost a boundary \r\n-- and CRLFs\r\n\r\n";
  for (int i = 0; i < 2000; ++i) content += static_cast<char>(i * 7);
  for (std::size_t piece : {1, 2, 3, 5, 64, 4096, 1 << 20}) {
    auto got = read_form(form(content), boundary, piece);
    EXPECT_EQ(got.error, "") << piece;
    EXPECT_EQ(got.name, "cat.png") << piece;
    EXPECT_EQ(got.content, content) << piece;
  }
}

TEST(Multipart, AnEmptyFileIsEmpty) {
  auto got = read_form(form(""), boundary, 3);
  EXPECT_EQ(got.error, "");
  EXPECT_EQ(got.content, "");
}

TEST(Multipart, QuotedNamesKeepTheirEscapesAndUnicode) {
  auto got =
      read_form(form("x", "form-data; name=\"file\"; filename=\"my \\\"best\\\" фото.jpg\""), boundary, 5);
  EXPECT_EQ(got.name, "my \"best\" фото.jpg");
}

TEST(Multipart, AFormWithoutAFileSaysSo) {
  std::string body =
      "--" + boundary + "\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n--" + boundary + "--\r\n";
  EXPECT_EQ(read_form(body, boundary, 4).error, "The form holds no file");
}

TEST(Multipart, ATruncatedBodyIsMalformed) {
  auto whole = form("some bytes");
  EXPECT_EQ(read_form(whole.substr(0, whole.size() - 20), boundary, 4).error,
            "Malformed multipart body: the file part never ends");
  EXPECT_EQ(read_form("no boundary anywhere", boundary, 4).error,
            "Malformed multipart body: no closing boundary");
}

TEST(Multipart, TheBoundaryComesFromAFormDataTypeOnly) {
  EXPECT_EQ(form_data_boundary("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(form_data_boundary("Multipart/Form-Data; charset=utf-8; boundary=\"a b\""), "a b");
  EXPECT_EQ(form_data_boundary("multipart/mixed; boundary=abc"), std::nullopt);
  EXPECT_EQ(form_data_boundary("multipart/form-data"), std::nullopt);
  EXPECT_EQ(form_data_boundary("multipart/form-data; boundary=" + std::string(71, 'x')), std::nullopt);
  EXPECT_EQ(form_data_boundary("image/png"), std::nullopt);
}

}  // namespace
}  // namespace windi::http
