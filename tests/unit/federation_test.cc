// Federation's protocol without sockets (issue 16 item 6): a county store pushes through a
// transport that hands each request to ReceiveFederatedBatch on a city store, as the city's
// /api/dataValueSets does. The loopback test with real servers is tests/cli/federation_test.sh.
#include "exchange/federation.h"

#include <gtest/gtest.h>

#include "core/date.h"
#include "metadata/bundle.h"
#include "unit/test_support.h"

namespace weijian {
namespace {

using nlohmann::json;

json Bundle() {
  return json::parse(R"({
    "dataElements":[{"code":"DE_FA","name":"甲","valueType":"INTEGER_ZERO_OR_POSITIVE"},
                    {"code":"DE_FB","name":"乙","valueType":"INTEGER_ZERO_OR_POSITIVE"}],
    "dataSets":[{"code":"DS_FED","name":"联邦测试月报","periodType":"Monthly",
      "dataSetElements":[{"dataElement":{"code":"DE_FA"}},{"dataElement":{"code":"DE_FB"}}],
      "organisationUnits":[{"code":"150624"},{"code":"150624100"},{"code":"150624101"}]}],
    "dataApprovalLevels":[{"code":"DAL_C","name":"旗/区级","orgUnitLevel":3}],
    "dataApprovalWorkflows":[{"code":"WF_FED","name":"联邦测试审核","periodType":"Monthly",
      "dataApprovalLevels":[{"code":"DAL_C"}],"dataSets":[{"code":"DS_FED"}]}]})");
}

struct Instance {
  std::unique_ptr<storage::Store> store;
  std::shared_ptr<const metadata::Catalog> cat;
  std::unique_ptr<exchange::DataValueService> values;
  void Load() {
    cat = *metadata::Catalog::Load(*store);
    values = std::make_unique<exchange::DataValueService>(*store);
  }
};

class FederationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (auto* in : {&county_, &city_}) {
      in->store = testing::MakeOrdosStore(dir_.File(in == &county_ ? "c.db" : "city.db"), false);
      auto empty = metadata::Catalog::Load(*in->store);
      ASSERT_TRUE(empty.ok());
      ASSERT_TRUE(metadata::ImportMetadata(Bundle(), **empty, *in->store).ok());
      in->Load();
    }
    token_ = dir_.File("token");
    std::FILE* f = std::fopen(token_.c_str(), "w");
    std::fputs("secret-token\n", f);
    std::fclose(f);
    std::filesystem::permissions(
        token_, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }

  // A value of the county (by codes).
  void Put(const std::string& de, const std::string& pe, const std::string& ou,
           const std::string& value) {
    const auto& cat = *county_.cat;
    auto p = *ParsePeriod(pe);
    auto pid = county_.store->EnsurePeriod(
        {0, p.Id(), PeriodTypeName(p.type), FormatIsoDate(p.start), FormatIsoDate(p.end)});
    ASSERT_TRUE(pid.ok());
    storage::DataValueWrite w;
    w.key = {cat.DataElements().ByCode(de)->id, *pid, cat.OrgUnits().ByCode(ou)->id,
             cat.DefaultCoc()->id, cat.DefaultCoc()->id};
    w.value = value;
    if (value.empty()) w.mode = storage::WriteMode::kDelete;
    ASSERT_TRUE(county_.store->WriteDataValues({&w, 1}, "clerk", NowMillis()).ok());
  }
  void Approve(const std::string& pe, std::int64_t stamp) {
    storage::ApprovalChange c;
    c.put.push_back({county_.cat->controls().workflows.front().uid, pe,
                     county_.cat->OrgUnits().ByCode("150624")->id,
                     county_.cat->controls().levels.front().uid, false, "appr", stamp, ""});
    ASSERT_TRUE(county_.store->ApplyApprovalChange(c).ok());
  }
  void Unapprove(const std::string& pe) {
    storage::ApprovalChange c;
    c.remove.push_back({county_.cat->controls().workflows.front().uid, pe,
                        county_.cat->OrgUnits().ByCode("150624")->id, "", false, "", 0, ""});
    ASSERT_TRUE(county_.store->ApplyApprovalChange(c).ok());
  }
  void AddTarget(int level) {
    exchange::TargetSpec spec;
    spec.url = "http://city.invalid";
    spec.token_file = token_;
    spec.data_sets = {"DS_FED"};
    spec.level = level;
    auto t = exchange::AddFederationTarget(spec, *county_.cat, *county_.store);
    ASSERT_TRUE(t.ok()) << t.status().message();
    EXPECT_EQ(t->source, "150624");
  }

