#include "proc_stats.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace windi::loadgen {

proc_sample sample_process(pid_t pid) {
  proc_sample out;
  std::string const dir = "/proc/" + std::to_string(pid);
  std::ifstream status(dir + "/status");
  for (std::string line; std::getline(status, line);) {
    std::istringstream fields(line);
    std::string key;
    std::int64_t kib = 0;
    fields >> key >> kib;
    if (key == "VmRSS:") out.rss_kib = kib;
    if (key == "VmHWM:") out.peak_rss_kib = kib;
  }
  std::error_code ec;
  for (std::filesystem::directory_iterator fd(dir + "/fd", ec), end; !ec && fd != end; fd.increment(ec))
    ++out.open_fds;
  std::ifstream stat(dir + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // The command name (field 2) may hold spaces and parentheses: count fields from the last ')'.
  auto close = text.rfind(')');
  if (close != std::string::npos) {
    std::istringstream fields(text.substr(close + 2));
    std::string skip;
    for (int i = 3; i < 14; ++i) fields >> skip;  // state .. cmajflt
    long long utime = 0;
    long long stime = 0;
    fields >> utime >> stime;
    out.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }
  return out;
}

}  // namespace windi::loadgen
