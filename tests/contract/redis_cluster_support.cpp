#include "contract/redis_cluster_support.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <array>
#include <cstdio>
#include <iterator>
#include <random>
#include <sstream>
#include <stdexcept>

namespace windi::testing {
namespace {

std::string quoted(std::string const& arg) {
  std::string out = "'";
  for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::string redis_cli(std::vector<std::string> const& args) {
  std::string command = "redis-cli";
  for (auto const& a : args) command += " " + quoted(a);
  command += " 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) throw std::runtime_error("cannot run redis-cli");
  std::string out;
  std::array<char, 4096> chunk{};
  while (auto n = std::fread(chunk.data(), 1, chunk.size(), pipe.get())) out.append(chunk.data(), n);
  if (::pclose(pipe.release()) != 0) throw std::runtime_error("redis-cli failed: " + out);
  return out;
}

redis_cluster::redis_cluster() {
  dir_ = std::filesystem::temp_directory_path() / ("windi-cluster-" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir_);
  for (int i = 0; i < 6; ++i) {
    // The cluster bus port is chosen too: the default (port + 10000) may be taken or out of range.
    nodes_.push_back(std::make_unique<redis_process>(std::vector<std::string>{
        "--cluster-enabled", "yes", "--cluster-config-file", (dir_ / "nodes-{port}.conf").string(),
        "--cluster-port", "{free_port}", "--cluster-node-timeout", "2000", "--dir", dir_.string(),
        // A master otherwise waits 5 s before it sends its replica the first copy of its data.
        "--repl-diskless-sync-delay", "0"}));
  }
  std::vector<std::string> create{"--cluster", "create"};
  for (auto port : ports()) create.push_back("127.0.0.1:" + std::to_string(port));
  create.insert(create.end(), {"--cluster-replicas", "1", "--cluster-yes"});
  redis_cli(create);
  bool ok = eventually(
      [&] {
        for (auto port : ports()) {
          auto info = redis_cli({"-p", std::to_string(port), "cluster", "info"});
          if (info.find("cluster_state:ok") == std::string::npos) return false;
          // A replica that never synced with its master refuses to replace it (its data are "too old").
          auto replication = redis_cli({"-p", std::to_string(port), "info", "replication"});
          if (replication.find("role:slave") != std::string::npos &&
              replication.find("master_link_status:up") == std::string::npos)
            return false;
        }
        return true;
      },
      30s);
  if (!ok)
    throw std::runtime_error("the Redis Cluster did not reach cluster_state:ok with every replica in sync");
}

redis_cluster::~redis_cluster() {
  nodes_.clear();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::vector<std::uint16_t> redis_cluster::ports() const {
  std::vector<std::uint16_t> out;
  for (auto const& n : nodes_) out.push_back(n->port());
  return out;
}

std::string redis_cluster::urls() const {
  std::string out;
  for (auto port : ports())
    out += (out.empty() ? "" : ",") + std::string("redis://127.0.0.1:") + std::to_string(port);
  return out;
}

std::uint16_t redis_cluster::master_for_slot(int slot) const {
  for (auto port : ports()) {
    std::string nodes;
    try {
      nodes = redis_cli({"-p", std::to_string(port), "cluster", "nodes"});
    } catch (std::exception const&) {
      continue;  // a node that is down
    }
    // <id> <ip:port@cport> <flags> <master> <ping> <pong> <epoch> <link> <slot ranges...>
    std::istringstream lines(nodes);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream fields(line);
      std::vector<std::string> f{std::istream_iterator<std::string>(fields), {}};
      if (f.size() < 9 || f[2].find("master") == std::string::npos || f[2].find("fail") != std::string::npos)
        continue;
      for (std::size_t i = 8; i < f.size(); ++i) {
        if (f[i].starts_with("[")) continue;  // a slot being migrated
        auto const dash = f[i].find('-');
        int const first = std::stoi(f[i].substr(0, dash));
        int const last = dash == std::string::npos ? first : std::stoi(f[i].substr(dash + 1));
        if (slot < first || slot > last) continue;
        auto const colon = f[1].find(':');
        auto const at = f[1].find('@');
        return static_cast<std::uint16_t>(std::stoi(f[1].substr(colon + 1, at - colon - 1)));
      }
    }
    // No answer from this node (it may be the one that died): ask the next.
  }
  return 0;
}

bool redis_cluster::failed_over(int slot, std::uint16_t not_port, std::chrono::milliseconds timeout) const {
  return eventually(
      [&] {
        auto const now = master_for_slot(slot);
        if (now == 0 || now == not_port) return false;
        auto info = redis_cli({"-p", std::to_string(now), "cluster", "info"});
        return info.find("cluster_state:ok") != std::string::npos;
      },
      timeout);
}

redis_cluster& redis_cluster::shared() {
  static redis_cluster cluster;
  return cluster;
}

redis_process& redis_cluster::node_at(std::uint16_t port) {
  for (auto& n : nodes_) {
    if (n->port() == port) return *n;
  }
  throw std::out_of_range("no cluster node on that port");
}

}  // namespace windi::testing
