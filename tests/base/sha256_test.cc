#include "base/sha256.h"

#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace screening::base {
namespace {

// FIPS 180-2 examples.
constexpr char kEmptyDigest[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
constexpr char kAbcDigest[] = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
constexpr char kTwoBlocks[] = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
constexpr char kTwoBlocksDigest[] = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";

TEST(Sha256Test, KnownDigests) {
  EXPECT_EQ(Sha256Hex(""), kEmptyDigest);
  EXPECT_EQ(Sha256Hex("abc"), kAbcDigest);
  EXPECT_EQ(Sha256Hex(kTwoBlocks), kTwoBlocksDigest);
  uint8_t out[kSha256Bytes];
  Sha256("abc", 3, out);
  EXPECT_EQ(ToHex(Sha256Digest(std::to_array(out))), kAbcDigest);
}

TEST(Sha256Test, HasherIsTheDigestOfTheConcatenation) {
  Sha256Hasher hasher;
  hasher.Update("abcdbcdecdefdefg").Update("").Update("efghfghighijhijkijkljklmklmnlmnomnopnopq");
  EXPECT_EQ(hasher.FinishHex(), kTwoBlocksDigest);
  // Finish starts over.
  EXPECT_EQ(hasher.Update("abc").FinishHex(), kAbcDigest);
  EXPECT_EQ(hasher.FinishHex(), kEmptyDigest);
}

TEST(Sha256Test, ThreadsHashIndependently) {
  std::vector<std::thread> threads;
  std::vector<std::string> digests(4);
  for (size_t t = 0; t < digests.size(); ++t) {
    threads.emplace_back([&digests, t] {
      for (int i = 0; i < 1000; ++i) digests[t] = Sha256Hex(t % 2 == 0 ? "abc" : kTwoBlocks);
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (size_t t = 0; t < digests.size(); ++t) EXPECT_EQ(digests[t], t % 2 == 0 ? kAbcDigest : kTwoBlocksDigest);
}

}  // namespace
}  // namespace screening::base
