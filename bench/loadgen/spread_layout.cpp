#include "spread_layout.hpp"

#include <stdexcept>

namespace windi::loadgen {

std::vector<std::size_t> spread_layout::homes(std::size_t chat) const {
  if (processes == 1) return {0};
  return {chat % processes, (chat + 1) % processes};
}

spread_layout make_spread_layout(std::size_t users, std::size_t chat_size, std::size_t processes) {
  if (chat_size < 2 || processes < 1 || users < chat_size)
    throw std::runtime_error("spread: needs at least one chat of two or more members");
  spread_layout out;
  out.processes = processes;
  auto const chats = users / chat_size;
  out.process_of_user.assign(chats * chat_size, 0);
  out.chat_of_user.assign(chats * chat_size, 0);
  for (std::size_t c = 0; c < chats; ++c) {
    auto const homes = out.homes(c);
    std::vector<std::size_t> members;
    for (std::size_t k = 0; k < chat_size; ++k) {
      auto const user = c * chat_size + k;
      members.push_back(user);
      out.chat_of_user[user] = c;
      out.process_of_user[user] = homes[k % homes.size()];
    }
    out.chats.push_back(std::move(members));
  }
  return out;
}

std::vector<process_share> shares_of(spread_layout const& layout,
                                     std::vector<std::uint64_t> const& sent_by_user) {
  std::vector<process_share> out(layout.processes);
  std::uint64_t total = 0;
  std::vector<std::uint64_t> sent_through(layout.processes, 0);
  for (std::size_t c = 0; c < layout.chats.size(); ++c) {
    // Messages of this chat by the process they were sent through, and its members per process.
    std::vector<std::uint64_t> by_process(layout.processes, 0);
    std::vector<std::uint64_t> members_on(layout.processes, 0);
    std::uint64_t in_chat = 0;
    for (auto user : layout.chats[c]) {
      auto const p = layout.process_of_user[user];
      by_process[p] += sent_by_user[user];
      in_chat += sent_by_user[user];
      ++members_on[p];
    }
    total += in_chat;
    for (std::size_t p = 0; p < layout.processes; ++p) {
      sent_through[p] += by_process[p];
      if (members_on[p] == 0) continue;
      ++out[p].chats;
      out[p].own_chats_events += in_chat;
      out[p].own_chats_elsewhere += in_chat - by_process[p];
      out[p].expected_deliveries += in_chat * members_on[p];
    }
  }
  for (std::size_t p = 0; p < layout.processes; ++p) out[p].firehose_events = total - sent_through[p];
  return out;
}

}  // namespace windi::loadgen
