#include "media/images.hpp"

#include <vips/vips.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <utility>

namespace windi::media {
namespace {

struct image_unref {
  void operator()(VipsImage* image) const { g_object_unref(image); }
};
using image_ptr = std::unique_ptr<VipsImage, image_unref>;

enum class image_format { jpeg, png, webp, gif };

// The text a client may see; libvips's own messages name server paths and go only into internal failures.
constexpr char const* not_an_image = "the file is not a JPEG, PNG, WebP or GIF image";

// Takes libvips's error text and clears it, so the next failure does not report this one too. The buffer is
// shared by all threads: under concurrent failures a message may carry another thread's text, which only
// ever reaches the logs.
std::string take_vips_error() {
  char* text = vips_error_buffer_copy();
  std::string message = text != nullptr ? text : "";
  g_free(text);
  return message;
}

// Judges the format by the file's bytes (libvips's is_a checks), never by its name.
std::optional<image_format> format_of(std::string const& path) {
  char const* loader = vips_foreign_find_load(path.c_str());
  if (loader == nullptr) {
    take_vips_error();
    return std::nullopt;
  }
  std::string_view const nickname = vips_nickname_find(g_type_from_name(loader));
  if (nickname == "jpegload") return image_format::jpeg;
  if (nickname == "pngload") return image_format::png;
  if (nickname == "webpload") return image_format::webp;
  if (nickname == "gifload") return image_format::gif;
  return std::nullopt;
}

// Reads the header only; pixels are decoded when an operation asks for them. fail_on makes a truncated or
// corrupt file an error instead of an image with a grey bottom. all_frames keeps every frame of an animated
// GIF or WebP, stacked vertically.
image_ptr open_image(std::string const& path, image_format format, VipsAccess access, bool all_frames) {
  VipsImage* image = nullptr;
  bool const animated = format == image_format::gif || format == image_format::webp;
  if (animated && all_frames) {
    image = vips_image_new_from_file(path.c_str(), "access", access, "fail_on", VIPS_FAIL_ON_ERROR, "n", -1,
                                     nullptr);
  } else {
    image = vips_image_new_from_file(path.c_str(), "access", access, "fail_on", VIPS_FAIL_ON_ERROR, nullptr);
  }
  if (image == nullptr) take_vips_error();
  return image_ptr{image};
}

bool too_many_pixels(VipsImage* image, std::uint64_t max_pixels) {
  auto const pixels = static_cast<std::uint64_t>(vips_image_get_width(image)) *
                      static_cast<std::uint64_t>(vips_image_get_height(image));
  return pixels > max_pixels;
}

// Whether every pixel of the file decodes. Only asked after a save failed, to tell a broken upload (the
// client's fault) from a disk that refused the output (ours).
bool decodes(std::string const& path, image_format format) {
  image_ptr image = open_image(path, format, VIPS_ACCESS_SEQUENTIAL, true);
  if (!image) return false;
  double average = 0;
  bool const ok = vips_avg(image.get(), &average, nullptr) == 0;
  if (!ok) take_vips_error();
  return ok;
}

failure save_failure(std::string const& in_path, std::string const& out_path, image_format format) {
  std::string const detail = take_vips_error();
  std::error_code ignored;
  std::filesystem::remove(out_path, ignored);  // never leave half an image behind
  if (!decodes(in_path, format)) return fail(errc::validation, not_an_image);
  return fail(errc::internal, "writing " + out_path + " failed: " + detail);
}

// Converts the pixels to sRGB with the embedded ICC profile, so dropping the profile keeps the colours.
// A profile lcms cannot read is ignored and the pixels are kept as they are.
image_ptr to_srgb(image_ptr image) {
  if (vips_image_get_typeof(image.get(), VIPS_META_ICC_NAME) == 0) return image;
  VipsImage* converted = nullptr;
  if (vips_icc_transform(image.get(), &converted, "srgb", "embedded", TRUE, nullptr) != 0) {
    take_vips_error();
    return image;
  }
  return image_ptr{converted};
}

// What an animation needs to stay one: its frames' height, count, delays and loop count.
bool is_animation_field(std::string_view field) {
  return field == "page-height" || field == "n-pages" || field == "delay" || field == "loop";
}

// A copy of the image without any metadata. The savers' strip option is not enough on its own: libvips
// 8.14.1's webpsave writes the EXIF block (GPS included) even with strip set. Without the fields it has only
// what it makes up itself (size, resolution, orientation 1).
image_ptr without_metadata(VipsImage* image) {
  VipsImage* copy = nullptr;
  if (vips_copy(image, &copy, nullptr) != 0) return image_ptr{};
  gchar** fields = vips_image_get_fields(copy);
  for (gchar** field = fields; *field != nullptr; ++field) {
    if (!is_animation_field(*field)) vips_image_remove(copy, *field);  // width, bands, ... are not removable
  }
  g_strfreev(fields);
  return image_ptr{copy};
}

int save(VipsImage* image, std::string const& out_path, image_format format) {
  image_ptr const bare = without_metadata(image);
  if (!bare) return -1;
  image = bare.get();
  // strip drops EXIF, XMP, IPTC, comments and the ICC profile.
  switch (format) {
    case image_format::jpeg:
      return vips_jpegsave(image, out_path.c_str(), "Q", 90, "strip", TRUE, nullptr);
    case image_format::png:
      return vips_pngsave(image, out_path.c_str(), "strip", TRUE, nullptr);
    case image_format::webp:
      return vips_webpsave(image, out_path.c_str(), "Q", 90, "strip", TRUE, nullptr);
    case image_format::gif:
      return vips_gifsave(image, out_path.c_str(), "strip", TRUE, nullptr);
  }
  return -1;
}

}  // namespace

void init_images() {
  static std::once_flag started;
  std::call_once(started, [] {
    if (VIPS_INIT("windi") != 0) throw std::runtime_error("libvips failed to start: " + take_vips_error());
    // One thread per image: the server's worker pool already spreads uploads over the cores, and a thumbnail
    // must not take all of them from the rest of the server.
    vips_concurrency_set(1);
    // Every upload is a new file processed once, so the operation cache would only hold memory and the file
    // descriptors of deleted uploads, and it is keyed by file name: a reused path would give the old image.
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);
    vips_cache_set_max_files(0);
    vips_operation_block_set("VipsForeignLoad", TRUE);
    for (char const* loader :
         {"VipsForeignLoadJpeg", "VipsForeignLoadPng", "VipsForeignLoadWebp", "VipsForeignLoadNsgif"}) {
      vips_operation_block_set(loader, FALSE);
    }
  });
}

