#include "media/images.hpp"
#include "media/sniff.hpp"

#include <vips/vips.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

namespace windi::media {
namespace {

namespace fs = std::filesystem;

struct image_unref {
  void operator()(VipsImage* image) const { g_object_unref(image); }
};
using image_ptr = std::unique_ptr<VipsImage, image_unref>;

class MediaImages : public ::testing::Test {
 protected:
  void SetUp() override {
    init_images();
    std::random_device entropy;
    dir_ = fs::temp_directory_path() / ("windi-media-test-" + std::to_string(entropy()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  std::string path(std::string const& name) const { return (dir_ / name).string(); }

  // An image with some texture (noise), so that encoders write real scan data and truncating it hurts.
  static image_ptr noise(int width, int height) {
    VipsImage* noise = nullptr;
    EXPECT_EQ(vips_gaussnoise(&noise, width, height, "mean", 128.0, "sigma", 40.0, nullptr), 0);
    VipsImage* rgb = nullptr;
    VipsImage* bands[] = {noise, noise, noise};
    EXPECT_EQ(vips_bandjoin(bands, &rgb, 3, nullptr), 0);
    g_object_unref(noise);
    VipsImage* uchar = nullptr;
    EXPECT_EQ(vips_cast_uchar(rgb, &uchar, nullptr), 0);
    g_object_unref(rgb);
    return image_ptr{uchar};
  }

  // A phone photo: stored landscape, shown portrait (EXIF orientation 6), with a GPS position and a
  // description, in the format the name says. libvips 8.14's jpegsave writes these EXIF fields from the
  // image's metadata; pngsave and webpsave only copy an EXIF block read from a file, so they get the JPEG's.
  std::string write_phone_photo(std::string const& name, int width, int height) const {
    std::string const jpeg = write_phone_jpeg("source-" + name + ".jpg", width, height);
    if (name.ends_with(".jpg")) return jpeg;
    image_ptr const photo = read_back(jpeg);
    std::string const file = path(name);
    EXPECT_EQ(vips_image_write_to_file(photo.get(), file.c_str(), nullptr), 0);
    return file;
  }

  std::string write_phone_jpeg(std::string const& name, int width, int height) const {
    image_ptr image = noise(width, height);
    vips_image_set_int(image.get(), VIPS_META_ORIENTATION, 6);
    vips_image_set_string(image.get(), "exif-ifd0-ImageDescription", "front door of my home");
    vips_image_set_string(image.get(), "exif-ifd3-GPSLatitudeRef", "N");
    vips_image_set_string(image.get(), "exif-ifd3-GPSLatitude", "52/1 30/1 1234/100");
    vips_image_set_string(image.get(), "exif-ifd3-GPSLongitudeRef", "E");
    vips_image_set_string(image.get(), "exif-ifd3-GPSLongitude", "13/1 24/1 0/1");
    std::string const file = path(name);
    EXPECT_EQ(vips_jpegsave(image.get(), file.c_str(), "Q", 90, nullptr), 0);
    return file;
  }

  std::string write_image(std::string const& name, int width, int height) const {
    image_ptr const image = noise(width, height);
    std::string const file = path(name);
    EXPECT_EQ(vips_image_write_to_file(image.get(), file.c_str(), nullptr), 0);
    return file;
  }

  std::string write_text(std::string const& name, std::string const& text) const {
    std::string const file = path(name);
    std::ofstream(file, std::ios::binary) << text;
    return file;
  }

  static image_ptr read_back(std::string const& file) {
    return image_ptr{vips_image_new_from_file(file.c_str(), nullptr)};
  }

  static bool has_field(VipsImage* image, char const* name) {
    return vips_image_get_typeof(image, name) != 0;
  }

  static std::string file_head(std::string const& file) {
    std::ifstream in(file, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  fs::path dir_;
};

TEST_F(MediaImages, TheTestPhotoReallyCarriesOrientationAndGps) {
  image_ptr const photo = read_back(write_phone_photo("photo.jpg", 400, 300));
  ASSERT_TRUE(photo);
  EXPECT_EQ(vips_image_get_orientation(photo.get()), 6);
  EXPECT_TRUE(has_field(photo.get(), VIPS_META_EXIF_NAME));
  EXPECT_TRUE(has_field(photo.get(), "exif-ifd3-GPSLatitude"));
  EXPECT_TRUE(has_field(photo.get(), "exif-ifd3-GPSLongitude"));
  EXPECT_TRUE(has_field(photo.get(), "exif-ifd0-ImageDescription"));
}

TEST_F(MediaImages, ProbeReportsTheSizeAPhotoIsShownAt) {
  auto const info = probe_image(write_phone_photo("photo.jpg", 400, 300));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->width, 300);
  EXPECT_EQ(info->height, 400);

  auto const plain = probe_image(write_image("plain.png", 64, 48));
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->width, 64);
  EXPECT_EQ(plain->height, 48);
}

TEST_F(MediaImages, ASanitizedPhotoIsUprightAndCarriesNoExifOrGps) {
  std::string const in = write_phone_photo("photo.jpg", 400, 300);
  std::string const out = path("clean.jpg");
  auto const result = sanitize_image(in, out);
  ASSERT_TRUE(result) << result.error().detail;
  EXPECT_EQ(result->width, 300);
  EXPECT_EQ(result->height, 400);

  image_ptr const clean = read_back(out);
  ASSERT_TRUE(clean);
  EXPECT_EQ(vips_image_get_width(clean.get()), 300);
  EXPECT_EQ(vips_image_get_height(clean.get()), 400);
  EXPECT_EQ(vips_image_get_orientation(clean.get()), 1);
  for (char const* field : {VIPS_META_EXIF_NAME, VIPS_META_XMP_NAME, VIPS_META_IPTC_NAME, VIPS_META_ICC_NAME,
                            "exif-ifd3-GPSLatitude", "exif-ifd0-ImageDescription"}) {
    EXPECT_FALSE(has_field(clean.get(), field)) << field;
  }
  EXPECT_EQ(file_head(out).find("front door"), std::string::npos);
  EXPECT_EQ(sniff_content_type(file_head(out)), "image/jpeg");
}

TEST_F(MediaImages, PngAndWebpPhotosLoseTheirGpsToo) {
  for (char const* name : {"photo.png", "photo.webp"}) {
    std::string const in = write_phone_photo(name, 400, 300);
    image_ptr const photo = read_back(in);
    ASSERT_TRUE(photo) << name;
    ASSERT_TRUE(has_field(photo.get(), "exif-ifd3-GPSLatitude")) << name;
    ASSERT_EQ(vips_image_get_orientation(photo.get()), 6) << name;

    std::string const out = path(std::string("clean-") + name);
    auto const result = sanitize_image(in, out);
    ASSERT_TRUE(result) << name << ": " << result.error().detail;
    EXPECT_EQ(result->width, 300) << name;
    EXPECT_EQ(result->height, 400) << name;
    image_ptr const clean = read_back(out);
    ASSERT_TRUE(clean) << name;
    EXPECT_EQ(vips_image_get_width(clean.get()), 300) << name;
    EXPECT_LE(vips_image_get_orientation(clean.get()), 1) << name;
    EXPECT_FALSE(has_field(clean.get(), "exif-ifd3-GPSLatitude")) << name;
    EXPECT_FALSE(has_field(clean.get(), "exif-ifd0-ImageDescription")) << name;
    EXPECT_EQ(file_head(out).find("front door"), std::string::npos) << name;
  }
}

TEST_F(MediaImages, ASanitizedImageKeepsItsFormat) {
  struct sample {
    char const* name;
    char const* type;
  };
  for (auto const& [name, type] :
       {sample{"in.png", "image/png"}, sample{"in.webp", "image/webp"}, sample{"in.gif", "image/gif"}}) {
    std::string const in = write_image(name, 90, 60);
    // The output's name says nothing: the format follows the input's bytes.
    std::string const out = path(std::string("clean-") + name + ".bin");
    auto const result = sanitize_image(in, out);
    ASSERT_TRUE(result) << name << ": " << result.error().detail;
    EXPECT_EQ(result->width, 90) << name;
    EXPECT_EQ(result->height, 60) << name;
    EXPECT_EQ(sniff_content_type(file_head(out)), type) << name;
    image_ptr const clean = read_back(out);
    ASSERT_TRUE(clean) << name;
    EXPECT_FALSE(has_field(clean.get(), VIPS_META_XMP_NAME)) << name;
    EXPECT_FALSE(has_field(clean.get(), VIPS_META_ICC_NAME)) << name;
  }
}

TEST_F(MediaImages, AnAnimatedGifKeepsItsFrames) {
  image_ptr const frames = noise(40, 3 * 30);  // three 40x30 frames, stacked
  vips_image_set_int(frames.get(), "page-height", 30);
  vips_image_set_int(frames.get(), "loop", 0);
  std::string const in = path("animated.gif");
  ASSERT_EQ(vips_gifsave(frames.get(), in.c_str(), nullptr), 0);

  auto const info = probe_image(in);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->width, 40);
  EXPECT_EQ(info->height, 30);

  std::string const out = path("clean.gif");
  auto const result = sanitize_image(in, out);
  ASSERT_TRUE(result) << result.error().detail;
  EXPECT_EQ(result->width, 40);
  EXPECT_EQ(result->height, 30);
  image_ptr const clean{vips_image_new_from_file(out.c_str(), "n", -1, nullptr)};
  ASSERT_TRUE(clean);
  EXPECT_EQ(vips_image_get_n_pages(clean.get()), 3);
  EXPECT_EQ(vips_image_get_page_height(clean.get()), 30);
}

TEST_F(MediaImages, AThumbnailFitsTheBoxKeepsTheShapeAndStandsUpright) {
  std::string const in = write_phone_photo("photo.jpg", 1200, 800);  // shown as 800x1200
  std::string const out = path("thumb.webp");
  auto const result = make_thumbnail(in, out);
  ASSERT_TRUE(result) << result.error().detail;
  EXPECT_EQ(result->height, 320);
  EXPECT_NEAR(result->width, 320 * 800 / 1200, 1);

  image_ptr const thumb = read_back(out);
  ASSERT_TRUE(thumb);
  EXPECT_EQ(vips_image_get_width(thumb.get()), result->width);
  EXPECT_EQ(vips_image_get_height(thumb.get()), result->height);
  // libvips 8.14.1 always gives a WebP an EXIF block of its own making (size, resolution, orientation 1);
  // nothing of the photo's may be in it.
  EXPECT_LE(vips_image_get_orientation(thumb.get()), 1);
  for (char const* field : {"exif-ifd3-GPSLatitude", "exif-ifd3-GPSLongitude", "exif-ifd0-ImageDescription",
                            VIPS_META_XMP_NAME, VIPS_META_ICC_NAME}) {
    EXPECT_FALSE(has_field(thumb.get(), field)) << field;
  }
  EXPECT_EQ(file_head(out).find("front door"), std::string::npos);
  EXPECT_EQ(sniff_content_type(file_head(out)), "image/webp");

  auto const small_box = make_thumbnail(in, path("thumb-64.webp"), 64);
  ASSERT_TRUE(small_box) << small_box.error().detail;
  EXPECT_EQ(std::max(small_box->width, small_box->height), 64);
}

TEST_F(MediaImages, ASmallImageIsNotUpscaledIntoAThumbnail) {
  auto const result = make_thumbnail(write_image("small.png", 100, 50), path("thumb.webp"));
  ASSERT_TRUE(result) << result.error().detail;
  EXPECT_EQ(result->width, 100);
  EXPECT_EQ(result->height, 50);
}

TEST_F(MediaImages, ATruncatedJpegIsRefusedNotHalfShown) {
  std::string const whole = file_head(write_phone_photo("photo.jpg", 800, 600));
  std::string const in = write_text("truncated.jpg", whole.substr(0, whole.size() / 2));

  auto const clean = sanitize_image(in, path("clean.jpg"));
  ASSERT_FALSE(clean);
  EXPECT_EQ(clean.error().code, errc::validation);
  EXPECT_FALSE(fs::exists(path("clean.jpg")));

  auto const thumb = make_thumbnail(in, path("thumb.webp"));
  ASSERT_FALSE(thumb);
  EXPECT_EQ(thumb.error().code, errc::validation);

  // Probing reads the header only, which is intact; cut into the header and there is nothing to probe.
  EXPECT_FALSE(probe_image(write_text("stub.jpg", whole.substr(0, 20))));
}

TEST_F(MediaImages, FilesThatAreNotImagesAreRefusedWhateverTheirName) {
  std::string const svg =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"><script>alert(1)</script></svg>";
  for (std::string const& in : {write_text("notes.txt", "just some text\n"),
                                write_text("cat.jpg", "<html><script>alert(1)</script></html>"),
                                write_text("drawing.png", svg), write_text("empty.gif", "")}) {
    EXPECT_FALSE(probe_image(in)) << in;
    auto const clean = sanitize_image(in, path("out"));
    ASSERT_FALSE(clean) << in;
    EXPECT_EQ(clean.error().code, errc::validation) << in;
    auto const thumb = make_thumbnail(in, path("out"));
    ASSERT_FALSE(thumb) << in;
    EXPECT_EQ(thumb.error().code, errc::validation) << in;
    EXPECT_FALSE(fs::exists(path("out"))) << in;
  }
}

TEST_F(MediaImages, AnImageWithTooManyPixelsIsRefusedBeforeDecoding) {
  std::string const in = write_image("big.png", 400, 300);
  auto const clean = sanitize_image(in, path("clean.png"), 400 * 300 - 1);
  ASSERT_FALSE(clean);
  EXPECT_EQ(clean.error().code, errc::payload_too_large);
  auto const thumb = make_thumbnail(in, path("thumb.webp"), 320, 400 * 300 - 1);
  ASSERT_FALSE(thumb);
  EXPECT_EQ(thumb.error().code, errc::payload_too_large);
  EXPECT_FALSE(fs::exists(path("clean.png")));
  EXPECT_FALSE(fs::exists(path("thumb.webp")));
  EXPECT_TRUE(sanitize_image(in, path("clean.png"), 400 * 300));
}

TEST_F(MediaImages, ATinyPngClaimingAGiganticCanvasIsABomb) {
  // 11000x10000 black pixels compress to a few hundred kilobytes but would decode to 110 megapixels.
  VipsImage* black = nullptr;
  ASSERT_EQ(vips_black(&black, 11000, 10000, nullptr), 0);
  image_ptr const canvas{black};
  std::string const in = path("bomb.png");
  ASSERT_EQ(vips_pngsave(canvas.get(), in.c_str(), "compression", 9, nullptr), 0);
  EXPECT_LT(fs::file_size(in), 1'000'000u);
  auto const clean = sanitize_image(in, path("clean.png"));
  ASSERT_FALSE(clean);
  EXPECT_EQ(clean.error().code, errc::payload_too_large);
  auto const thumb = make_thumbnail(in, path("thumb.webp"));
  ASSERT_FALSE(thumb);
  EXPECT_EQ(thumb.error().code, errc::payload_too_large);
}

}  // namespace
}  // namespace windi::media
