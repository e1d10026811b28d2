#include "media/images.hpp"
#include "media/sniff.hpp"

#include <vips/vips.h>

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <thread>
#include <vector>

namespace windi::media {
namespace {

// A real, small image encoded by libvips in memory; suffix picks the format (".png", ".jpg", ...).
std::string encoded_image(char const* suffix) {
  init_images();
  VipsImage* black = nullptr;
  if (vips_black(&black, 32, 24, "bands", 3, nullptr) != 0) return {};
  void* buffer = nullptr;
  size_t length = 0;
  int const status = vips_image_write_to_buffer(black, suffix, &buffer, &length, nullptr);
  g_object_unref(black);
  if (status != 0) return {};
  std::string bytes(static_cast<char const*>(buffer), length);
  g_free(buffer);
  return bytes;
}

TEST(MediaSniff, RecognisesRealImagesByTheirBytes) {
  struct sample {
    char const* suffix;
    char const* type;
  };
  for (auto const& [suffix, type] : {sample{".png", "image/png"}, sample{".jpg", "image/jpeg"},
                                     sample{".gif", "image/gif"}, sample{".webp", "image/webp"}}) {
    std::string const bytes = encoded_image(suffix);
    ASSERT_FALSE(bytes.empty()) << suffix;
    EXPECT_EQ(sniff_content_type(bytes), type) << suffix;
    EXPECT_TRUE(is_inline_image(sniff_content_type(bytes))) << suffix;
  }
}

TEST(MediaSniff, AnHtmlPageUploadedAsAPngIsStillHtml) {
  // The client's claim (file name "cat.png", Content-Type image/png) never reaches the sniffer: only bytes
  // do.
  std::string const page = "<html><script>alert(1)</script></html>";
  EXPECT_EQ(sniff_content_type(page), "text/html");
  EXPECT_FALSE(is_inline_image(sniff_content_type(page)));
}

TEST(MediaSniff, AnSvgWithAScriptIsNeverShownInline) {
  std::string const svg =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\">"
      "<script>alert(1)</script></svg>\n";
  EXPECT_EQ(sniff_content_type(svg), "image/svg+xml");
  EXPECT_FALSE(is_inline_image(sniff_content_type(svg)));
}

TEST(MediaSniff, APdfIsADownload) {
  std::string const pdf = "%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n";
  EXPECT_EQ(sniff_content_type(pdf), "application/pdf");
  EXPECT_FALSE(is_inline_image(sniff_content_type(pdf)));
}

TEST(MediaSniff, RandomBytesAndEmptyFilesAreOpaqueData) {
  std::mt19937 generator(42);
  std::uniform_int_distribution<int> byte(0, 255);
  std::string noise(4096, '\0');
  for (char& c : noise) c = static_cast<char>(byte(generator));
  EXPECT_EQ(sniff_content_type(noise), "application/octet-stream");
  EXPECT_FALSE(is_inline_image(sniff_content_type(noise)));
  EXPECT_EQ(sniff_content_type(""), "application/octet-stream");
  EXPECT_FALSE(is_inline_image(sniff_content_type("")));
}

TEST(MediaSniff, OnlyJpegPngGifAndWebpAreInlineImages) {
  for (char const* type : {"image/jpeg", "image/png", "image/gif", "image/webp"}) {
    EXPECT_TRUE(is_inline_image(type)) << type;
  }
  for (char const* type : {"image/svg+xml", "text/html", "application/xhtml+xml", "text/xml", "image/bmp",
                           "image/tiff", "image/x-icon", "application/octet-stream", "IMAGE/PNG",
                           "image/png; charset=binary", " image/png", "image/", ""}) {
    EXPECT_FALSE(is_inline_image(type)) << type;
  }
}

TEST(MediaSniff, ThreadsSniffingAtOnceEachGetTheRightAnswer) {
  std::string const png = encoded_image(".png");
  std::string const page = "<html><body>hello</body></html>";
  std::vector<std::thread> threads;
  std::vector<int> wrong(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        if (sniff_content_type(png) != "image/png") ++wrong[t];
        if (sniff_content_type(page) != "text/html") ++wrong[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(wrong[t], 0) << "thread " << t;
}

}  // namespace
}  // namespace windi::media
