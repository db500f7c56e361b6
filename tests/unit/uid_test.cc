#include "core/uid.h"

#include <gtest/gtest.h>

#include <set>

namespace weijian {
namespace {

TEST(UidTest, StableUidIsValidAndTheSameEverywhere) {
  std::string a = StableUid("ou", "150624");
  EXPECT_TRUE(IsValidUid(a));
  EXPECT_EQ(a, StableUid("ou", "150624"));
  EXPECT_NE(a, StableUid("ou", "150623"));
  EXPECT_NE(a, StableUid("de", "150624"));  // kinds do not collide
}

TEST(UidTest, NoCollisionsAcrossAllVillageSizedCodeSpace) {
  std::set<std::string> seen;
  for (int i = 0; i < 100000; ++i) seen.insert(StableUid("ou", "150624" + std::to_string(i)));
  EXPECT_EQ(seen.size(), 100000u);
}

TEST(UidTest, ValidatesDhis2Shape) {
  EXPECT_TRUE(IsValidUid("HllvX50cXC0"));
  EXPECT_FALSE(IsValidUid("1llvX50cXC0"));  // must start with a letter
  EXPECT_FALSE(IsValidUid("HllvX50cXC"));   // 10 characters
  EXPECT_FALSE(IsValidUid("HllvX50cX-0"));
  EXPECT_TRUE(IsValidUid(RandomUid()));
  EXPECT_NE(RandomUid(), RandomUid());
}

}  // namespace
}  // namespace weijian
