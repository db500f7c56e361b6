#include "auth/password.h"

#include <gtest/gtest.h>

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
