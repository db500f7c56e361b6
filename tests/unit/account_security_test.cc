// Issue 12, the parts that need no server: accounts (password policy, revocation on a password
// change, tokens that cannot mint tokens, sign-in timing, lock-outs nobody else can impose),
// user names unique regardless of case, CSV cells defused, SIGXFSZ ignored.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <fstream>

#include "analytics/analytics.h"
#include "auth/auth_service.h"
#include "auth/password.h"
#include "core/csv_cell.h"
#include "core/signals.h"
#include "core/uid.h"
#include "unit/test_support.h"

namespace weijian::auth {
namespace {

using weijian::testing::MakeOrdosStore;
using weijian::testing::TempDir;

TEST(PasswordPolicyTest, NeedsThreeClassesNoUserNameAndNothingCommon) {
  EXPECT_FALSE(CheckPasswordPolicy("abcdefghij").ok());            // one class
  EXPECT_FALSE(CheckPasswordPolicy("abcdefghij12").ok());          // two classes
  EXPECT_FALSE(CheckPasswordPolicy("鄂托克旗妇幼股统计员").ok());  // one class (other script)
  EXPECT_TRUE(CheckPasswordPolicy("草原深处的卫生院-2024").ok());  // 汉字, symbol, digits
  EXPECT_TRUE(CheckPasswordPolicy("river-horse-lamp-7").ok());
  // The user name inside the password, in any case.
  EXPECT_TRUE(CheckPasswordPolicy("Wang.Li-river-7").ok());
  auto with_name = CheckPasswordPolicy("Wang.Li-river-7", "wang.li");
  EXPECT_FALSE(with_name.ok());
  EXPECT_EQ(with_name.field(), "password");
  // The shipped list (data/common-passwords.txt), also with digits and symbols around a word.
  EXPECT_FALSE(CheckPasswordPolicy("Password2024!").ok());
  EXPECT_FALSE(CheckPasswordPolicy("!Dragon-2024").ok());
  EXPECT_FALSE(CheckPasswordPolicy("Woaini1314!!").ok());
  for (int i = 0; i < 50; ++i) EXPECT_TRUE(CheckPasswordPolicy(GeneratePassword()).ok());
}

TEST(CommonPasswordListTest, ShipsThousandsOfEntries) {
  std::ifstream in(std::string(WEIJIAN_SOURCE_DIR) + "/data/common-passwords.txt");
  ASSERT_TRUE(in.good());
  int entries = 0;
  for (std::string line; std::getline(in, line);) entries += !line.empty() && line[0] != '#';
  EXPECT_GT(entries, 3000);
  // Every long enough entry is refused by the policy (even when it meets the classes).
  EXPECT_FALSE(CheckPasswordPolicy("Qwerty-123456").ok());
}

class AccountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = MakeOrdosStore(dir_.File("a.db"), false);
    cat_ = *metadata::Catalog::Load(*store_);
    storage::UserRecord u;
    u.uid = RandomUid();
    u.username = "clerk";
    u.password_hash = *HashPassword(kOld, Argon2Params{1, 1024, 1});
    u.roles = {"entry"};
    u.capture_org_unit_ids = {cat_->OrgUnits().ByCode("150624100")->id};
    u.created = now_;
    ASSERT_TRUE(store_->CreateUser(u).ok());
    storage::UserRecord other = u;
    other.uid = RandomUid();
    other.username = "officer";
    ASSERT_TRUE(store_->CreateUser(other).ok());
    service_ = std::make_unique<AuthService>(*store_, [this] { return now_; });
  }
  Credentials Cookie(const std::string& token) {
    return {std::string(kSessionCookie) + "=" + token, "", "10.0.0.1"};
  }
  bool SignedIn(const Credentials& c) {
    auto who = service_->Authenticate(c);
    return who.ok() && who->has_value();
  }
  Principal Clerk() { return Principal::FromUser(**store_->FindUser("clerk"), "basic"); }
  static constexpr const char* kOld = "草原上的卫生院-2024";
  static constexpr const char* kNew = "黄河几字弯-2025-春";
  TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  std::shared_ptr<const metadata::Catalog> cat_;
  std::int64_t now_ = 1'700'000'000'000;
  std::unique_ptr<AuthService> service_;
};

