// The personal-data key file: sealing, tampering, permissions, rotation and blind indexes.
#include "tracker/person_vault.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "unit/test_support.h"

namespace weijian::tracker {
namespace {

TEST(PersonVault, SealsAndOpensAndRefusesAlteredText) {
  weijian::testing::TempDir dir;
  const std::string path = dir.File("k.keys");
  ASSERT_TRUE(PersonVault::Init(path).ok());
  EXPECT_FALSE(PersonVault::Init(path).ok());  // never overwrites a key file
  auto vault = PersonVault::Load(path);
  ASSERT_TRUE(vault.ok()) << vault.status().message();
  const std::string sealed = vault->Seal(R"({"name":"乌兰其其格"})");
  EXPECT_EQ(sealed.find("乌兰"), std::string::npos);
  EXPECT_NE(vault->Seal("same"), vault->Seal("same"));  // a fresh nonce each time
  auto opened = vault->Open(sealed, vault->current_key_id());
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, R"({"name":"乌兰其其格"})");
  std::string altered = sealed;
  altered[30] = altered[30] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(vault->Open(altered, vault->current_key_id()).ok());
  EXPECT_FALSE(vault->Open(sealed, "knotakey").ok());
}

TEST(PersonVault, BlindIndexesAreKeyedAndSeparatedByKind) {
  weijian::testing::TempDir dir;
  ASSERT_TRUE(PersonVault::Init(dir.File("a.keys")).ok());
  ASSERT_TRUE(PersonVault::Init(dir.File("b.keys")).ok());
  auto a = PersonVault::Load(dir.File("a.keys"));
  auto b = PersonVault::Load(dir.File("b.keys"));
  ASSERT_TRUE(a.ok() && b.ok());
  const std::string id = "150624202301050020";
  EXPECT_EQ(a->BlindIndex("id", id), a->BlindIndex("id", id));
  EXPECT_NE(a->BlindIndex("id", id), b->BlindIndex("id", id));  // another key, another index
  EXPECT_NE(a->BlindIndex("id", id), a->BlindIndex("name_birth", id));
  EXPECT_EQ(a->BlindIndex("id", id).size(), 64u);
}

TEST(PersonVault, RotationKeepsOldKeysForOpening) {
  weijian::testing::TempDir dir;
  const std::string path = dir.File("k.keys");
  ASSERT_TRUE(PersonVault::Init(path).ok());
  auto before = PersonVault::Load(path);
  ASSERT_TRUE(before.ok());
  const std::string old_id = before->current_key_id();
  const std::string sealed = before->Seal("旧记录");
  ASSERT_TRUE(PersonVault::AddKey(path).ok());
  auto after = PersonVault::Load(path);
  ASSERT_TRUE(after.ok());
  EXPECT_NE(after->current_key_id(), old_id);
  auto opened = after->Open(sealed, old_id);
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(*opened, "旧记录");
}

TEST(PersonVault, RefusesFilesOthersCanReadOrThatAreBroken) {
  weijian::testing::TempDir dir;
  const std::string path = dir.File("k.keys");
  ASSERT_TRUE(PersonVault::Init(path).ok());
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  auto loaded = PersonVault::Load(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("chmod 600"), std::string::npos);
  const std::string broken = dir.File("broken.keys");
  std::ofstream(broken) << "wjk1 k1 not-base64!!\n";
  ASSERT_EQ(::chmod(broken.c_str(), 0600), 0);
  loaded = PersonVault::Load(broken);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("第 1 行"), std::string::npos);
  EXPECT_FALSE(PersonVault::Load(dir.File("absent.keys")).ok());
}

}  // namespace
}  // namespace weijian::tracker
