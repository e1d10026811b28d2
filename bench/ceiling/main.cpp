// windi-ceiling: the broadcast-only WebSocket server the load generator compares windi with (see
// broadcast_server.hpp). Prints "listening on http://HOST:PORT" like windi serve, runs until SIGINT/SIGTERM.
#include "broadcast_server.hpp"

#include <CLI/CLI.hpp>
#include <boost/asio/signal_set.hpp>

#include <iostream>
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

  boost::asio::io_context io(threads);
  windi::ceiling::room everyone;
  auto bound = windi::ceiling::listen(io, everyone, host, static_cast<std::uint16_t>(port));
  std::cout << "listening on http://" << host << ":" << bound << " with " << threads << " I/O thread(s)"
            << std::endl;
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&io](boost::system::error_code, int) { io.stop(); });
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : pool) t.join();
  return 0;
}
