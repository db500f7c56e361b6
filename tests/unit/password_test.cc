#include "auth/password.h"

#include <argon2.h>
#include <gtest/gtest.h>

#include <string>

namespace weijian::auth {
namespace {

// Small parameters keep the test fast; the production defaults are exercised by the CLI tests.
constexpr Argon2Params kFast{1, 1024, 1};

TEST(PasswordTest, HashVerifiesOnlyTheSamePassword) {
  auto h = HashPassword("草原上的卫生院2024", kFast);
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->starts_with("$argon2id$"));
  EXPECT_TRUE(VerifyPassword("草原上的卫生院2024", *h));
  EXPECT_FALSE(VerifyPassword("草原上的卫生院2025", *h));
  auto h2 = HashPassword("草原上的卫生院2024", kFast);
  EXPECT_NE(*h, *h2);  // per-user salt
}

TEST(PasswordTest, RehashWhenParametersChange) {
  auto h = HashPassword("a-long-enough-secret", kFast);
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(NeedsRehash(*h, Argon2Params{}));
  EXPECT_FALSE(NeedsRehash(*h, kFast));
}

// The hash is computed over memory of our own (password.cc) and encoded by us: libargon2 must
// read what we write, and we must read what libargon2 wrote (every stored hash until session
// 26), at the sizes that take either of the memory's two paths (under and over a huge page).
TEST(PasswordTest, HashesAreLibargon2sEncodingBothWays) {
  const std::string password = "草原上的卫生院2024";
  for (Argon2Params p : {kFast, Argon2Params{2, 4096, 1}, Argon2Params{1, 3072, 2}}) {
    SCOPED_TRACE("m=" + std::to_string(p.memory_kib) + " t=" + std::to_string(p.time_cost) +
                 " p=" + std::to_string(p.parallelism));
    auto ours = HashPassword(password, p);
    ASSERT_TRUE(ours.ok());
    EXPECT_FALSE(NeedsRehash(*ours, p)) << *ours;
    EXPECT_EQ(argon2id_verify(ours->c_str(), password.data(), password.size()), ARGON2_OK) << *ours;
    EXPECT_NE(argon2id_verify(ours->c_str(), "草原上的卫生院2025", 25), ARGON2_OK);

    const unsigned char salt[16] = {7, 1, 4, 2, 8, 5, 7, 1, 4, 2, 8, 5, 7, 1, 4, 2};
    for (std::size_t hash_len : {32u, 16u}) {
      char theirs[256];
      ASSERT_EQ(argon2id_hash_encoded(p.time_cost, p.memory_kib, p.parallelism, password.data(),
                                      password.size(), salt, sizeof salt, hash_len, theirs,
                                      sizeof theirs),
                ARGON2_OK);
      EXPECT_TRUE(VerifyPassword(password, theirs)) << theirs;
      EXPECT_FALSE(VerifyPassword("草原上的卫生院2025", theirs)) << theirs;
      EXPECT_FALSE(VerifyPassword("", theirs));
    }
  }
}

TEST(PasswordTest, AMalformedStoredHashVerifiesNothing) {
  auto good = HashPassword("草原上的卫生院2024", kFast);
  ASSERT_TRUE(good.ok());
  const std::string& h = *good;
  const std::string salt_and_hash = h.substr(h.find("$", 30));  // "$SALT$HASH"
  for (const std::string& bad : {
           std::string(), std::string("$argon2id$"),
           h.substr(0, h.size() - 4),                               // the hash cut short
           h + "=",                                                 // padding
           h.substr(0, h.rfind('$')) + "$!!!!",                     // not base64
           h.substr(0, h.rfind('$')),                               // no hash
           "$argon2id$v=19$m=1024,t=1$" + salt_and_hash.substr(1),  // no p=
           "$argon2id$v=16$m=1024,t=1,p=1" + salt_and_hash,         // another version
           "$argon2i$v=19$m=1024,t=1,p=1" + salt_and_hash,          // another variant
           "$argon2id$v=19$m=1024,t=0,p=1" + salt_and_hash,         // no pass
           "$argon2id$v=19$m=-1,t=1,p=1" + salt_and_hash,           // a sign
           "$argon2id$v=19$m=99999999999,t=1,p=1" + salt_and_hash,  // out of range
       }) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(VerifyPassword("草原上的卫生院2024", bad));
  }
  EXPECT_TRUE(VerifyPassword("草原上的卫生院2024", h));
}

TEST(PasswordTest, PolicyRefusesShortAndCommonPasswords) {
  EXPECT_FALSE(CheckPasswordPolicy("short").ok());
  EXPECT_FALSE(CheckPasswordPolicy("1234567890").ok());
  EXPECT_FALSE(CheckPasswordPolicy("Password123").ok());
  EXPECT_FALSE(CheckPasswordPolicy("aaaaaaaaaaaa").ok());
  EXPECT_TRUE(CheckPasswordPolicy("鄂托克旗妇幼股统计-1").ok());  // 11 characters, not bytes
  EXPECT_TRUE(CheckPasswordPolicy("river-horse-lamp-7").ok());
  EXPECT_EQ(GeneratePassword().size(), 16u);
  EXPECT_TRUE(CheckPasswordPolicy(GeneratePassword()).ok());
}

}  // namespace
}  // namespace weijian::auth