  // The city's /api/dataValueSets for a federated push, in process.
  exchange::HttpExchange Receive(const std::map<std::string, std::string>& headers,
                                 const std::string& body) {
    ++requests_;
    if (fail_next_ > 0) {
      --fail_next_;
      return {0, "", "connection refused"};
    }
    EXPECT_EQ(headers.at("Authorization"), "ApiToken secret-token");
    auto batch = exchange::FederatedBatchFromHeaders([&](const std::string& name) {
      for (const auto& [k, v] : headers) {
        std::string lower = k;
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (lower == name) return v;
      }
      return std::string();
    });
    EXPECT_TRUE(batch.ok() && *batch);
    exchange::ImportOptions o;
    o.user = "county";
    o.schemes_given = true;
    EXPECT_TRUE(exchange::ParseImportOption(o, "idScheme", "code").ok());
    o.can_write = can_write_;
    const auto format = headers.at("Content-Type") == "application/adx+xml"
                            ? exchange::ImportFormat::kAdx
                            : exchange::ImportFormat::kJson;
    auto r = exchange::ReceiveFederatedBatch(**batch, exchange::OpenString(body), format, o,
                                             *city_.cat, *city_.values);
    EXPECT_TRUE(r.ok()) << r.status().message();
    outcomes_.push_back(r->outcome);
    json j = {{"response", r->summary.ToJson()}, {"federation", {{"outcome", r->outcome}}}};
    return {r->summary.status == "ERROR" ? 409 : 200, j.dump(), ""};
  }
  Result<exchange::PushReport> Push(bool retry_refused = false) {
    exchange::PushOptions o;
    o.base_delay_ms = 1;
    o.retry_refused = retry_refused;
    return exchange::PushFederation(
        *county_.store, *county_.cat, *county_.values, o,
        [&](const std::string&, const auto& headers, const std::string& body) {
          return Receive(headers, body);
        });
  }
  // The city's live values of the data set as "DE period unit=value" lines.
  std::vector<std::string> CityValues() {
    std::vector<std::string> out;
    const auto& cat = *city_.cat;
    auto periods = *city_.store->LoadPeriods();
    EXPECT_TRUE(city_.store
                    ->ScanDataValues([&](const storage::DataValueRecord& v) {
                      std::string pe;
                      for (const auto& p : periods)
                        if (p.id == v.key.period_id) pe = p.iso;
                      out.push_back(cat.DataElements().ById(v.key.data_element_id)->code + " " +
                                    pe + " " + cat.OrgUnits().ById(v.key.org_unit_id)->code + "=" +
                                    v.value);
                      return Status::Ok();
                    })
                    .ok());
    std::sort(out.begin(), out.end());
    return out;
  }

  testing::TempDir dir_;
  Instance county_, city_;
  std::string token_;
  int requests_ = 0, fail_next_ = 0;
  std::function<bool(std::int64_t)> can_write_;
  std::vector<std::string> outcomes_;
};

TEST_F(FederationTest, ApprovedBatchesArriveSummedOnceAndAPushAgainSendsNothing) {
  Put("DE_FA", "202401", "150624100", "3");
  Put("DE_FA", "202401", "150624101", "4");
  Put("DE_FB", "202401", "150624101", "5");
  Put("DE_FA", "202402", "150624100", "7");  // not approved: stays below
  AddTarget(3);
  Approve("202401", 1000);
  auto r = Push();
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->sent, 1);
  EXPECT_EQ(r->values, 2);
  const std::vector<std::string> want = {"DE_FA 202401 150624=7", "DE_FB 202401 150624=5"};
  EXPECT_EQ(CityValues(), want);
  r = Push();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->queued, 0);
  EXPECT_EQ(r->sent, 0);
  EXPECT_EQ(requests_, 1);
  EXPECT_EQ(CityValues(), want);
}

TEST_F(FederationTest, TheSameStampDeliveredTwiceChangesNothing) {
  Put("DE_FA", "202401", "150624100", "3");
  AddTarget(0);
  Approve("202401", 1000);
  ASSERT_TRUE(Push().ok());
  auto audits = city_.store->ListAudits({});
  // The outbox forgets it was sent (as after a kill -9 between the answer and the mark).
  auto rows = *county_.store->ListFedOutbox(0);
  ASSERT_EQ(rows.size(), 1u);
  rows[0].state = "PENDING";
  ASSERT_TRUE(county_.store->UpdateFedOutbox(rows[0]).ok());
  auto r = Push();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->unchanged, 1);
  EXPECT_EQ(outcomes_, (std::vector<std::string>{"APPLIED", "UNCHANGED"}));
  EXPECT_EQ(CityValues(), (std::vector<std::string>{"DE_FA 202401 150624100=3"}));
  EXPECT_EQ(city_.store->ListAudits({})->size(), audits->size());
  EXPECT_EQ(county_.store->ListFedOutbox(0)->at(0).state, "SENT");
}

