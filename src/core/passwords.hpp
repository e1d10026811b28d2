#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace windi {

// A seam so that tests and benchmarks can choose the cost; the server uses argon2id.
class password_hasher {
 public:
  virtual ~password_hasher() = default;
  // Blocking and deliberately slow: call from a worker pool, never from an I/O thread.
  virtual std::string hash(std::string_view password) const = 0;
  virtual bool verify(std::string const& stored_hash, std::string_view password) const = 0;
};

// libsodium's argon2id (crypto_pwhash_str_alg). Hashes embed their parameters, so changing the cost later
// still verifies old hashes.
class argon2id_hasher final : public password_hasher {
 public:
  argon2id_hasher(std::uint64_t opslimit, std::uint64_t memlimit_bytes);
  std::string hash(std::string_view password) const override;
  bool verify(std::string const& stored_hash, std::string_view password) const override;

 private:
  std::uint64_t opslimit_;
  std::uint64_t memlimit_;
};

}  // namespace windi
