#pragma once
// Where the users of the spread scenario connect: chats of G members, each chat's members on one pair of
// processes (chat c on processes c mod N and c+1 mod N, members alternating between the two), so that every
// chat lives on at most two processes however many there are. And, from what the senders sent, what each
// process should hear of it: the load generator's side of the routing check.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace windi::loadgen {

struct spread_layout {
  std::size_t processes = 1;
  std::vector<std::vector<std::size_t>> chats;  // user indices per chat, the first being its creator
  std::vector<std::size_t> process_of_user;
  std::vector<std::size_t> chat_of_user;
  // The processes a chat has members on (one or two).
  std::vector<std::size_t> homes(std::size_t chat) const;
};

// `users` / `chat_size` chats (the remainder of users is left out); needs chat_size >= 2.
spread_layout make_spread_layout(std::size_t users, std::size_t chat_size, std::size_t processes);

// What one process should see of the messages sent, counted from the senders' side.
struct process_share {
  std::size_t chats = 0;                  // chats with at least one member here
  std::uint64_t own_chats_events = 0;     // messages in those chats: the bound on what it may receive
  std::uint64_t own_chats_elsewhere = 0;  // of those, sent through another process: what Redis must bring
  std::uint64_t firehose_events = 0;  // messages sent through another process, any chat: a firehose's share
  std::uint64_t expected_deliveries = 0;  // per message, one for each of its chat's members here
};

// `sent_by_user`: messages each user's connection had acknowledged.
std::vector<process_share> shares_of(spread_layout const& layout,
                                     std::vector<std::uint64_t> const& sent_by_user);

}  // namespace windi::loadgen