TEST_F(AccountTest, ResetEndsEverySessionAndToken) {
  auto s1 = service_->Login("clerk", kOld, "10.0.0.1");
  ASSERT_TRUE(s1.ok()) << s1.status().ToString();
  auto token = service_->CreateApiToken(Clerk(), "script", 30, "");
  ASSERT_TRUE(token.ok());
  ASSERT_TRUE(SignedIn(Cookie(s1->session_token)));
  ASSERT_TRUE(SignedIn({"", "ApiToken " + token->token, ""}));
  storage::UserRecord root;
  root.id = 999;
  root.username = "root";
  root.roles = {"superuser"};
  auto admin = Principal::FromUser(root, "session");
  ASSERT_TRUE(
      service_->ChangePassword(admin, **store_->FindUser("clerk"), kNew, std::nullopt, "").ok());
  EXPECT_FALSE(SignedIn(Cookie(s1->session_token)));
  EXPECT_FALSE(SignedIn({"", "ApiToken " + token->token, ""}));
  EXPECT_TRUE(service_->Login("clerk", kNew, "10.0.0.1").ok());
}

TEST_F(AccountTest, SelfChangeNeedsTheCurrentPasswordAndKeepsThisSession) {
  auto here = service_->Login("clerk", kOld, "10.0.0.1");
  auto elsewhere = service_->Login("clerk", kOld, "10.0.0.9");
  ASSERT_TRUE(here.ok() && elsewhere.ok());
  auto me = **service_->Authenticate(Cookie(here->session_token));
  auto target = **store_->FindUser("clerk");
  auto missing = service_->ChangePassword(me, target, kNew, std::nullopt, "");
  EXPECT_EQ(missing.field(), "currentPassword");
  auto wrong = service_->ChangePassword(me, target, kNew, std::string("not-it-2024-X"), "");
  EXPECT_EQ(wrong.field(), "currentPassword");
  now_ += 2000;  // the wrong guess backs off the account like a failed sign-in
  EXPECT_TRUE(service_->Login("clerk", kOld, "10.0.0.2").ok());  // unchanged
  target = **store_->FindUser("clerk");
  ASSERT_TRUE(service_->ChangePassword(me, target, kNew, std::string(kOld), "").ok());
  EXPECT_TRUE(SignedIn(Cookie(here->session_token)));
  EXPECT_FALSE(SignedIn(Cookie(elsewhere->session_token)));
  // The policy applies to the new password, user name included.
  target = **store_->FindUser("clerk");
  EXPECT_FALSE(
      service_->ChangePassword(me, target, "Clerk-river-2025", std::string(kNew), "").ok());
}

TEST_F(AccountTest, ATokenCannotMintTokens) {
  auto token = service_->CreateApiToken(Clerk(), "script", 30, "");
  ASSERT_TRUE(token.ok());
  auto via_token = **service_->Authenticate({"", "ApiToken " + token->token, ""});
  auto minted = service_->CreateApiToken(via_token, "another", 366, "");
  EXPECT_EQ(minted.status().code(), StatusCode::kPermissionDenied);
}

TEST_F(AccountTest, UnknownNamesCostOneArgon2LikeKnownOnes) {
  const auto before = service_->password_checks();
  EXPECT_FALSE(service_->Login("nobody-here", "Whatever-2024", "10.0.0.3").ok());
  EXPECT_EQ(service_->password_checks(), before + 1);
  now_ += 60'000;
  EXPECT_FALSE(service_->Login("clerk", "Whatever-2024", "10.0.0.4").ok());
  EXPECT_EQ(service_->password_checks(), before + 2);
}

TEST_F(AccountTest, StrangersCannotLockTheOwnerOutOfHisOwnBrowser) {
  auto first = service_->Login("clerk", kOld, "10.0.0.1");
  ASSERT_TRUE(first.ok());
  ASSERT_FALSE(first->device_cookie.empty());
  // An attacker fails six times within the window: the account locks for strangers…
  for (int i = 0; i < 6; ++i) {
    EXPECT_FALSE(service_->Login("clerk", "guess-Number-" + std::to_string(i), "203.0.113.7").ok());
    now_ += 40'000;  // waits out each back-off
  }
  auto stranger = service_->Login("clerk", kOld, "198.51.100.1");
  EXPECT_EQ(stranger.status().code(), StatusCode::kResourceExhausted);
  // …but the owner's browser, which signed in before, still gets in with the right password.
  auto owner = service_->Login("clerk", kOld, "198.51.100.1", first->device_cookie);
  EXPECT_TRUE(owner.ok()) << owner.status().ToString();
  // A device cookie for another account, or a forged one, is worth nothing.
  EXPECT_FALSE(service_->Login("clerk", kOld, "198.51.100.1", std::string(97, 'a')).ok());
}

