#pragma once
// The standard process metrics (process_cpu_seconds_total, process_resident_memory_bytes, ...), read from
// /proc/self at scrape time, so nothing runs between scrapes.
#include "metrics/registry.hpp"

#include <optional>
#include <string_view>

namespace windi::metrics {

void add_process_metrics(registry& r);

// What /proc/self/stat says, parsed; public for tests.
struct process_stat {
  double cpu_seconds = 0;    // user + system
  double start_seconds = 0;  // since the boot, add the boot time for a Unix time
  double virtual_bytes = 0;
  double resident_bytes = 0;
};
std::optional<process_stat> parse_proc_stat(std::string_view text, long ticks_per_second, long page_size);

}  // namespace windi::metrics
