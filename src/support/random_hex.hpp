#pragma once
#include <cstddef>
#include <string>

namespace windi {

// `bytes` random bytes from libsodium's CSPRNG, as 2 * `bytes` lowercase hex digits: ids that are unguessable
// and unique without coordination between processes.
std::string random_hex(std::size_t bytes);

}  // namespace windi
