#pragma once
// A Redis Cluster of our own on loopback: three masters with one replica each, created with
// `redis-cli --cluster create`, as the cluster tests need it.
#include "contract/bus_support.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace windi::testing {

class redis_cluster {
 public:
  // Starts six nodes and joins them; throws when the cluster does not reach cluster_state:ok.
  redis_cluster();
  ~redis_cluster();
  redis_cluster(redis_cluster const&) = delete;
  redis_cluster& operator=(redis_cluster const&) = delete;

  std::vector<std::uint16_t> ports() const;
  // "redis://127.0.0.1:p1,redis://127.0.0.1:p2,..." (every node a seed).
  std::string urls() const;
  redis_process& node_at(std::uint16_t port);
  // The port of the master serving `slot` now, as the cluster's own CLUSTER NODES says; 0 for none.
  std::uint16_t master_for_slot(int slot) const;
  // Waits until every live node says cluster_state:ok and `slot` is served by a master other than
  // `not_port`. False when that does not happen within `timeout`.
  bool failed_over(int slot, std::uint16_t not_port, std::chrono::milliseconds timeout) const;
  // The one cluster a test binary shares, made on first use (the tests that kill nodes make their own).
  static redis_cluster& shared();

 private:
  std::filesystem::path dir_;
  std::vector<std::unique_ptr<redis_process>> nodes_;
};

// Runs redis-cli with these arguments; its standard output, or throws when it fails.
std::string redis_cli(std::vector<std::string> const& args);

}  // namespace windi::testing
