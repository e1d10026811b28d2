#pragma once
// Which address a request comes from, for the limits keyed by client: the peer's address, or the first
// address of X-Forwarded-For when the peer is a proxy listed in TRUSTED_PROXIES (anyone else could write that
// header to dodge a limit).
#include "core/error.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace windi::http {

class trusted_proxies {
 public:
  trusted_proxies() = default;
  // "10.0.0.1, 10.1.0.0/16, ::1" (addresses or networks); errc::validation naming the bad entry.
  static outcome<trusted_proxies> parse(std::string_view list);
  bool contains(boost::asio::ip::address const& address) const;
  bool empty() const { return v4_.empty() && v6_.empty(); }

 private:
  std::vector<boost::asio::ip::network_v4> v4_;
  std::vector<boost::asio::ip::network_v6> v6_;
};

std::string client_address(boost::asio::ip::address const& peer, std::string_view forwarded_for,
                           trusted_proxies const& trusted);

}  // namespace windi::http
