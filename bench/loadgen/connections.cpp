#include "connections.hpp"

#include "client/api.hpp"
#include "frames.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <thread>

namespace windi::loadgen {

namespace asio = boost::asio;

connection::connection(asio::any_io_executor executor, std::size_t thread_index, std::size_t index)
    : ws(executor),
      thread(thread_index),
      cmid_prefix("c" + std::to_string(index) + "-"),
      ack_tag("\"client_message_id\":\"" + cmid_prefix),
      wake(executor) {}

namespace {

struct open_job {
  std::vector<connect_target> const* targets = nullptr;
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> failures{0};
  std::atomic<std::size_t> failures_in_a_row{0};
  bool tolerate = false;
  std::vector<connection_ptr> opened;  // by target index; each slot written by one worker
  std::mutex error_mutex;
  std::string first_error;
};

asio::awaitable<void> open_worker(std::size_t thread, std::shared_ptr<open_job> job) {
  auto executor = co_await asio::this_coro::executor;
  auto const count = job->targets->size();
  for (auto i = job->next++; i < count; i = job->next++) {
    if (job->failures_in_a_row >= 200) co_return;
    auto const& target = (*job->targets)[i];
    auto c = std::make_shared<connection>(executor, thread, i);
    client::ws_options options;
    options.connect_timeout = std::chrono::seconds(30);
    options.socket.local_address = target.local_address;
    try {
      co_await c->ws.connect(target.server, target.path, options);
      job->opened[i] = c;
      job->failures_in_a_row = 0;
    } catch (std::exception const& e) {
      if (!job->tolerate) throw;
      ++job->failures;
      ++job->failures_in_a_row;
      std::lock_guard lock(job->error_mutex);
      if (job->first_error.empty()) job->first_error = e.what();
    }
  }
}

asio::awaitable<void> reader(connection_ptr c, std::shared_ptr<totals> counts, bool ceiling) {
  try {
    for (;;) {
      auto text = co_await c->ws.read();
      auto kind = classify(text, ceiling, c->ack_tag);
      if (kind == frame_kind::ack) {
        ++c->acked;
        counts->acks.fetch_add(1, std::memory_order_relaxed);
        c->wake.cancel();
        if (!ceiling) continue;  // the ceiling's echo is the ack and a delivery at once
      }
      if (kind == frame_kind::other) continue;
      auto const now = now_ns();
      c->last_delivery_ns = now;
      if (auto sent = sent_at_ns(text)) {
        for (auto& w : c->windows) {
          if (*sent >= w.from_ns && *sent < w.until_ns) {
            w.latencies_ns.push_back(now - *sent);
            break;
          }
        }
      }
      counts->deliveries.fetch_add(1, std::memory_order_relaxed);
    }
  } catch (std::exception const&) {
    // Closed: by us at the end of the run, or by the server (counted).
  }
  c->closed = true;
  c->wake.cancel();
  if (!counts->stopping) ++counts->dropped;
}

asio::awaitable<void> send_one(connection_ptr const& c, std::shared_ptr<totals> const& counts,
                               std::int64_t chat_id, std::int64_t stamp_ns) {
  auto text = timestamp_text(stamp_ns);
  if (c->more_text) c->more_text(text);
  auto frame = client::send_message_frame(chat_id, text, c->cmid_prefix + std::to_string(c->sent));
  ++c->sent;
  counts->sends.fetch_add(1, std::memory_order_relaxed);
  co_await c->ws.send(std::move(frame));
}

}  // namespace

open_result open_connections(client_pool& pool, std::vector<connect_target> const& targets,
                             std::size_t parallel, bool tolerate_failures) {
  auto job = std::make_shared<open_job>();
  job->targets = &targets;
  job->tolerate = tolerate_failures;
  job->opened.resize(targets.size());
  std::vector<std::future<void>> done;
  for (std::size_t w = 0; w < std::min(parallel, targets.size()); ++w) {
    done.push_back(pool.spawn(w, open_worker(w % pool.size(), job)));
  }
  wait_all(done);
  open_result out;
  for (auto& c : job->opened) {
    if (c) out.connections.push_back(std::move(c));
  }
  out.failures = job->failures;
  out.first_error = job->first_error;
  return out;
}

std::vector<std::future<void>> start_readers(client_pool& pool,
                                             std::vector<connection_ptr> const& connections,
                                             std::shared_ptr<totals> counts, bool ceiling) {
  std::vector<std::future<void>> out;
  out.reserve(connections.size());
  for (auto const& c : connections) out.push_back(pool.spawn(c->thread, reader(c, counts, ceiling)));
  return out;
}

asio::awaitable<void> windowed_sender(connection_ptr c, std::shared_ptr<totals> counts, std::int64_t chat_id,
                                      std::uint64_t window, std::uint64_t quota, std::int64_t stop_at_ns) {
  try {
    while (c->sent < quota && !c->closed && !counts->stopping) {
      if (stop_at_ns != 0 && now_ns() >= stop_at_ns) break;
      if (c->sent - c->acked >= window) {
        c->wake.expires_at(asio::steady_timer::time_point::max());
        boost::system::error_code woken;  // cancelled: an ack arrived
        co_await c->wake.async_wait(asio::redirect_error(asio::use_awaitable, woken));
        continue;
      }
      co_await send_one(c, counts, chat_id, now_ns());
    }
  } catch (std::exception const&) {
    // The connection went away; the reader counts that.
  }
}

asio::awaitable<void> paced_sender(connection_ptr c, std::shared_ptr<totals> counts, std::int64_t chat_id,
                                   std::int64_t period_ns, std::int64_t first_at_ns,
                                   std::int64_t stop_at_ns) {
  asio::steady_timer timer(c->ws.get_executor());
  try {
    for (auto due = first_at_ns; due < stop_at_ns && !c->closed && !counts->stopping; due += period_ns) {
      auto const wait = due - now_ns();
      if (wait > 0) {
        timer.expires_after(std::chrono::nanoseconds(wait));
        boost::system::error_code ignored;
        co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      }
      co_await send_one(c, counts, chat_id, due);
    }
  } catch (std::exception const&) {
    // As above.
  }
}

void close_all(client_pool& pool, std::vector<connection_ptr> const& connections,
               std::shared_ptr<totals> counts, std::vector<std::future<void>>& readers) {
  counts->stopping = true;
  for (auto const& c : connections) {
    asio::post(pool.at(c->thread), [c] {
      c->ws.close_now();
      c->wake.cancel();
    });
  }
  wait_all(readers);
}

std::vector<std::int64_t> gather_latencies(std::vector<connection_ptr> const& connections,
                                           std::size_t window) {
  std::vector<std::int64_t> out;
  for (auto const& c : connections) {
    auto const& recorded = c->windows.at(window).latencies_ns;
    out.insert(out.end(), recorded.begin(), recorded.end());
  }
  return out;
}

bool wait_until(std::function<bool()> const& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll) {
  auto const deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(poll);
  }
  return true;
}

}  // namespace windi::loadgen
