// HTTP Basic: a successful check is remembered for five minutes under a keyed hash, so a
// script's second request does not run argon2 again; a password change or a disabled account
// takes effect at once, and the memory ends after five minutes.
#include <gtest/gtest.h>
#include <sodium.h>

#include <chrono>
#include <future>
#include <thread>

#include "auth/auth_service.h"
#include "auth/password.h"
#include "core/uid.h"
#include "metadata/catalog.h"
#include "unit/test_support.h"

namespace weijian::auth {
namespace {

std::string BasicHeader(const std::string& user, const std::string& password) {
  std::string plain = user + ":" + password;
  std::string out(sodium_base64_encoded_len(plain.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(plain.data()),
                    plain.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return "Basic " + out;
}

// The user a script signs in as: "script", password 草原上的卫生院2024.
bool AddScriptUser(storage::Store& store, std::int64_t now) {
  storage::UserRecord u;
  u.uid = RandomUid();
  u.username = "script";
  u.password_hash = *HashPassword("草原上的卫生院2024");
  u.roles = {"entry"};
  u.created = now;
  return store.CreateUser(u).ok();
}

TEST(BasicAuthCacheTest, TheSecondRequestSkipsArgon2UntilThePasswordChanges) {
  weijian::testing::TempDir dir;
  auto store = weijian::testing::MakeOrdosStore(dir.File("b.db"), false);
  std::int64_t now = 1'700'000'000'000;
  ASSERT_TRUE(AddScriptUser(*store, now));
  AuthService service(*store, [&] { return now; });
  auto ask = [&](const std::string& password) {
    return service.Authenticate({"", BasicHeader("script", password), "10.0.0.9"});
  };
  const auto before = PasswordVerifications();
  auto first = ask("草原上的卫生院2024");
  ASSERT_TRUE(first.ok() && first->has_value()) << first.status().ToString();
  EXPECT_EQ(PasswordVerifications(), before + 1);
  for (int i = 0; i < 3; ++i) {
    now += 60 * 1000;
    auto again = ask("草原上的卫生院2024");
    ASSERT_TRUE(again.ok() && again->has_value());
    EXPECT_EQ((*again)->name(), "script");
  }
  EXPECT_EQ(PasswordVerifications(), before + 1);  // remembered: no argon2
  // A wrong password is never taken from the memory.
  EXPECT_FALSE(ask("别的密码也行吗2024").ok());
  EXPECT_EQ(PasswordVerifications(), before + 2);
  // Five minutes after the check that was remembered, argon2 runs again.
  now += 3 * 60 * 1000;
  ASSERT_TRUE(ask("草原上的卫生院2024").ok());
  EXPECT_EQ(PasswordVerifications(), before + 3);
  // A password change (here as the CLI would make it): the old one fails at once.
  auto user = *store->FindUser("script");
  user->password_hash = *HashPassword("新的密码更长一些2025");
  ASSERT_TRUE(store->UpdateUser(*user).ok());
  EXPECT_FALSE(ask("草原上的卫生院2024").ok());
  now += 2000;  // past the login throttle's back-off after a failure
  ASSERT_TRUE(ask("新的密码更长一些2025").ok());
  ASSERT_TRUE(ask("新的密码更长一些2025").ok());
  EXPECT_EQ(PasswordVerifications(), before + 5);
  // A disabled account is refused although its password was just remembered.
  user = *store->FindUser("script");
  user->disabled = true;
  ASSERT_TRUE(store->UpdateUser(*user).ok());
  EXPECT_FALSE(ask("新的密码更长一些2025").ok());
}

// A correct password for an account with no failures on record writes nothing: a script's Basic
// request is answered while an import holds the store's one writer (it used to wait for the
// whole import to forget failures that were not there). With a failure on record, the success
// forgets it once the writer is free, and never waits for it.
TEST(BasicAuthCacheTest, ARightPasswordIsAnsweredWhileAnImportHoldsTheWriter) {
  weijian::testing::TempDir dir;
  auto store = weijian::testing::MakeOrdosStore(dir.File("w.db"), false);
  std::int64_t now = 1'700'000'000'000;
  ASSERT_TRUE(AddScriptUser(*store, now));
  AuthService service(*store, [&] { return now; });
  auto ask = [&](const std::string& password) {
    return service.Authenticate({"", BasicHeader("script", password), "10.0.0.9"});
  };
  // The writer, held as an import holds it while it applies.
  std::promise<void> release, holding;
  std::shared_future<void> released = release.get_future().share();
  std::thread holder([&] {
    Status s = store->InOneTransaction([&] {
      holding.set_value();
      released.wait();
      return Status::Ok();
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
  });
  holding.get_future().wait();
  auto answered = std::async(std::launch::async, [&] { return ask("草原上的卫生院2024"); });
  const bool in_time = answered.wait_for(std::chrono::seconds(30)) == std::future_status::ready;
  release.set_value();  // bounded: the writer is let go either way
  holder.join();
  EXPECT_TRUE(in_time) << "a correct Basic password waited for the writer";
  auto who = answered.get();
  ASSERT_TRUE(who.ok() && who->has_value()) << who.status().ToString();

  // A failure on record, then the right password: the failure is forgotten.
  now += 10 * 60 * 1000;  // past the memory of the first check
  EXPECT_FALSE(ask("别的密码也行吗2024").ok());
  now += 2000;
  ASSERT_TRUE(ask("草原上的卫生院2024").ok());
  auto left = store->LoginFailures("user:script", 0);
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty());
}

}  // namespace
}  // namespace weijian::auth
