#pragma once
// Decoding, cleaning and thumbnailing uploaded images with libvips.
//
// Everything here is blocking and CPU-heavy (a large photo takes tens to hundreds of milliseconds): callers
// run it off the I/O threads, on a worker pool (support/offload.hpp), never on an Asio I/O thread.
// The server calls init_images() once at start-up, before any other function here.
//
// Only JPEG, PNG, WebP and GIF are ever decoded: init_images() blocks libvips's other loaders (SVG, PDF,
// ImageMagick, ...), whose parsers are a much larger attack surface than a chat needs.
#include "core/error.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace windi::media {

// Decoded pixels cost memory (3-4 bytes each), so an image whose header claims more than this many is refused
// before its pixels are decoded: a few kilobytes of PNG can otherwise claim gigabytes (a decompression bomb).
// 100 megapixels is above any phone camera's photo.
inline constexpr std::uint64_t default_max_pixels = 100'000'000;

// The longer side of a thumbnail unless the caller asks for another.
inline constexpr int default_thumbnail_side = 320;

// Starts libvips once for the process; later calls do nothing. Thread-safe. Throws std::runtime_error when
// libvips cannot start, a start-up failure.
void init_images();

// The size an image is displayed at: after its EXIF orientation, so a 4000x3000 photo taken with the phone
// upright (orientation 6) is 3000x4000. For an animated GIF or WebP, the size of one frame.
struct image_info {
  int width = 0;
  int height = 0;
};

// Reads only the file's header: nullopt when it is not a JPEG, PNG, WebP or GIF libvips can open, whatever
// its name says. A header that parses does not prove the rest of the file does; sanitize_image decodes all.
std::optional<image_info> probe_image(std::string const& path);

// Writes a copy of the image at in_path to out_path in the same format, with its EXIF orientation applied to
// the pixels and every piece of metadata removed: EXIF (GPS position, camera serial, time), XMP, IPTC,
// comments, and the ICC profile too. The profile goes because it can carry device and vendor strings; the
// pixels are first converted to sRGB with it, so colours look the same. JPEG and WebP are re-encoded at
// quality 90, PNG losslessly, GIF (all frames) with libvips's cgif saver. Returns the displayed size.
// Fails with errc::validation when the input is not a decodable image (truncated, or not an image at all),
// errc::payload_too_large above max_pixels, errc::internal when the output cannot be written.
outcome<image_info> sanitize_image(std::string const& in_path, std::string const& out_path,
                                   std::uint64_t max_pixels = default_max_pixels);

// Writes a WebP thumbnail of the image at in_path to out_path: at most max_side pixels on its longer side,
// the aspect ratio kept, never upscaled, orientation applied, no metadata; the first frame of an animation.
// WebP rather than JPEG because it keeps a PNG's transparency (JPEG would flatten it onto black) and is
// smaller at the same quality; every browser we support displays it. Returns the thumbnail's size; fails as
// sanitize_image does.
outcome<image_info> make_thumbnail(std::string const& in_path, std::string const& out_path,
                                   int max_side = default_thumbnail_side,
                                   std::uint64_t max_pixels = default_max_pixels);

}  // namespace windi::media
