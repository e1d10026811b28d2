// login: logins per second against a server at the default argon2id cost (OWASP: 19 MiB, t=2, p=1), next to
// what the cores could do at best: cores / (time of one hash at the same parameters, measured here with
// libsodium), and next to what the cores do hashing side by side. Login is meant to be expensive; the ratios
// show how much the server adds on top.
#include "frames.hpp"
#include "logins.hpp"
#include "population.hpp"
#include "scenarios.hpp"
#include "servers.hpp"

#include <sodium.h>

#include <algorithm>
#include <thread>

namespace windi::loadgen {

namespace {

constexpr unsigned long long default_opslimit = 2;
constexpr std::size_t default_memlimit = 19456u * 1024u;

void one_hash() {
  unsigned char key[32];
  unsigned char salt[crypto_pwhash_SALTBYTES] = {};
  char const password[] = "loadgen-password-1";
  if (crypto_pwhash(key, sizeof key, password, sizeof password - 1, salt, default_opslimit, default_memlimit,
                    crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("crypto_pwhash failed (out of memory?)");
  }
}

// The median of a few single hashes, in seconds.
double single_hash_seconds() {
  std::vector<double> times;
  for (int i = 0; i < 5; ++i) {
    auto const t0 = now_ns();
    one_hash();
    times.push_back(static_cast<double>(now_ns() - t0) / 1e9);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// Hashes per second with one hashing thread per core, all at once: argon2id is memory-hard, so hashes running
// side by side share the cache and memory bandwidth and each takes longer than one alone. A second reference
// beside the target's (cores / one hash), to tell the server's overhead from the machine's.
double parallel_hashes_per_second(unsigned cores) {
  constexpr int per_thread = 4;
  auto const t0 = now_ns();
  std::vector<std::thread> threads;
  for (unsigned i = 0; i < cores; ++i) {
    threads.emplace_back([] {
      for (int k = 0; k < per_thread; ++k) one_hash();
    });
  }
  for (auto& t : threads) t.join();
  return cores * per_thread / (static_cast<double>(now_ns() - t0) / 1e9);
}

}  // namespace

report run_login(common_options const& o, login_options const& l) {
  report out;
  out.scenario = "login";
  out.config = {{"users", l.users},     {"clients", l.clients},     {"seconds", l.seconds},
                {"backend", o.backend}, {"processes", o.processes}, {"client_threads", o.threads}};
  auto const hash = single_hash_seconds();
  auto const cores = std::max(1u, std::thread::hardware_concurrency());
  auto const parallel = parallel_hashes_per_second(cores);
  client_pool pool(o.threads);
  work_dir dir(o.keep_logs);
  auto servers = server_set::windi(o, dir, false);
  auto users =
      create_users(pool, servers.endpoint_for(0), static_cast<std::size_t>(std::max(1, l.users)), "log", 4);

  servers.mark();
  auto const start = now_ns();
  auto const stop = start + std::int64_t{l.seconds} * 1'000'000'000;
  auto loops = start_login_loops(pool, servers, users, l.clients, stop);
  auto const logins = wait_logins(loops);
  auto const seconds = static_cast<double>(now_ns() - start) / 1e9;
  auto const ideal = cores / hash;
  auto& r = out.section("windi");
  r["logins"] = logins;
  r["logins_per_second"] = rounded(static_cast<double>(logins) / seconds, 1);
  r["single_hash_ms"] = rounded(hash * 1000, 2);
  r["cores"] = cores;
  r["cores_over_hash_per_second"] = rounded(ideal, 1);
  r["ratio_to_ideal"] = rounded(static_cast<double>(logins) / seconds / ideal, 3);
  r["parallel_hashes_per_second"] = rounded(parallel, 1);
  r["ratio_to_parallel_hashes"] = rounded(static_cast<double>(logins) / seconds / parallel, 3);
  for (auto& [key, value] : servers.figures(seconds)) r[key] = value;
  return out;
}

}  // namespace windi::loadgen
