// The citizens' message board's rules (portal/messages.h) on a real store: the human check
// (checked once, before it expires, answered in digits or Chinese numerals), the fields, the
// rate limit per address and per device, routing, replying and publishing only with consent,
// the overdue flags, and which staff may handle a message.
#include "portal/messages.h"

#include <gtest/gtest.h>

#include "metadata/catalog.h"
#include "unit/test_support.h"

namespace weijian::portal {
namespace {

constexpr std::int64_t kDay = 86400LL * 1000;
constexpr std::int64_t kT0 = 1'750'000'000'000;  // a fixed instant: no wall clock in tests

class MessagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = weijian::testing::MakeOrdosStore(dir_.File("m.db"), false);
    cat_ = *metadata::Catalog::Load(*store_);
  }
  auth::Principal Person(const std::string& role, const std::string& unit_code) {
    storage::UserRecord u;
    u.username = role + "@" + unit_code;
    u.roles = {role};
    u.capture_org_unit_ids = {cat_->OrgUnits().ByCode(unit_code)->id};
    return auth::Principal::FromUser(u, "token");
  }
  // The answer the store holds for a challenge (tests read it back, as a person reads the
  // question).
  std::string AnswerOf(const Challenge& c) {
    // The question is either "a加b等于几" or one of the fixed ones; compute like a reader.
    const std::string q = c.question;
    static const char* digits[] = {"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"};
    auto at = q.find("加");
    if (at != std::string::npos) {
      int a = -1, b = -1;
      for (int k = 0; k < 10; ++k) {
        if (q.compare(0, at, digits[k]) == 0) a = k;
        if (q.compare(at + 3, std::string(digits[k]).size(), digits[k]) == 0) b = k;
      }
      return std::to_string(a + b);
    }
    if (q.find("星期") != std::string::npos) return "7";
    if (q.find("几个月") != std::string::npos) return "12";
    if (q.find("季节") != std::string::npos) return "4";
    return "2";
  }
  MessageInput Valid(std::int64_t now, const std::string& addr = "10.0.0.1",
                     const std::string& device = "dev-a") {
    auto c = NewChallenge(*store_, now);
    EXPECT_TRUE(c.ok());
    MessageInput in;
    in.category = "咨询";
    in.name = "张某";
    in.phone = "0477-1234567";
    in.subject = "预防接种预约";
    in.body = "请问社区接种门诊能电话预约吗？";
    in.consent = true;
    in.challenge = c->token;
    in.answer = AnswerOf(*c);
    in.source_addr = addr;
    in.source_device = device;
    return in;
  }
  weijian::testing::TempDir dir_;
  std::unique_ptr<storage::Store> store_;
  std::shared_ptr<const metadata::Catalog> cat_;
};

TEST_F(MessagesTest, TheHumanCheckIsCheckedOnceBeforeItExpires) {
  auto c = NewChallenge(*store_, kT0);
  ASSERT_TRUE(c.ok());
  EXPECT_NE(c->question.find("请填写数字"), std::string::npos);
  EXPECT_TRUE(CheckChallenge(*store_, c->token, AnswerOf(*c), kT0 + 1000).ok());
  // Single use: the same right answer again is refused.
  EXPECT_EQ(CheckChallenge(*store_, c->token, AnswerOf(*c), kT0 + 2000).field(), "answer");
  // Wrong answer: refused, and the challenge is gone.
  auto d = NewChallenge(*store_, kT0);
  EXPECT_EQ(CheckChallenge(*store_, d->token, "999", kT0).field(), "answer");
  EXPECT_FALSE(CheckChallenge(*store_, d->token, AnswerOf(*d), kT0).ok());
  // Expired.
  auto e = NewChallenge(*store_, kT0);
  EXPECT_FALSE(CheckChallenge(*store_, e->token, AnswerOf(*e), kT0 + kChallengeLifeMs + 1).ok());
  // Chinese numerals and full-width digits are accepted: 十二, 7, ７.
  for (int i = 0; i < 40; ++i) {
    auto f = NewChallenge(*store_, kT0);
    const int n = std::stoi(AnswerOf(*f));
    static const char* words[] = {"零", "一", "二", "三", "四", "五", "六", "七", "八", "九"};
    const std::string chinese = n < 10 ? words[n]
                                       : std::string(n / 10 > 1 ? words[n / 10] : "") + "十" +
                                             (n % 10 ? words[n % 10] : "");
    EXPECT_TRUE(CheckChallenge(*store_, f->token, " " + chinese + " ", kT0).ok()) << chinese;
  }
}

