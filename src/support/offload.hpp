#pragma once
// Runs a blocking function on another executor (a thread pool, SQLite's thread) and resumes the awaiting
// coroutine on its own executor with the result. Exceptions thrown by the function are rethrown in the
// caller.
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

namespace windi {

// Takes the function by forwarding reference and is not a coroutine itself: GCC 12 bit-copies a lambda
// temporary passed by value from a coroutine, leaving its strings pointing into the caller's frame.
template <class Executor, class Fn>
auto offload(Executor worker, Fn&& fn) -> boost::asio::awaitable<std::invoke_result_t<std::decay_t<Fn>&>> {
  using function_type = std::decay_t<Fn>;
  using result_type = std::invoke_result_t<function_type&>;
  static_assert(!std::is_void_v<result_type>, "offload() needs a function that returns a value");
  auto job = std::make_shared<function_type>(std::forward<Fn>(fn));
  auto initiate = [worker, job](auto handler) {
    boost::asio::post(worker, [handler = std::move(handler), job]() mutable {
      std::exception_ptr error;
      std::optional<result_type> value;
      try {
        value.emplace((*job)());
      } catch (...) {
        error = std::current_exception();
      }
      auto home = boost::asio::get_associated_executor(handler);
      boost::asio::post(home, [handler = std::move(handler), error, value = std::move(value)]() mutable {
        if (error) {
          handler(error, result_type{});
        } else {
          handler(nullptr, std::move(*value));
        }
      });
    });
  };
  return boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                     void(std::exception_ptr, result_type)>(std::move(initiate),
                                                                            boost::asio::use_awaitable);
}

}  // namespace windi
