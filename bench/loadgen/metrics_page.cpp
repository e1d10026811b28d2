#include "metrics_page.hpp"

#include "client/http_client.hpp"

#include <charconv>
#include <stdexcept>

namespace windi::loadgen {

namespace asio = boost::asio;

namespace {

asio::awaitable<std::string> get_page(client::endpoint at) {
  client::http_client http(co_await asio::this_coro::executor, at, std::chrono::seconds(10));
  auto answer = co_await http.get("/metrics");
  if (answer.status != 200)
    throw std::runtime_error("GET /metrics on port " + std::to_string(at.port) + ": status " +
                             std::to_string(answer.status));
  co_return std::move(answer.text);
}

}  // namespace

std::string fetch_metrics(client_pool& pool, client::endpoint const& at) {
  return pool.spawn(0, get_page(at)).get();
}

std::optional<double> metric_value(std::string_view page, std::string_view name) {
  std::optional<double> sum;
  while (!page.empty()) {
    auto const end = page.find('\n');
    auto line = page.substr(0, end);
    page = end == std::string_view::npos ? std::string_view{} : page.substr(end + 1);
    // "name value" or "name{labels} value"; a longer name that starts with this one does not count.
    if (!line.starts_with(name) || line.size() == name.size()) continue;
    auto const after = line[name.size()];
    if (after != ' ' && after != '{') continue;
    auto const space = line.rfind(' ');
    double value = 0;
    auto const digits = line.substr(space + 1);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc()) continue;
    sum = sum.value_or(0) + value;
  }
  return sum;
}

}  // namespace windi::loadgen
