#include "core/credentials_cache.hpp"

#include <algorithm>

namespace windi {
namespace {

bool still_counts(credential_state const& state, token_claims const& claims) {
  return claims.token_generation == state.token_generation &&
         std::find(state.revoked_token_ids.begin(), state.revoked_token_ids.end(), claims.token_id) ==
             state.revoked_token_ids.end();
}

failure no_longer_valid() { return fail(errc::unauthorized, "Could not validate credentials"); }

}  // namespace

credentials_cache::credentials_cache(store& db, clock const& clock, std::chrono::seconds max_age)
    : db_(db),
      clock_(clock),
      max_age_(std::chrono::duration_cast<std::chrono::microseconds>(max_age).count()) {}

credentials_cache::verdict credentials_cache::cached(token_claims const& claims, micros now) {
  auto& s = shard_of(claims.subject);
  std::lock_guard guard(s.lock);
  auto found = s.users.find(claims.subject);
  if (found == s.users.end() || now - found->second.loaded_at >= max_age_) return verdict::unknown;
  return still_counts(found->second.state, claims) ? verdict::valid : verdict::revoked;
}

task<outcome<void>> credentials_cache::check(token_claims const& claims) {
  auto const now = clock_.now();
  switch (cached(claims, now)) {
    case verdict::valid:
      co_return outcome<void>{};
    case verdict::revoked:
      co_return no_longer_valid();
    case verdict::unknown:
      break;
  }
  auto& s = shard_of(claims.subject);
  std::uint64_t forgets_before = 0;
  {
    std::lock_guard guard(s.lock);
    forgets_before = s.forgets;
  }
  auto state = co_await db_.get_credential_state(claims.subject, now);
  if (!state) {
    // A token for a user that does not exist (any more) is no credential. Not cached: the id may be taken
    // by a registration later.
    if (state.error().code == errc::not_found) co_return no_longer_valid();
    co_return state.error();
  }
  bool const valid = still_counts(*state, claims);
  {
    std::lock_guard guard(s.lock);
    if (s.forgets == forgets_before) s.users.insert_or_assign(claims.subject, entry{std::move(*state), now});
  }
  if (!valid) co_return no_longer_valid();
  co_return outcome<void>{};
}

void credentials_cache::forget(user_id user) {
  auto& s = shard_of(user);
  std::lock_guard guard(s.lock);
  s.users.erase(user);
  ++s.forgets;
}

}  // namespace windi
