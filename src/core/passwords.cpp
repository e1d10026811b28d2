#include "core/passwords.hpp"

#include <sodium.h>

#include <stdexcept>

namespace windi {

argon2id_hasher::argon2id_hasher(std::uint64_t opslimit, std::uint64_t memlimit_bytes)
    : opslimit_(opslimit), memlimit_(memlimit_bytes) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::string argon2id_hasher::hash(std::string_view password) const {
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), opslimit_, memlimit_,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("argon2id hashing ran out of memory");
  }
  return out;
}

bool argon2id_hasher::verify(std::string const& stored_hash, std::string_view password) const {
  return crypto_pwhash_str_verify(stored_hash.c_str(), password.data(), password.size()) == 0;
}

}  // namespace windi