TEST_F(FederationTest, ANewerStampReplacesTheBatchAndAnUnapprovalRetractsIt) {
  Put("DE_FA", "202401", "150624100", "3");
  Put("DE_FB", "202401", "150624101", "5");
  AddTarget(0);
  Approve("202401", 1000);
  ASSERT_TRUE(Push().ok());
  // Unapproved, corrected (one value changed, one removed), approved again.
  Unapprove("202401");
  Put("DE_FA", "202401", "150624100", "8");
  Put("DE_FB", "202401", "150624101", "");
  Approve("202401", 2000);
  auto r = Push();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->sent, 1);
  EXPECT_EQ(CityValues(), (std::vector<std::string>{"DE_FA 202401 150624100=8"}));
  // Unapproved again: a retraction removes what the pushes wrote.
  Unapprove("202401");
  r = Push();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->sent, 1);
  EXPECT_EQ(r->batches.at(0)["kind"], "RETRACT");
  EXPECT_TRUE(CityValues().empty());
  // An older stamp arriving late changes nothing.
  EXPECT_EQ(outcomes_.back(), "APPLIED");
}

TEST_F(FederationTest, NetworkErrorsAreRetriedWithBackOff) {
  Put("DE_FA", "202401", "150624100", "3");
  AddTarget(0);
  Approve("202401", 1000);
  fail_next_ = 2;
  auto r = Push();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->sent, 1);
  EXPECT_EQ(requests_, 3);
  EXPECT_EQ(county_.store->ListFedOutbox(0)->at(0).attempts, 3);
  // Down for longer than a run tries: the batch waits for a later run, not marked sent.
  Approve("202401", 2000);
  fail_next_ = 100;
  const std::int64_t before = NowMillis();
  r = Push();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->failed, 1);
  auto rows = *county_.store->ListFedOutbox(0);
  EXPECT_EQ(rows.back().state, "PENDING");
  EXPECT_FALSE(rows.back().last_error.empty());
  // Not due before the back-off (base 1 ms << attempts) has passed from the run's last try.
  // Measured from before the run, not against the clock after it: under ThreadSanitizer on a busy
  // machine the run and the read-back took longer than the 128 ms wait (make run-tsan, load 6).
  EXPECT_GE(rows.back().next_attempt, before + (std::int64_t{1} << rows.back().attempts));
}

TEST_F(FederationTest, ARefusedPushKeepsTheConflictsAndNothingIsMarkedSent) {
  Put("DE_FA", "202401", "150624100", "3");
  AddTarget(0);
  Approve("202401", 1000);
  can_write_ = [](std::int64_t) { return false; };  // the token's user has other units
  auto r = Push();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->refused, 1);
  EXPECT_TRUE(CityValues().empty());
  auto view = exchange::FederationTargets(*county_.store, *county_.cat);
  ASSERT_TRUE(view.ok());
  const json& t = (*view)["targets"][0];
  EXPECT_EQ(t["sent"], 0);
  ASSERT_EQ(t["failures"].size(), 1u);
  EXPECT_EQ(t["failures"][0]["state"], "REFUSED");
  EXPECT_EQ(t["failures"][0]["conflicts"][0]["errorCode"], "E7617");
  // Put right above, sent again on request.
  can_write_ = nullptr;
  r = Push(true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->sent, 1);
  EXPECT_EQ(CityValues(), (std::vector<std::string>{"DE_FA 202401 150624100=3"}));
}

// A refusal stays a failure until it is delivered or replaced: a run that meets none itself still
// reports the ones waiting (the command's exit status), and a retraction refused (a closed
// period above) is replaced by a newer approval's push, sent again on request otherwise.
// Before session 33 the second run reported nothing refused (exit 0), and the refused
// retraction stayed REFUSED for ever after the newer push was delivered.
TEST_F(FederationTest, RefusalsStayReportedUntilDeliveredOrReplaced) {
  Put("DE_FA", "202401", "150624100", "3");
  AddTarget(0);
  Approve("202401", 1000);
  can_write_ = [](std::int64_t) { return false; };
  auto r = Push();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->refused, 1);
  EXPECT_EQ(r->still_refused, 1);
  r = Push();  // nothing new to send: the refusal still waits
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->refused, 0);
  EXPECT_EQ(r->still_refused, 1);
  can_write_ = nullptr;
  r = Push(true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->sent, 1);
  EXPECT_EQ(r->still_refused, 0);

  // Unapproved while the city refuses: the retraction is refused and kept.
  Unapprove("202401");
  can_write_ = [](std::int64_t) { return false; };
  r = Push();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->refused, 1);
  EXPECT_EQ(county_.store->ListFedOutbox(0)->back().kind, "RETRACT");
  // Sent again on request once the city takes it.
  can_write_ = nullptr;
  r = Push(true);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->sent, 1);
  EXPECT_EQ(r->batches.at(0)["kind"], "RETRACT");
  EXPECT_TRUE(CityValues().empty());
  EXPECT_EQ(r->still_refused, 0);

  // Approved, pushed, unapproved and refused again; then approved anew and delivered: the
  // refused retraction is replaced by the push and is no failure any more.
  Approve("202401", 2000);
  ASSERT_TRUE(Push().ok());
  Unapprove("202401");
  can_write_ = [](std::int64_t) { return false; };
  ASSERT_EQ(Push()->refused, 1);
  can_write_ = nullptr;
  Approve("202401", 3000);
  r = Push();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->sent, 1);
  EXPECT_EQ(r->still_refused, 0);
  auto view = exchange::FederationTargets(*county_.store, *county_.cat);
  ASSERT_TRUE(view.ok());
  EXPECT_TRUE((*view)["targets"][0]["failures"].empty()) << view->dump(1);
  EXPECT_EQ(CityValues(), (std::vector<std::string>{"DE_FA 202401 150624100=3"}));
}