TEST_F(MessagesTest, FieldsAreCheckedInChineseAndTheRateLimitHoldsPerAddressAndDevice) {
  struct Case {
    void (*spoil)(MessageInput&);
    const char* field;
  };
  const Case cases[] = {
      {[](MessageInput& in) { in.category = "闲聊"; }, "category"},
      {[](MessageInput& in) { in.name = ""; }, "name"},
      {[](MessageInput& in) { in.phone = "12ab"; }, "phone"},
      {[](MessageInput& in) { in.phone = "123"; }, "phone"},
      {[](MessageInput& in) { in.subject = "问"; }, "subject"},
      {[](MessageInput& in) { in.body = "短"; }, "body"},
      {[](MessageInput& in) { in.answer = "不知道"; }, "answer"},
  };
  for (const auto& c : cases) {
    auto in = Valid(kT0);
    c.spoil(in);
    auto r = SubmitMessage(*store_, in, kT0);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().field(), c.field);
  }
  // Three an hour from one address (different devices), then refused; another address may.
  for (int i = 0; i < kMessagesPerHour; ++i) {
    auto r =
        SubmitMessage(*store_, Valid(kT0 + i, "10.0.0.1", "dev-" + std::to_string(i)), kT0 + i);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->query_code.size(), 12u);
    EXPECT_EQ(r->status, "received");
  }
  auto fourth = SubmitMessage(*store_, Valid(kT0 + 9, "10.0.0.1", "dev-9"), kT0 + 9);
  EXPECT_EQ(fourth.status().code(), StatusCode::kResourceExhausted);
  // One device writing from three addresses: its fourth is refused from a fourth address.
  for (int i = 0; i < kMessagesPerHour; ++i)
    ASSERT_TRUE(SubmitMessage(*store_,
                              Valid(kT0 + 20 + i, "10.1.0." + std::to_string(i), "dev-shared"),
                              kT0 + 20 + i)
                    .ok());
  auto device = SubmitMessage(*store_, Valid(kT0 + 30, "10.2.0.1", "dev-shared"), kT0 + 30);
  EXPECT_EQ(device.status().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(SubmitMessage(*store_, Valid(kT0 + 31, "10.2.0.1", "dev-z"), kT0 + 31).ok());
  // An hour later the address may write again.
  EXPECT_TRUE(
      SubmitMessage(*store_, Valid(kT0 + 3601000, "10.0.0.1", "dev-y"), kT0 + 3601000).ok());
}

