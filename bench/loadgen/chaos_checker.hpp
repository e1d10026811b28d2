#pragma once
// The chaos scenario's verdict: each client's view of each of its chats (built only from frames it received)
// against the store's history read through the API after the run, and every acknowledged send against the
// stored messages.
#include "chaos_client.hpp"
#include "client/endpoint.hpp"
#include "client_pool.hpp"

#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace windi::loadgen {

// Client i runs on the pool's thread i in both of these.
// Waits until every client has settled (connected, synced, every send acknowledged, no reload left), for at
// most `limit`; false if some never did.
bool wait_settled(client_pool& pool, std::vector<std::shared_ptr<chaos_client>> const& clients,
                  std::chrono::seconds limit);
// Ends the run: clients stop reconnecting and drop their sockets; waits for `running` (each client's run(),
// and whatever else watches `shared.stopping`), then for their last timers.
void stop_clients(client_pool& pool, chaos_shared& shared,
                  std::vector<std::shared_ptr<chaos_client>> const& clients,
                  std::vector<std::future<void>>& running);

// Reads every chat's whole history and last change; `readers` maps each chat to a member's token.
std::map<std::int64_t, stored_chat> read_store(client_pool& pool, client::endpoint const& server,
                                               std::map<std::int64_t, std::string> const& readers);

struct chaos_verdict {
  std::uint64_t acknowledged = 0;  // distinct acknowledged sends
  std::uint64_t retried = 0;       // sends sent again under the same client_message_id
  std::uint64_t lost = 0;          // acknowledged but not stored
  std::uint64_t duplicated = 0;  // a client_message_id stored more than once, or acknowledged as two messages
  std::uint64_t unacknowledged = 0;   // still waiting for an answer at the end
  std::uint64_t divergent_views = 0;  // (client, chat) pairs whose view differs from the store
  std::uint64_t silent_gaps = 0;      // (client, chat) pairs whose cursor stopped short of the last change
  std::vector<std::string> examples;  // the first few violations, described

  bool passed() const {
    return lost == 0 && duplicated == 0 && unacknowledged == 0 && divergent_views == 0 && silent_gaps == 0;
  }
  boost::json::object figures() const;
};

chaos_verdict check_chaos(std::vector<std::shared_ptr<chaos_client>> const& clients,
                          std::map<std::int64_t, stored_chat> const& store);

}  // namespace windi::loadgen
