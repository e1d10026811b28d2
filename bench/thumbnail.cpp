// windi-thumbnail-bench: what the server spends on one uploaded photo, off its I/O threads: cleaning it
// (EXIF orientation applied, metadata removed, re-encoded: media::sanitize_image) and its 320 px WebP
// thumbnail (media::make_thumbnail). The photo is a 12-megapixel JPEG (4000x3000) at quality 90 with some
// texture, as a phone writes one. Prints the median and the slowest of --rounds runs of each.
#include "media/images.hpp"

#include <vips/vips.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

// Smooth shapes plus a little noise: compresses like a photo (a few MB), not like pure noise.
void write_photo(std::string const& path, int width, int height) {
  VipsImage* sines = nullptr;
  VipsImage* noise = nullptr;
  if (vips_sines(&sines, width, height, "hfreq", 3.0, "vfreq", 2.0, nullptr) != 0 ||
      vips_gaussnoise(&noise, width, height, "mean", 0.0, "sigma", 12.0, nullptr) != 0)
    throw std::runtime_error(vips_error_buffer());
  VipsImage* scaled = nullptr;
  VipsImage* mixed = nullptr;
  vips_linear1(sines, &scaled, 100.0, 128.0, nullptr);
  vips_add(scaled, noise, &mixed, nullptr);
  VipsImage* shifted = nullptr;
  vips_linear1(mixed, &shifted, 0.8, 20.0, nullptr);
  VipsImage* bands[] = {mixed, shifted, scaled};
  VipsImage* rgb = nullptr;
  VipsImage* photo = nullptr;
  vips_bandjoin(bands, &rgb, 3, nullptr);
  vips_cast_uchar(rgb, &photo, nullptr);
  if (vips_jpegsave(photo, path.c_str(), "Q", 90, nullptr) != 0)
    throw std::runtime_error(vips_error_buffer());
  for (auto* image : {sines, noise, scaled, mixed, shifted, rgb, photo}) g_object_unref(image);
}

struct timing {
  double median_ms = 0;
  double max_ms = 0;
};

template <class Fn>
timing time_it(int rounds, Fn fn) {
  std::vector<double> ms;
  for (int i = 0; i < rounds; ++i) {
    auto started = clock_type::now();
    fn();
    ms.push_back(std::chrono::duration<double, std::milli>(clock_type::now() - started).count());
  }
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms.back()};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"windi-thumbnail-bench: time cleaning and thumbnailing a 12-megapixel JPEG"};
  int rounds = 7;
  cli.add_option("--rounds", rounds, "Runs of each step")->capture_default_str()->check(CLI::Range(1, 100));
  CLI11_PARSE(cli, argc, argv);
  try {
    windi::media::init_images();
    auto const dir =
        std::filesystem::temp_directory_path() / ("windi-thumbnail-bench-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto const photo = (dir / "photo.jpg").string();
    auto const clean = (dir / "clean.jpg").string();
    auto const thumbnail = (dir / "thumbnail.webp").string();
    write_photo(photo, 4000, 3000);
    auto const photo_bytes = std::filesystem::file_size(photo);
    auto cleaning = time_it(rounds, [&] {
      if (!windi::media::sanitize_image(photo, clean)) throw std::runtime_error("sanitize_image failed");
    });
    auto thumbnailing = time_it(rounds, [&] {
      if (!windi::media::make_thumbnail(clean, thumbnail)) throw std::runtime_error("make_thumbnail failed");
    });
    std::printf("photo                 4000x3000 JPEG, %.1f MB\n", static_cast<double>(photo_bytes) / 1e6);
    std::printf("clean (sanitize)      median %.0f ms, max %.0f ms\n", cleaning.median_ms, cleaning.max_ms);
    std::printf("thumbnail (320 WebP)  median %.0f ms, max %.0f ms, %.1f kB\n", thumbnailing.median_ms,
                thumbnailing.max_ms, static_cast<double>(std::filesystem::file_size(thumbnail)) / 1e3);
    std::printf("both                  median %.0f ms\n", cleaning.median_ms + thumbnailing.median_ms);
    std::filesystem::remove_all(dir);
  } catch (std::exception const& e) {
    std::fprintf(stderr, "windi-thumbnail-bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