TEST_F(MessagesTest, StaffRouteReplyAndPublishOnlyWithConsentWithinTheirUnits) {
  auto in = Valid(kT0);
  in.consent = false;
  auto m = SubmitMessage(*store_, in, kT0);
  ASSERT_TRUE(m.ok());
  const auto city = Person("editor", "1506");
  const auto county = Person("editor", "150624");
  const auto other = Person("editor", "150622");
  EXPECT_TRUE(IsDispatcher(city, *cat_));
  EXPECT_FALSE(IsDispatcher(county, *cat_));
  // Not routed yet: only dispatchers see it.
  EXPECT_FALSE(MayHandle(county, *cat_, *m));
  EXPECT_EQ(ReplyMessage(*store_, *cat_, county, m->id, "您好，已收到。", kT0).status().code(),
            StatusCode::kNotFound);
  auto routed = RouteMessage(*store_, *cat_, city, m->id, "150624", kT0 + kDay);
  ASSERT_TRUE(routed.ok()) << routed.status().ToString();
  EXPECT_EQ(routed->status, "routed");
  EXPECT_TRUE(MayHandle(county, *cat_, *routed));
  EXPECT_FALSE(MayHandle(other, *cat_, *routed));
  EXPECT_EQ(ReplyMessage(*store_, *cat_, other, m->id, "您好，已收到。", kT0).status().code(),
            StatusCode::kNotFound);
  // The county cannot send it to another 旗.
  EXPECT_EQ(RouteMessage(*store_, *cat_, county, m->id, "150622", kT0).status().code(),
            StatusCode::kPermissionDenied);
  // Publishing before a reply, or without consent, is refused.
  EXPECT_EQ(PublishMessage(*store_, *cat_, city, m->id, true, kT0).status().code(),
            StatusCode::kConflict);
  auto replied =
      ReplyMessage(*store_, *cat_, county, m->id, "您好！各接种门诊均可电话预约。", kT0 + 3 * kDay);
  ASSERT_TRUE(replied.ok()) << replied.status().ToString();
  EXPECT_EQ(replied->status, "answered");
  EXPECT_EQ(replied->replied_by, cat_->OrgUnits().ByCode("150624")->name);
  auto refused = PublishMessage(*store_, *cat_, city, m->id, true, kT0);
  EXPECT_EQ(refused.status().code(), StatusCode::kConflict);
  EXPECT_NE(refused.status().message().find("没有同意公开"), std::string::npos);
  // With consent, it is published.
  auto in2 = Valid(kT0, "10.0.0.2", "dev-b");
  auto m2 = SubmitMessage(*store_, in2, kT0);
  ASSERT_TRUE(m2.ok());
  ASSERT_TRUE(RouteMessage(*store_, *cat_, city, m2->id, "1506", kT0).ok());
  ASSERT_TRUE(ReplyMessage(*store_, *cat_, city, m2->id, "您好！可以预约。", kT0 + 2 * kDay).ok());
  auto published = PublishMessage(*store_, *cat_, city, m2->id, true, kT0 + 2 * kDay);
  ASSERT_TRUE(published.ok());
  EXPECT_TRUE(published->published);
  auto stats = store_->CitizenMessageStatsAll();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->received, 2);
  EXPECT_EQ(stats->answered, 2);
  EXPECT_NEAR(stats->average_days, 2.5, 1e-9);
}

TEST_F(MessagesTest, UnansweredMessagesAreFlaggedAfterTheConfiguredDays) {
  storage::CitizenMessageRecord m;
  m.created = kT0;
  const Deadlines d = DeadlinesOf({{"message_warn_days", "10"}, {"message_limit_days", "30"}});
  EXPECT_EQ(d.warn_days, 10);
  EXPECT_EQ(d.limit_days, 30);
  EXPECT_EQ(FlagOf(m, d, kT0 + 9 * kDay), "");
  EXPECT_EQ(FlagOf(m, d, kT0 + 10 * kDay), "warning");
  EXPECT_EQ(FlagOf(m, d, kT0 + 30 * kDay), "overdue");
  m.status = "answered";
  EXPECT_EQ(FlagOf(m, d, kT0 + 300 * kDay), "");
  const Deadlines def = DeadlinesOf({});
  EXPECT_EQ(def.limit_days, 90);
  EXPECT_EQ(def.warn_days, 60);
}

TEST(QueryCode, IsReadAsTyped) {
  EXPECT_EQ(NormalizeQueryCode("k7qm-2xpa 9hdt"), "K7QM2XPA9HDT");
  EXPECT_EQ(NormalizeQueryCode("short"), "");
  EXPECT_EQ(FormatQueryCode("K7QM2XPA9HDT"), "K7QM-2XPA-9HDT");
}

}  // namespace
}  // namespace weijian::portal
