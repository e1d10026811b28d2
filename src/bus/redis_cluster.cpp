#include "bus/redis_cluster.hpp"

#include <boost/crc.hpp>

#include <algorithm>
#include <charconv>

namespace windi::redis::cluster {

std::string_view hash_part(std::string_view key) {
  auto const open = key.find('{');
  if (open == std::string_view::npos) return key;
  auto const close = key.find('}', open + 1);
  if (close == std::string_view::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

int key_slot(std::string_view key) {
  // CRC-16/XMODEM: polynomial 0x1021, initial value 0, no reflection, no final xor (the Redis Cluster spec).
  boost::crc_optimal<16, 0x1021, 0, 0, false, false> crc;
  auto const part = hash_part(key);
  crc.process_bytes(part.data(), part.size());
  return crc.checksum() & (slot_count - 1);
}

namespace {

template <class Int>
std::optional<Int> number(std::string_view text) {
  Int value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// "host:port", the host possibly an IPv6 address with colons of its own.
std::optional<node> parse_node(std::string_view text) {
  auto const colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  auto port = number<std::uint16_t>(text.substr(colon + 1));
  if (!port || *port == 0) return std::nullopt;
  return node{std::string(text.substr(0, colon)), *port};
}

}  // namespace

std::optional<redirect> parse_redirect(std::string_view error) {
  redirect out;
  if (error.starts_with("MOVED ")) {
    out.type = redirect::kind::moved;
    error.remove_prefix(6);
  } else if (error.starts_with("ASK ")) {
    out.type = redirect::kind::ask;
    error.remove_prefix(4);
  } else {
    return std::nullopt;
  }
  auto const space = error.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  auto slot = number<int>(error.substr(0, space));
  auto to = parse_node(error.substr(space + 1));
  if (!slot || *slot < 0 || *slot >= slot_count || !to) return std::nullopt;
  out.slot = *slot;
  out.to = std::move(*to);
  return out;
}

std::uint16_t slot_map::index_of(node const& n) {
  auto found = std::find(nodes_.begin(), nodes_.end(), n);
  if (found != nodes_.end()) return static_cast<std::uint16_t>(found - nodes_.begin());
  nodes_.push_back(n);
  return static_cast<std::uint16_t>(nodes_.size() - 1);
}

std::optional<slot_map> slot_map::from_cluster_slots(reply const& answer, node const& asked) {
  if (answer.type != reply::kind::array) return std::nullopt;
  slot_map map;
  for (auto const& range : answer.elements) {
    // [first slot, last slot, [host, port, id, ...] of the master, then the replicas]
    if (range.type != reply::kind::array || range.elements.size() < 3) return std::nullopt;
    auto const& first = range.elements[0];
    auto const& last = range.elements[1];
    auto const& master = range.elements[2];
    if (first.type != reply::kind::integer || last.type != reply::kind::integer) return std::nullopt;
    if (first.integer < 0 || last.integer >= slot_count || first.integer > last.integer) return std::nullopt;
    if (master.type != reply::kind::array || master.elements.size() < 2) return std::nullopt;
    auto const& host = master.elements[0];
    auto const& port = master.elements[1];
    if (host.type != reply::kind::string || port.type != reply::kind::integer) return std::nullopt;
    if (port.integer <= 0 || port.integer > 65535) return std::nullopt;
    // An empty or "?" endpoint: the node does not know its own address; it is where we asked.
    node n{host.text.empty() || host.text == "?" ? asked.host : host.text,
           static_cast<std::uint16_t>(port.integer)};
    auto const index = map.index_of(n);
    std::fill(map.owner_.begin() + first.integer, map.owner_.begin() + last.integer + 1, index);
  }
  return map;
}

slot_map slot_map::single(node const& only) {
  slot_map map;
  map.nodes_.push_back(only);
  std::fill(map.owner_.begin(), map.owner_.end(), 0);
  return map;
}

std::optional<node> slot_map::master_for(int slot) const {
  if (slot < 0 || slot >= slot_count || owner_[slot] == none) return std::nullopt;
  return nodes_[owner_[slot]];
}

void slot_map::moved(int slot, node const& to) {
  if (slot < 0 || slot >= slot_count) return;
  owner_[slot] = index_of(to);
}

std::vector<node> slot_map::masters() const {
  std::vector<bool> serving(nodes_.size(), false);
  for (auto owner : owner_) {
    if (owner != none) serving[owner] = true;
  }
  std::vector<node> out;
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    if (serving[i]) out.push_back(nodes_[i]);
  }
  return out;
}

int slot_map::covered() const {
  return static_cast<int>(std::count_if(owner_.begin(), owner_.end(), [](auto o) { return o != none; }));
}

}  // namespace windi::redis::cluster
