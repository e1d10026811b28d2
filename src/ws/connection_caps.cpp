#include "ws/connection_caps.hpp"

namespace windi::ws {

connection_caps::lease& connection_caps::lease::operator=(lease&& other) noexcept {
  if (this != &other) {
    release();
    caps_ = std::exchange(other.caps_, nullptr);
    key_ = std::move(other.key_);
  }
  return *this;
}

void connection_caps::lease::release() {
  if (!caps_) return;
  std::lock_guard guard(caps_->lock_);
  if (auto const* user = std::get_if<user_id>(&key_)) {
    give_back(caps_->users_, *user);
  } else {
    give_back(caps_->addresses_, std::get<std::string>(key_));
  }
  caps_ = nullptr;
}

template <class Key>
bool connection_caps::take(std::unordered_map<Key, std::size_t>& counts, Key const& key, std::size_t cap) {
  auto& open = counts[key];
  if (open >= cap) {
    if (open == 0) counts.erase(key);  // a cap of 0 admits nobody and keeps no entry
    return false;
  }
  ++open;
  return true;
}

template <class Key>
void connection_caps::give_back(std::unordered_map<Key, std::size_t>& counts, Key const& key) {
  auto found = counts.find(key);
  if (found == counts.end()) return;
  // Entries go when their last connection does, so the maps hold only who is connected now.
  if (--found->second == 0) counts.erase(found);
}

std::optional<connection_caps::lease> connection_caps::admit_user(user_id user) {
  std::lock_guard guard(lock_);
  if (!take(users_, user, per_user_)) return std::nullopt;
  return lease(this, user);
}

std::optional<connection_caps::lease> connection_caps::admit_address(std::string const& address) {
  std::lock_guard guard(lock_);
  if (!take(addresses_, address, per_address_)) return std::nullopt;
  return lease(this, address);
}

std::size_t connection_caps::open_for(user_id user) const {
  std::lock_guard guard(lock_);
  auto found = users_.find(user);
  return found == users_.end() ? 0 : found->second;
}

std::size_t connection_caps::open_for(std::string const& address) const {
  std::lock_guard guard(lock_);
  auto found = addresses_.find(address);
  return found == addresses_.end() ? 0 : found->second;
}

}  // namespace windi::ws
