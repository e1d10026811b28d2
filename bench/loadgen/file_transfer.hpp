#pragma once
// Uploads and downloads of files over plain HTTP, for the benchmarks: an upload sends raw bytes; a download
// reads the body through a small buffer it drops, so the figure is the server's, not this client's copying.
#include "client/endpoint.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace windi::loadgen {

// POST /api/v1/files with `bytes` as the raw body; the new file's id. Throws on any answer but 201.
boost::asio::awaitable<std::int64_t> upload_file(boost::asio::any_io_executor executor,
                                                 client::endpoint server, std::string token, std::string name,
                                                 std::shared_ptr<std::string const> bytes);

// GET `target` (with the bearer token) once on a new connection; the body's size. Throws unless 200.
boost::asio::awaitable<std::uint64_t> download_file(boost::asio::any_io_executor executor,
                                                    client::endpoint server, std::string target,
                                                    std::string token);

struct download_totals {
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<std::uint64_t> files{0};
  std::atomic<std::uint64_t> failures{0};
};

// Downloads `target` over and over on one keep-alive connection, from start_at_ns until stop_at_ns; with
// bytes_per_second > 0, no faster than that (through a small receive buffer, so that the server's sending
// follows the pace rather than filling a large window at once).
boost::asio::awaitable<void> download_loop(boost::asio::any_io_executor executor, client::endpoint server,
                                           std::string target, std::string token,
                                           std::shared_ptr<download_totals> totals, std::int64_t start_at_ns,
                                           std::int64_t stop_at_ns, std::uint64_t bytes_per_second = 0);

}  // namespace windi::loadgen
