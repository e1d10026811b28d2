#include "http/client_address.hpp"

#include <algorithm>

namespace windi::http {

namespace ip = boost::asio::ip;

namespace {

std::string_view trim(std::string_view text) {
  auto const first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  auto const last = text.find_last_not_of(" \t");
  return text.substr(first, last - first + 1);
}

// IPv4 peers of a dual-stack socket arrive as ::ffff:a.b.c.d; they are IPv4 addresses for every comparison.
ip::address unmapped(ip::address const& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a;
}

}  // namespace

outcome<trusted_proxies> trusted_proxies::parse(std::string_view list) {
  trusted_proxies out;
  while (!list.empty()) {
    auto const comma = list.find(',');
    auto const entry = std::string(trim(list.substr(0, comma)));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (entry.empty()) continue;
    boost::system::error_code ec;
    bool const network = entry.find('/') != std::string::npos;
    if (entry.find(':') == std::string::npos) {
      auto v4 = network ? ip::make_network_v4(entry, ec) : ip::network_v4(ip::make_address_v4(entry, ec), 32);
      if (!ec) {
        out.v4_.push_back(v4.canonical());
        continue;
      }
    } else {
      auto v6 =
          network ? ip::make_network_v6(entry, ec) : ip::network_v6(ip::make_address_v6(entry, ec), 128);
      if (!ec) {
        out.v6_.push_back(v6.canonical());
        continue;
      }
    }
    return fail(errc::validation, "TRUSTED_PROXIES: not an address or network: " + entry);
  }
  return out;
}

bool trusted_proxies::contains(ip::address const& address) const {
  auto const a = unmapped(address);
  if (a.is_v4()) {
    return std::any_of(v4_.begin(), v4_.end(), [&](ip::network_v4 const& n) {
      return ip::network_v4(a.to_v4(), n.prefix_length()).canonical() == n;
    });
  }
  return std::any_of(v6_.begin(), v6_.end(), [&](ip::network_v6 const& n) {
    return ip::network_v6(a.to_v6(), n.prefix_length()).canonical() == n;
  });
}

std::string client_address(ip::address const& peer, std::string_view forwarded_for,
                           trusted_proxies const& trusted) {
  auto const direct = unmapped(peer);
  if (!forwarded_for.empty() && trusted.contains(direct)) {
    auto const first = std::string(trim(forwarded_for.substr(0, forwarded_for.find(','))));
    boost::system::error_code ec;
    auto const claimed = ip::make_address(first, ec);
    if (!ec) return unmapped(claimed).to_string();
  }
  return direct.to_string();
}

}  // namespace windi::http
