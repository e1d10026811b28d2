#pragma once
// What a client of a Redis Cluster must know by itself (hiredis has no cluster support): which of the 16384
// slots a key or channel belongs to, which master serves each slot (from CLUSTER SLOTS), and where a MOVED or
// ASK error sends a command instead. No I/O here: the callers own the connections.
#include "bus/redis_connection.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace windi::redis::cluster {

inline constexpr int slot_count = 16384;

// The part of a key that picks its slot: what is inside the first "{...}" when that is not empty, else the
// whole key. Keys that must sit together (one script touches them all) share such a hash tag.
std::string_view hash_part(std::string_view key);
// CRC16 (XMODEM) of the hash part, modulo 16384: the same slot Redis computes (CLUSTER KEYSLOT).
int key_slot(std::string_view key);

struct node {
  std::string host;
  std::uint16_t port = 0;
  bool operator==(node const&) const = default;
};

// "MOVED 3999 127.0.0.1:6381": the slot lives on that node now; "ASK ...": for this one command only, during
// a slot migration (send ASKING first).
struct redirect {
  enum class kind { moved, ask };
  kind type = kind::moved;
  int slot = 0;
  node to;
};
// nullopt for any other error text.
std::optional<redirect> parse_redirect(std::string_view error);

// The master serving each slot.
class slot_map {
 public:
  // From the reply to CLUSTER SLOTS sent to `asked` (a node that announces no address of its own is reached
  // at the address it was asked on). nullopt when the reply is not a CLUSTER SLOTS reply.
  static std::optional<slot_map> from_cluster_slots(reply const& answer, node const& asked);

  // Every slot on one node: a single Redis that is not a cluster.
  static slot_map single(node const& only);

  // nullopt for a slot no master serves (the cluster is incomplete).
  std::optional<node> master_for(int slot) const;
  std::optional<node> master_for_key(std::string_view key) const { return master_for(key_slot(key)); }
  // A MOVED reply: the slot is served elsewhere from now on.
  void moved(int slot, node const& to);
  // Every master that serves at least one slot, each once.
  std::vector<node> masters() const;
  // Slots served by some master.
  int covered() const;
  bool operator==(slot_map const&) const = default;

 private:
  static constexpr std::uint16_t none = 0xffff;
  std::uint16_t index_of(node const& n);
  std::vector<std::uint16_t> owner_ = std::vector<std::uint16_t>(slot_count, none);
  std::vector<node> nodes_;
};

}  // namespace windi::redis::cluster
