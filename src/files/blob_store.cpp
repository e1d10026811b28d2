#include "files/blob_store.hpp"

#include <algorithm>

namespace windi::files {

task<outcome<std::size_t>> blob_download::send_to_socket(int, std::size_t) {
  co_return fail(errc::internal, "this storage cannot send to a socket");
}

bool is_blob_name(std::string_view sha256) {
  return sha256.size() == 64 && std::all_of(sha256.begin(), sha256.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace windi::files
