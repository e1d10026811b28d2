#include "support/sha256.hpp"

#include <gtest/gtest.h>

#include <string>

namespace windi {
namespace {

std::string digest_of(std::string_view bytes, std::size_t piece) {
  sha256 hash;
  for (std::size_t at = 0; at < bytes.size(); at += piece) hash.update(bytes.substr(at, piece));
  return hash.hex_digest();
}

// FIPS 180-2's examples, given whole and in pieces of every small size.
TEST(Sha256, MatchesTheStandardsExamplesWhateverThePieces) {
  EXPECT_EQ(digest_of("", 1), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  for (std::size_t piece : {1, 2, 3, 7, 64, 1000}) {
    EXPECT_EQ(digest_of("abc", piece), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(digest_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", piece),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  }
  EXPECT_EQ(digest_of(std::string(1'000'000, 'a'), 4096),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

}  // namespace
}  // namespace windi
