#pragma once
// What /proc says about a process: memory (VmRSS, VmHWM = peak RSS), CPU time (utime + stime) and open file
// descriptors.
#include <sys/types.h>

#include <cstdint>

namespace windi::loadgen {

struct proc_sample {
  std::int64_t rss_kib = 0;
  std::int64_t peak_rss_kib = 0;  // VmHWM: the high-water mark since the process started
  double cpu_seconds = 0;         // user + system
  std::int64_t open_fds = 0;      // entries of /proc/<pid>/fd
};

// Zeros when the process is gone.
proc_sample sample_process(pid_t pid);

}  // namespace windi::loadgen
