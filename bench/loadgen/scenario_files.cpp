// files: how fast files go up and come back, against copying a file on the same disk in the same run. The
// copy is what the server's own work comes down to (read, write, fsync, rename); the server adds HTTP,
// SHA-256, the type check and the database record. Each figure is the median of --rounds transfers of --mib
// MiB of random bytes (new bytes every round, so nothing is deduplicated).
#include "file_transfer.hpp"
#include "population.hpp"
#include "scenarios.hpp"
#include "servers.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <vector>

namespace windi::loadgen {

namespace json = boost::json;

namespace {

using clock_type = std::chrono::steady_clock;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() / 2];
}

std::shared_ptr<std::string const> random_bytes(std::size_t size) {
  std::string bytes(size, '\0');
  randombytes_buf(bytes.data(), bytes.size());
  return std::make_shared<std::string const>(std::move(bytes));
}

void write_all(int fd, char const* data, std::size_t size) {
  while (size > 0) {
    auto n = ::write(fd, data, size);
    if (n < 0) throw std::runtime_error("files: write failed");
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

// Copies `from` to `to` as the server stores a file: a new file written in pieces, synced, renamed into
// place.
void copy_like_the_server(std::string const& from, std::string const& to) {
  int in = ::open(from.c_str(), O_RDONLY | O_CLOEXEC);
  auto const part = to + ".part";
  int out = ::open(part.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (in < 0 || out < 0) throw std::runtime_error("files: cannot open the copy's files");
  std::vector<char> piece(64 * 1024);
  for (;;) {
    auto n = ::read(in, piece.data(), piece.size());
    if (n < 0) throw std::runtime_error("files: read failed");
    if (n == 0) break;
    write_all(out, piece.data(), static_cast<std::size_t>(n));
  }
  if (::fsync(out) != 0) throw std::runtime_error("files: fsync failed");
  ::close(out);
  ::close(in);
  std::filesystem::rename(part, to);
}

}  // namespace

report run_files(common_options const& o, files_options const& f) {
  report out;
  out.scenario = "files";
  out.config = {{"mib", f.mib}, {"rounds", f.rounds}, {"backend", o.backend}};
  if (f.mib < 1 || f.rounds < 1) throw std::runtime_error("files: --mib and --rounds must be at least 1");
  if (sodium_init() < 0) throw std::runtime_error("files: libsodium failed to start");
  auto const size = static_cast<std::size_t>(f.mib) << 20;
  auto const mib = static_cast<double>(f.mib);
  client_pool pool(1);
  work_dir dir(o.keep_logs);
  auto servers = server_set::windi(o, dir, true);
  auto const server = servers.endpoint_for(0);
  auto users = create_users(pool, server, 1, "files");
  auto const& token = users[0].token;
  auto executor = pool.at(0).get_executor();

  std::vector<double> copy, upload, download;
  for (int round = 0; round < f.rounds; ++round) {
    // The copy's source is written fresh each round, as an upload's bytes are.
    auto bytes = random_bytes(size);
    auto const source = dir.path() + "/copy-source";
    {
      int fd = ::open(source.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      write_all(fd, bytes->data(), bytes->size());
      ::close(fd);
    }
    auto started = clock_type::now();
    copy_like_the_server(source, dir.path() + "/copy-target");
    copy.push_back(mib / seconds_since(started));

    started = clock_type::now();
    auto id = pool.spawn(0, upload_file(executor, server, token, "bench.bin", bytes)).get();
    upload.push_back(mib / seconds_since(started));

    started = clock_type::now();
    auto got =
        pool.spawn(0, download_file(executor, server, "/api/v1/files/" + std::to_string(id), token)).get();
    download.push_back(mib / seconds_since(started));
    if (got != size) throw std::runtime_error("files: a download came back short");
  }

  auto& r = out.section("files");
  r["copy_mib_per_second"] = rounded(median(copy), 0);
  r["upload_mib_per_second"] = rounded(median(upload), 0);
  r["download_mib_per_second"] = rounded(median(download), 0);
  r["upload_over_copy"] = rounded(median(upload) / median(copy), 2);
  r["download_over_copy"] = rounded(median(download) / median(copy), 2);
  return out;
}

}  // namespace windi::loadgen
