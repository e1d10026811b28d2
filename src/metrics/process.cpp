#include "metrics/process.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace windi::metrics {
namespace {

std::string read_file(char const* path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::optional<process_stat> read_self() {
  return parse_proc_stat(read_file("/proc/self/stat"), sysconf(_SC_CLK_TCK), sysconf(_SC_PAGESIZE));
}

// Seconds since the epoch at which the machine booted (/proc/stat's btime).
double boot_time() {
  std::istringstream in(read_file("/proc/stat"));
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime" && in >> value) return value;
    in.ignore(1 << 20, '\n');
  }
  return 0;
}

double open_fds() {
  std::error_code ec;
  double count = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) {
    ++count;
  }
  return count > 0 ? count - 1 : 0;  // minus the descriptor of the listing itself
}

double max_fds() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 0;
  return static_cast<double>(limit.rlim_cur);
}

}  // namespace

std::optional<process_stat> parse_proc_stat(std::string_view text, long ticks_per_second, long page_size) {
  // The command name (field 2) is in parentheses and may hold spaces or parentheses itself: the fields that
  // follow start after the last ')'. Field 3 (state) is then the first.
  auto close = text.rfind(')');
  if (close == std::string_view::npos || ticks_per_second <= 0) return std::nullopt;
  std::vector<std::string_view> fields;
  std::size_t at = close + 1;
  while (at < text.size()) {
    while (at < text.size() && (text[at] == ' ' || text[at] == '\n')) ++at;
    auto end = text.find_first_of(" \n", at);
    if (end == std::string_view::npos) end = text.size();
    if (end > at) fields.push_back(text.substr(at, end - at));
    at = end;
  }
  // Fields are numbered from 1 in proc(5); fields[0] is field 3.
  auto field = [&fields](std::size_t number, double& out) {
    if (number < 3 || number - 3 >= fields.size()) return false;
    auto f = fields[number - 3];
    long long value = 0;
    auto [end, ec] = std::from_chars(f.data(), f.data() + f.size(), value);
    out = static_cast<double>(value);
    return ec == std::errc{} && end == f.data() + f.size();
  };
  double utime = 0, stime = 0, start = 0, vsize = 0, rss = 0;
  if (!field(14, utime) || !field(15, stime) || !field(22, start) || !field(23, vsize) || !field(24, rss)) {
    return std::nullopt;
  }
  auto const ticks = static_cast<double>(ticks_per_second);
  return process_stat{(utime + stime) / ticks, start / ticks, vsize, rss * static_cast<double>(page_size)};
}

void add_process_metrics(registry& r) {
  r.add_counter_callback("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", [] {
    auto s = read_self();
    return s ? s->cpu_seconds : 0.0;
  });
  r.add_gauge_callback("process_resident_memory_bytes", "Resident memory size in bytes.", [] {
    auto s = read_self();
    return s ? s->resident_bytes : 0.0;
  });
  r.add_gauge_callback("process_virtual_memory_bytes", "Virtual memory size in bytes.", [] {
    auto s = read_self();
    return s ? s->virtual_bytes : 0.0;
  });
  r.add_gauge_callback("process_open_fds", "Number of open file descriptors.", [] { return open_fds(); });
  r.add_gauge_callback("process_max_fds", "Maximum number of open file descriptors.",
                       [] { return max_fds(); });
  // Fixed for the process's life: computed once.
  auto s = read_self();
  double const started = s ? boot_time() + s->start_seconds : 0.0;
  r.add_gauge_callback("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
                       [started] { return started; });
}

}  // namespace windi::metrics
