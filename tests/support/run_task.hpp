#pragma once
// Runs a coroutine to completion on a fresh io_context from a plain test body.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <chrono>
#include <stdexcept>

namespace windi::testing {

template <class T>
T run_task(boost::asio::io_context& io, boost::asio::awaitable<T> work) {
  auto future = boost::asio::co_spawn(io, std::move(work), boost::asio::use_future);
  io.restart();
  io.run_for(std::chrono::seconds(30));
  if (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
    throw std::runtime_error("run_task: the coroutine did not finish within 30 s");
  }
  return future.get();
}

}  // namespace windi::testing
