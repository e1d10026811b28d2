// windi-ceiling: the broadcast-only WebSocket server the load generator compares windi with (see
// broadcast_server.hpp). Prints "listening on http://HOST:PORT" like windi serve, runs until SIGINT/SIGTERM.
#include "broadcast_server.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/signal_set.hpp>

#include <atomic>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  CLI::App cli{"windi-ceiling: a broadcast-only WebSocket server, the transport ceiling for windi-loadgen"};
  std::string host = "127.0.0.1";
  int port = 0;
  int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  cli.add_option("--host", host, "Address to bind")->capture_default_str();
  cli.add_option("--port", port, "Port (0: any free port)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cli.add_option("--threads", threads, "I/O threads (default one per core, like windi serve)")
      ->check(CLI::Range(1, 256));
  CLI11_PARSE(cli, argc, argv);

  // One event loop per thread, like windi serve: a connection stays on the thread it was given.
  std::vector<std::unique_ptr<boost::asio::io_context>> loops;
  std::vector<boost::asio::any_io_executor> executors;
  for (int i = 0; i < threads; ++i) {
    loops.push_back(std::make_unique<boost::asio::io_context>(1));
    executors.push_back(loops.back()->get_executor());
  }
  auto& io = *loops.front();
  windi::ceiling::room everyone(executors);
  std::atomic<std::size_t> next{0};
  auto next_thread = [&] { return executors[next.fetch_add(1) % executors.size()]; };
  auto bound = windi::ceiling::listen(io, next_thread, everyone, host, static_cast<std::uint16_t>(port));
  std::cout << "listening on http://" << host << ":" << bound << " with " << threads << " I/O thread(s)"
            << std::endl;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&loops](boost::system::error_code, int) {
    for (auto& loop : loops) loop->stop();
  });
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> keep_running;
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) {
    keep_running.push_back(boost::asio::make_work_guard(*loops[static_cast<std::size_t>(i)]));
    pool.emplace_back([&loop = *loops[static_cast<std::size_t>(i)]] { loop.run(); });
  }
  io.run();
  for (auto& loop : loops) loop->stop();
  for (auto& t : pool) t.join();
  return 0;
}
