// The demo's validation rules and the repair of its drawn values (see demo_rules.h).
//
// The demo draws each count per clinic and month independently (±20 %), so a pair such as
// 布病规范治疗人数 / 布病确诊病例数, equal in total, fails in about half of its cells. A real
// clinic does not report that: the repair moves the excess of each failing cell to cells of the
// same county and year that have room, so each county-year total (and every published figure)
// stays as drawn. Runs once, at demo build; a few thousand writes in one transaction.
#include "cli/demo_rules.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>

#include "core/date.h"
#include "core/period.h"
#include "metadata/bundle.h"
#include "metadata/catalog.h"
#include "validation/validation.h"

namespace weijian::cli {

namespace {

using nlohmann::json;

struct DemoRule {
  const char* code;
  const char* name;
  const char* left;
  const char* op;
  const char* right;
  const char* importance;
  const char* instruction;
  const char* period_type;
  const char* strategy;
};

// Left ≤ right pairs are repaired in this order (a chain's outer pair first).
const DemoRule kRules[] = {
    {"VR_PS_ABN", "产前筛查高风险人数不超过筛查人数", "#{PS_ABNORMAL}", "less_than_or_equal_to",
     "#{PS_DONE}", "HIGH", "产前筛查高风险人数不应多于产前筛查人数，请核对。", "Monthly",
     "SKIP_IF_ANY_VALUE_MISSING"},
    {"VR_PS_INT", "高危干预人数不超过高风险人数", "#{PS_INTERVENED}", "less_than_or_equal_to",
     "#{PS_ABNORMAL}", "HIGH", "产前筛查高风险干预人数不应多于高风险人数，请核对。", "Monthly",
     "SKIP_IF_ANY_VALUE_MISSING"},
    {"VR_CRC_REP", "结直肠癌出报告人数不超过预约人数", "#{CRC_REPORT}", "less_than_or_equal_to",
     "#{CRC_APPOINT}", "HIGH", "结直肠癌筛查出报告人数不应多于预约人数，请核对。", "Monthly",
     "SKIP_IF_ANY_VALUE_MISSING"},
    {"VR_CRC_HR", "结直肠癌高风险人数不超过出报告人数", "#{CRC_HIGHRISK}", "less_than_or_equal_to",
     "#{CRC_REPORT}", "HIGH", "结直肠癌筛查高风险人数不应多于出报告人数，请核对。", "Monthly",
     "SKIP_IF_ANY_VALUE_MISSING"},
    {"VR_BRU_CONF", "布病确诊病例数不超过检测人数", "#{BRU_CONFIRMED}", "less_than_or_equal_to",
     "#{BRU_TESTED}", "HIGH", "布病确诊病例数不应多于血清学检测人数，请核对。", "Monthly",
     "SKIP_IF_ANY_VALUE_MISSING"},
    {"VR_BRU_TREAT", "布病规范治疗人数不超过确诊病例数", "#{BRU_TREATED}", "less_than_or_equal_to",
     "#{BRU_CONFIRMED}", "MEDIUM",
     "布病规范治疗人数一般不多于确诊病例数；如含往月确诊病例，请在说明中注明。", "Monthly",
     "SKIP_IF_ANY_VALUE_MISSING"},
    {"VR_HRP", "高危孕产妇规范管理人数不超过高危孕产妇人数", "#{HRP_MANAGED}",
     "less_than_or_equal_to", "#{HRP_REG}", "HIGH",
     "高危孕产妇规范管理人数不应多于高危孕产妇人数，请核对。", "Monthly",
     "SKIP_IF_ANY_VALUE_MISSING"},
    {"VR_PNV", "产后访视人数不超过活产数", "#{PNV_VISITED}", "less_than_or_equal_to",
     "#{PNV_BIRTHS}", "MEDIUM", "产后访视人数一般不多于活产数；跨月访视请在说明中注明。", "Monthly",
     "SKIP_IF_ANY_VALUE_MISSING"},
    {"VR_SMI", "严重精神障碍规范管理人数不超过在册患者数", "#{SMI_MANAGED}",
     "less_than_or_equal_to", "#{SMI_REGISTERED}", "HIGH",
     "严重精神障碍规范管理人数不应多于在册患者数，请核对。", "Monthly",
     "SKIP_IF_ANY_VALUE_MISSING"},
    {"VR_VC", "达标村卫生室数不超过村卫生室数", "#{VC_STANDARD}", "less_than_or_equal_to",
     "#{VC_TOTAL}", "HIGH", "达标村卫生室数不应多于村卫生室数，请核对。", "Yearly",
     "SKIP_IF_ANY_VALUE_MISSING"},
    {"VR_CLINIC_PAIR", "义诊场次与服务人次同时填报", "#{FREE_CLINIC_EVENTS}", "compulsory_pair",
     "#{FREE_CLINIC_SERVED}", "LOW", "填写了义诊场次，也请填写义诊服务人次（反之亦然）。",
     "Monthly", "NEVER_SKIP"},
    {"VR_EDU_PAIR", "健康科普场次与服务人次同时填报", "#{HEALTH_EDU_EVENTS}", "compulsory_pair",
     "#{HEALTH_EDU_REACHED}", "LOW", "填写了健康科普活动场次，也请填写服务人次（反之亦然）。",
     "Monthly", "NEVER_SKIP"},
};

// The county (level 3) above a unit, or 0.
std::int64_t CountyOf(const metadata::Catalog& cat, std::int64_t unit) {
  for (const auto* a : cat.AncestorsAndSelf(unit))
    if (a->level == 3) return a->id;
  return 0;
}

// Moves the excess of each cell where left > right to cells of the same county, year and option
// combo with room (right − left > 0), largest room first; totals of `left` stay the same.
Status Repair(storage::Store& store, const metadata::Catalog& cat,
              const std::map<std::int64_t, int>& year_of, const char* left_code,
              const char* right_code, std::vector<storage::DataValueWrite>& writes) {
  const auto* l = cat.DataElements().ByCode(left_code);
  const auto* r = cat.DataElements().ByCode(right_code);
  if (!l || !r) return Status::Ok();
  storage::DataValueExportFilter f;
  f.data_element_ids = {l->id, r->id};
  for (const auto& [pid, year] : year_of) f.period_ids.push_back(pid);
  for (const auto& u : cat.org_units()) f.org_unit_ids.push_back(u.id);
  // (unit, period, coc) → {left, right}
  struct Pair {
    storage::DataValueKey key;  // of the left value
    long long left = 0, right = 0;
    bool has_left = false, has_right = false;
  };
  std::map<std::tuple<std::int64_t, std::int64_t, std::int64_t>, Pair> cells;
  WJ_RETURN_IF_ERROR(store.ExportDataValues(f, [&](const storage::DataValueRecord& v) {
    auto& p = cells[{v.key.org_unit_id, v.key.period_id, v.key.coc_id}];
    long long x = std::atoll(v.value.c_str());
    if (v.key.data_element_id == l->id) {
      p.key = v.key;
      p.left = x;
      p.has_left = true;
    } else {
      p.right = x;
      p.has_right = true;
    }
    return Status::Ok();
  }));
  // Group by (county, year, coc).
  std::map<std::tuple<std::int64_t, int, std::int64_t>, std::vector<Pair*>> groups;
  for (auto& [k, p] : cells)
    if (p.has_left && p.has_right)
      groups[{CountyOf(cat, std::get<0>(k)), year_of.at(std::get<1>(k)), std::get<2>(k)}].push_back(
          &p);
  for (auto& [g, pairs] : groups) {
    long long excess = 0;
    std::vector<Pair*> changed;
    for (auto* p : pairs)
      if (p->left > p->right) {
        excess += p->left - p->right;
        p->left = p->right;
        changed.push_back(p);
      }
    if (!excess) continue;
    std::sort(pairs.begin(), pairs.end(),
              [](Pair* a, Pair* b) { return a->right - a->left > b->right - b->left; });
    for (auto* p : pairs) {
      if (!excess) break;
      long long room = std::min(excess, p->right - p->left);
      if (room <= 0) break;
      p->left += room;
      excess -= room;
      changed.push_back(p);
    }
    for (auto* p : changed) {
      storage::DataValueWrite w;
      w.key = p->key;
      w.value = std::to_string(p->left);
      writes.push_back(std::move(w));
    }
  }
  return Status::Ok();
}

}  // namespace

Status AddDemoRules(storage::Store& store) {
  WJ_ASSIGN_OR_RETURN(auto cat, metadata::Catalog::Load(store));
  json rules = json::array();
  json township = json::array(), village = json::array();
  for (const auto& r : kRules) {
    rules.push_back(
        {{"code", r.code},
         {"name", r.name},
         {"instruction", r.instruction},
         {"importance", r.importance},
         {"operator", r.op},
         {"periodType", r.period_type},
         {"leftSide", {{"expression", r.left}, {"missingValueStrategy", r.strategy}}},
         {"rightSide", {{"expression", r.right}, {"missingValueStrategy", r.strategy}}}});
    std::string code = r.code;
    (code == "VR_SMI" || code == "VR_VC" ? village : township).push_back({{"code", r.code}});
  }
  json bundle = {
      {"validationRules", rules},
      {"validationRuleGroups",
       {{{"code", "VRG_TOWNSHIP"},
         {"name", "乡镇卫生院公共卫生月报审核"},
         {"validationRules", township}},
        {{"code", "VRG_VILLAGE"}, {"name", "村卫生室报表审核"}, {"validationRules", village}}}}};
  metadata::MetadataImportOptions with_rules;
  with_rules.check_expression = validation::ExpressionChecker();
  WJ_RETURN_IF_ERROR(metadata::ImportMetadata(bundle, *cat, store, with_rules).status());

  // Repair the drawn values, ≤ pairs only, in the order above.
  WJ_ASSIGN_OR_RETURN(auto periods, store.LoadPeriods());
  std::map<std::int64_t, int> year_of;
  for (const auto& p : periods)
    if (p.period_type == "Monthly" || p.period_type == "Yearly")
      year_of[p.id] = std::atoi(p.iso.substr(0, 4).c_str());
  for (const auto& r : kRules) {
    if (std::string(r.op) != "less_than_or_equal_to") continue;
    auto strip = [](std::string e) { return e.substr(2, e.size() - 3); };
    std::vector<storage::DataValueWrite> writes;
    WJ_RETURN_IF_ERROR(
        Repair(store, *cat, year_of, strip(r.left).c_str(), strip(r.right).c_str(), writes));
    if (!writes.empty())
      WJ_RETURN_IF_ERROR(store.WriteDataValues(writes, "demo", NowMillis()).status());
  }

  // A few realistic failures: 鄂托克旗's clinics in the last month of the data, the first two
  // intervening in more cases than they found at high risk (the story of issue 11).
  const auto* county = cat->OrgUnits().ByCode("150624");
  const auto* ps_int = cat->DataElements().ByCode("PS_INTERVENED");
  const auto* ps_abn = cat->DataElements().ByCode("PS_ABNORMAL");
  if (!county || !ps_int || !ps_abn || year_of.empty()) return Status::Ok();
  std::int64_t last_month = 0;
  std::string last_iso;
  for (const auto& p : periods)
    if (p.period_type == "Monthly" && p.iso > last_iso) {
      last_iso = p.iso;
      last_month = p.id;
    }
  std::vector<storage::DataValueWrite> writes;
  int injected = 0;
  for (const auto& u : cat->org_units()) {
    if (injected == 2) break;
    if (u.facility_type != "卫生院" || !cat->tree().IsInSubtree(u.id, county->id)) continue;
    WJ_ASSIGN_OR_RETURN(auto abn,
                        store.GetDataValue({ps_abn->id, last_month, u.id, cat->DefaultCoc()->id,
                                            cat->DefaultCoc()->id}));
    if (!abn || abn->deleted) continue;
    storage::DataValueWrite w;
    w.key = {ps_int->id, last_month, u.id, cat->DefaultCoc()->id, cat->DefaultCoc()->id};
    w.value = std::to_string(std::atoll(abn->value.c_str()) + 3 + injected * 4);
    writes.push_back(std::move(w));
    ++injected;
  }
  if (!writes.empty())
    WJ_RETURN_IF_ERROR(store.WriteDataValues(writes, "demo", NowMillis()).status());
  return Status::Ok();
}

}  // namespace weijian::cli