TEST_F(AccountTest, AnAddressLocksOnlyForFloodsOfUnknownNames) {
  // Colleagues behind one proxy mistyping their passwords lock nobody else out.
  for (int i = 0; i < 6; ++i) {
    EXPECT_FALSE(service_->Login("officer", "typo-Number-" + std::to_string(i), "10.9.9.9").ok());
    now_ += 40'000;
  }
  EXPECT_TRUE(service_->Login("clerk", kOld, "10.9.9.9").ok());
  // A flood of made-up names from one address does lock that address (for strangers).
  for (int i = 0; i < 6; ++i) {
    EXPECT_FALSE(service_->Login("ghost" + std::to_string(i), "Whatever-2024", "10.8.8.8").ok());
    now_ += 40'000;
  }
  EXPECT_EQ(service_->Login("clerk", kOld, "10.8.8.8").status().code(),
            StatusCode::kResourceExhausted);
}

TEST(UsernameCaseTest, NamesDifferingOnlyInCaseCannotCoexist) {
  TempDir dir;
  auto store = MakeOrdosStore(dir.File("u.db"), false);
  storage::UserRecord u;
  u.uid = RandomUid();
  u.username = "Wang.Li";
  u.password_hash = "x";
  u.roles = {"entry"};
  ASSERT_TRUE(store->CreateUser(u).ok());
  u.uid = RandomUid();
  u.username = "wang.li";
  auto again = store->CreateUser(u);
  EXPECT_EQ(again.status().code(), StatusCode::kConflict);
  EXPECT_EQ(again.status().field(), "username");
}

TEST(CsvCellTest, FormulasAreDefusedNumbersAreNot) {
  EXPECT_EQ(CsvCell("=HYPERLINK(\"http://x\",\"点我\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"点我\"\")\"");
  EXPECT_EQ(CsvCell("+1+2"), "'+1+2");
  EXPECT_EQ(CsvCell("@SUM(A1)"), "'@SUM(A1)");
  EXPECT_EQ(CsvCell("-2+3"), "'-2+3");
  EXPECT_EQ(CsvCell("\tcmd"), "'\tcmd");
  EXPECT_EQ(CsvCell("\r=1"), "\"'\r=1\"");
  EXPECT_EQ(CsvCell("-3.5"), "-3.5");  // a number: imports must read it back unchanged
  EXPECT_EQ(CsvCell("+12"), "+12");
  EXPECT_EQ(CsvCell("1e5"), "1e5");
  EXPECT_EQ(CsvCell("乌兰镇"), "乌兰镇");
}

TEST(CsvCellTest, AnalyticsCsvDefusesEveryCell) {
  nlohmann::json response = {
      {"headers", {{{"name", "dx"}}, {{"name", "=cmd"}}, {{"name", "value"}}}},
      {"rows", {{"=HYPERLINK(\"http://x\")", "@x", "-7.5"}}}};
  auto csv = analytics::ToCsv(response);
  EXPECT_EQ(csv, "dx,'=cmd,value\n\"'=HYPERLINK(\"\"http://x\"\")\",'@x,-7.5\n");
}

TEST(SignalTest, AWritePastTheFileSizeLimitFailsInsteadOfKilling) {
  TempDir dir;
  const std::string path = dir.File("big.bin");
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    IgnoreFileSizeLimitSignal();
    rlimit limit{4096, 4096};
    setrlimit(RLIMIT_FSIZE, &limit);
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) _exit(3);
    std::string block(8192, 'x');
    std::size_t n = std::fwrite(block.data(), 1, block.size(), f);
    int err = std::fflush(f) == 0 ? 0 : errno;
    _exit(n < block.size() || err == EFBIG ? 0 : 2);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  EXPECT_FALSE(WIFSIGNALED(status)) << "killed by signal " << WTERMSIG(status);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace weijian::auth