std::optional<image_info> probe_image(std::string const& path) {
  init_images();
  auto const format = format_of(path);
  if (!format) return std::nullopt;
  image_ptr const image = open_image(path, *format, VIPS_ACCESS_SEQUENTIAL, false);
  if (!image) return std::nullopt;
  image_info info{vips_image_get_width(image.get()), vips_image_get_height(image.get())};
  if (vips_image_get_orientation_swap(image.get())) std::swap(info.width, info.height);
  return info;
}

outcome<image_info> sanitize_image(std::string const& in_path, std::string const& out_path,
                                   std::uint64_t max_pixels) {
  init_images();
  auto const format = format_of(in_path);
  if (!format) return fail(errc::validation, not_an_image);
  // Random access: turning a photo by 90 degrees reads its rows out of order. Opening still reads only the
  // header, so the pixel limit is checked before anything is decoded; with every frame of an animation, since
  // all of them are decoded.
  image_ptr image = open_image(in_path, *format, VIPS_ACCESS_RANDOM, true);
  if (!image) return fail(errc::validation, not_an_image);
  if (too_many_pixels(image.get(), max_pixels))
    return fail(errc::payload_too_large, "the image has too many pixels");

  image = to_srgb(std::move(image));
  // An animation's frames are stacked into one tall image, which must not be turned as a whole; GIF and
  // animated WebP carry no orientation anyway.
  if (vips_image_get_page_height(image.get()) == vips_image_get_height(image.get())) {
    VipsImage* rotated = nullptr;
    if (vips_autorot(image.get(), &rotated, nullptr) != 0) return save_failure(in_path, out_path, *format);
    image.reset(rotated);
  }
  if (save(image.get(), out_path, *format) != 0) return save_failure(in_path, out_path, *format);
  int const page_height = vips_image_get_page_height(image.get());
  return image_info{vips_image_get_width(image.get()), page_height};
}

outcome<image_info> make_thumbnail(std::string const& in_path, std::string const& out_path, int max_side,
                                   std::uint64_t max_pixels) {
  init_images();
  if (max_side <= 0) return fail(errc::internal, "a thumbnail needs a positive size");
  auto const format = format_of(in_path);
  if (!format) return fail(errc::validation, not_an_image);
  {
    // vips_thumbnail decodes the first frame only, at a reduced size where the format allows (JPEG, WebP).
    image_ptr const header = open_image(in_path, *format, VIPS_ACCESS_SEQUENTIAL, false);
    if (!header) return fail(errc::validation, not_an_image);
    if (too_many_pixels(header.get(), max_pixels)) {
      return fail(errc::payload_too_large, "the image has too many pixels");
    }
  }
  VipsImage* thumbnail = nullptr;
  // size DOWN: an image already smaller than max_side keeps its size. The orientation is applied unless
  // no_rotate is passed; the embedded profile, if any, is used to export sRGB.
  if (vips_thumbnail(in_path.c_str(), &thumbnail, max_side, "height", max_side, "size", VIPS_SIZE_DOWN,
                     "fail_on", VIPS_FAIL_ON_ERROR, nullptr) != 0) {
    take_vips_error();
    return fail(errc::validation, not_an_image);
  }
  image_ptr const image{thumbnail};
  image_ptr const bare = without_metadata(image.get());
  if (!bare || vips_webpsave(bare.get(), out_path.c_str(), "Q", 80, "strip", TRUE, nullptr) != 0) {
    return save_failure(in_path, out_path, *format);
  }
  return image_info{vips_image_get_width(image.get()), vips_image_get_height(image.get())};
}

}  // namespace windi::media
