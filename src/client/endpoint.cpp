#include "client/endpoint.hpp"

#include <boost/url/parse.hpp>

namespace windi::client {

std::optional<endpoint> parse_base_url(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed || parsed->scheme() != "http" || !parsed->has_authority() || parsed->host().empty()) {
    return std::nullopt;
  }
  if (auto path = parsed->encoded_path(); !path.empty() && path != "/") return std::nullopt;
  endpoint out{std::string(parsed->host_address()), 80};
  if (parsed->has_port()) {
    auto port = parsed->port_number();
    if (port == 0) return std::nullopt;
    out.port = port;
  }
  return out;
}

}  // namespace windi::client
