#include "core/org_unit_tree.h"

#include <gtest/gtest.h>

#include <random>

namespace weijian {
namespace {

// 1 省 → 2 市 → {3 旗, 4 旗}; 3 → {5 镇, 6 镇}; ids deliberately not in tree order.
std::vector<OrgUnitTree::Input> SmallTree() {
  return {{6, 3, "150624101"}, {1, 0, "15"},        {3, 2, "150624"},
          {2, 1, "1506"},      {5, 3, "150624100"}, {4, 2, "150623"}};
}

TEST(OrgUnitTreeTest, NumbersInPreOrderWithSiblingsByCode) {
  auto t = OrgUnitTree::Build(SmallTree());
  ASSERT_TRUE(t.ok());
  // Pre-order: 15, 1506, 150623, 150624, 150624100, 150624101.
  EXPECT_EQ(t->Pre(1), 0);
  EXPECT_EQ(t->Pre(2), 1);
  EXPECT_EQ(t->Pre(4), 2);
  EXPECT_EQ(t->Pre(3), 3);
  EXPECT_EQ(t->Pre(5), 4);
  EXPECT_EQ(t->Pre(6), 5);
  EXPECT_EQ(t->IdAt(3), 3);
}

TEST(OrgUnitTreeTest, SubtreeIsOneContiguousRange) {
  auto t = OrgUnitTree::Build(SmallTree());
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->Last(3), 5);  // 150624 covers its two towns
  EXPECT_EQ(t->Last(4), 2);  // a leaf covers itself
  EXPECT_EQ(t->Last(1), 5);
  EXPECT_TRUE(t->IsInSubtree(5, 3));
  EXPECT_TRUE(t->IsInSubtree(5, 1));
  EXPECT_FALSE(t->IsInSubtree(5, 4));
  EXPECT_FALSE(t->IsInSubtree(3, 5));
  EXPECT_EQ(t->Depth(5), 3);
  EXPECT_EQ(t->Parent(5), 3);
  EXPECT_EQ(t->Children(3), (std::vector<std::int64_t>{5, 6}));
}

TEST(OrgUnitTreeTest, RejectsMissingParentAndCycles) {
  std::vector<OrgUnitTree::Input> orphan = {{1, 0, "a"}, {2, 9, "b"}};
  EXPECT_FALSE(OrgUnitTree::Build(orphan).ok());
  std::vector<OrgUnitTree::Input> cycle = {{1, 0, "a"}, {2, 3, "b"}, {3, 2, "c"}};
  auto t = OrgUnitTree::Build(cycle);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("cycle"), std::string::npos);
  std::vector<OrgUnitTree::Input> dup = {{1, 0, "a"}, {1, 0, "b"}};
  EXPECT_FALSE(OrgUnitTree::Build(dup).ok());
}

// Oracle: on random trees, the range test agrees with walking up the parent links.
TEST(OrgUnitTreeTest, RangeMembershipMatchesParentWalkOnRandomTrees) {
  std::mt19937 rng(42);
  for (int round = 0; round < 20; ++round) {
    int n = 200 + round * 10;
    std::vector<OrgUnitTree::Input> in;
    std::vector<std::int64_t> parent(n + 1, 0);
    for (int i = 1; i <= n; ++i) {
      parent[i] = i == 1 ? 0 : std::uniform_int_distribution<int>(1, i - 1)(rng);
      in.push_back({i, parent[i], std::to_string(rng() % 1000)});
    }
    std::shuffle(in.begin(), in.end(), rng);
    auto t = OrgUnitTree::Build(in);
    ASSERT_TRUE(t.ok());
    for (int k = 0; k < 500; ++k) {
      int a = std::uniform_int_distribution<int>(1, n)(rng);
      int b = std::uniform_int_distribution<int>(1, n)(rng);
      bool walk = false;
      for (std::int64_t x = a; x != 0; x = parent[x])
        if (x == b) walk = true;
      ASSERT_EQ(t->IsInSubtree(a, b), walk) << a << " in " << b;
    }
  }
}

}  // namespace
}  // namespace weijian