// A target's address is a host and a port only, at a level 1-5, and the same instance under the
// same name is not added twice (each batch would go twice).
TEST_F(FederationTest, TargetsRefuseAddressesThatCannotWorkAndDuplicates) {
  exchange::TargetSpec spec;
  spec.token_file = token_;
  spec.data_sets = {"DS_FED"};
  for (const char* url : {"http://127.0.0.1:99999", "http://127.0.0.1:0", "http://127.0.0.1:x",
                          "http://city.invalid/api?x=1", "http://user:pw@city.invalid",
                          "http://city.invalid/path", "http://:8080"}) {
    SCOPED_TRACE(url);
    spec.url = url;
    auto t = exchange::AddFederationTarget(spec, *county_.cat, *county_.store);
    EXPECT_EQ(t.status().field(), "--to");
    EXPECT_EQ(t.status().message().find("pw@"), std::string::npos) << t.status().message();
  }
  spec.url = "http://city.invalid:8080";
  spec.level = 9;
  EXPECT_EQ(exchange::AddFederationTarget(spec, *county_.cat, *county_.store).status().field(),
            "--level");
  spec.level = 3;
  ASSERT_TRUE(exchange::AddFederationTarget(spec, *county_.cat, *county_.store).ok());
  spec.url = "http://city.invalid:8080/";
  EXPECT_EQ(exchange::AddFederationTarget(spec, *county_.cat, *county_.store).status().field(),
            "--to");
  spec.source = "150624-b";  // another name at the same instance: a target of its own
  EXPECT_TRUE(exchange::AddFederationTarget(spec, *county_.cat, *county_.store).ok());
  EXPECT_EQ(county_.store->ListFedTargets()->size(), 2u);
}

TEST_F(FederationTest, TargetsRefuseTokensOthersCanReadAndDataSetsWithoutApproval) {
  exchange::TargetSpec spec;
  spec.url = "http://city.invalid";
  spec.token_file = token_;
  spec.data_sets = {"NO_SUCH"};
  auto t = exchange::AddFederationTarget(spec, *county_.cat, *county_.store);
  EXPECT_EQ(t.status().field(), "--data-set");
  spec.data_sets = {"DS_FED"};
  std::filesystem::permissions(token_, std::filesystem::perms::others_read,
                               std::filesystem::perm_options::add);
  t = exchange::AddFederationTarget(spec, *county_.cat, *county_.store);
  EXPECT_EQ(t.status().field(), "--token-file");
  spec.url = "https://city.example";
  t = exchange::AddFederationTarget(spec, *county_.cat, *county_.store);
  EXPECT_EQ(t.status().field(), "--to");
  EXPECT_TRUE(county_.store->ListFedTargets()->empty());
}

TEST_F(FederationTest, AJobLeaseIsHeldByOneServerAtATime) {
  auto& s = *county_.store;
  EXPECT_TRUE(*s.TakeJobLease("federation.push", "server-a", 1000, 60'000));
  EXPECT_FALSE(*s.TakeJobLease("federation.push", "server-b", 2000, 60'000));
  EXPECT_TRUE(*s.TakeJobLease("federation.push", "server-a", 3000, 60'000));  // renewed
  EXPECT_FALSE(*s.TakeJobLease("federation.push", "server-b", 62'000, 60'000));
  EXPECT_TRUE(*s.TakeJobLease("federation.push", "server-b", 63'001, 60'000));  // expired
  EXPECT_TRUE(*s.TakeJobLease("other.job", "server-a", 63'001, 60'000));
}

}  // namespace
}  // namespace weijian
