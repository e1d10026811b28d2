#include "ws/connection_caps.hpp"

namespace windi::ws {

connection_caps::lease& connection_caps::lease::operator=(lease&& other) noexcept {
  if (this != &other) {
    release();
    limits_ = std::exchange(other.limits_, nullptr);
    key_ = std::move(other.key_);
    id_ = std::move(other.id_);
  }
  return *this;
}

void connection_caps::lease::release() {
  if (!limits_) return;
  limits_->release_connection(key_, id_);
  limits_ = nullptr;
}

boost::asio::awaitable<std::optional<connection_caps::lease>> connection_caps::admit(
    std::string key, std::string connection_id, std::size_t cap) {
  bool const admitted = co_await limits_.admit_connection(key, connection_id, cap);
  if (!admitted) co_return std::nullopt;
  co_return lease(&limits_, std::move(key), std::move(connection_id));
}

boost::asio::awaitable<std::optional<connection_caps::lease>> connection_caps::admit_user(
    user_id user, std::string connection_id) {
  return admit(user_key(user), std::move(connection_id), per_user_);
}

boost::asio::awaitable<std::optional<connection_caps::lease>> connection_caps::admit_address(
    std::string address, std::string connection_id) {
  return admit(address_key(address), std::move(connection_id), per_address_);
}

}  // namespace windi::ws
