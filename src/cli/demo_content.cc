#include "cli/demo_content.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>

#include "auth/password.h"
#include "cli/demo_approval.h"
#include "cli/demo_rules.h"
#include "core/date.h"
#include "core/period.h"
#include "core/uid.h"
#include "metadata/bundle.h"
#include "metadata/catalog.h"

namespace weijian::cli {

namespace {

using nlohmann::json;
using storage::DataValueWrite;

// splitmix64: tiny, fast, and the same on every platform, so the demo is reproducible.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t Next() {
    std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double Uniform(double lo, double hi) { return lo + (hi - lo) * (Next() >> 11) * 0x1.0p-53; }

 private:
  std::uint64_t s_;
};

// Splits `total` into integer parts proportional to `weights` (largest remainder), so that the
// parts add up to `total` exactly.
std::vector<long long> Apportion(long long total, const std::vector<double>& weights) {
  std::vector<long long> out(weights.size(), 0);
  double sum = std::accumulate(weights.begin(), weights.end(), 0.0);
  if (sum <= 0 || total <= 0) return out;
  std::vector<std::pair<double, std::size_t>> remainders;
  long long assigned = 0;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    double exact = total * weights[i] / sum;
    out[i] = static_cast<long long>(std::floor(exact));
    assigned += out[i];
    remainders.push_back({exact - out[i], i});
  }
  std::sort(remainders.begin(), remainders.end(), [](auto& a, auto& b) {
    return a.first != b.first ? a.first > b.first : a.second < b.second;
  });
  for (long long k = 0; k < total - assigned; ++k) ++out[remainders[k % remainders.size()].second];
  return out;
}

// People per county at the end of 2024 (sums to 2,220,000, so that 10,789 托位 give 4.86 per
// 1,000).
const std::map<std::string, long long> kCountyPopulation2024 = {
    {"150602", 600000}, {"150603", 120000}, {"150621", 330000},
    {"150622", 370000}, {"150623", 80000},  {"150624", 160000},
    {"150625", 120000}, {"150626", 140000}, {"150627", 300000}};
// Monthly seasonality of screening and outreach work: slow in winter and at Spring Festival,
// campaigns in spring and autumn.
constexpr double kSeason[12] = {0.55, 0.6, 1.0, 1.2, 1.25, 1.1, 0.9, 0.85, 1.1, 1.3, 1.2, 0.95};
constexpr int kYears[3] = {2022, 2023, 2024};

// Per-capita yearly rates of each monthly count (the 鄂托克旗 figures divided by its population,
// roughly), and the 鄂托克旗 2023 totals that must come out exactly.
struct CountSpec {
  const char* code;
  double per_capita;          // per person per year
  long long ordos_otog_2023;  // 0: no published figure
  double season_weight;       // 1: seasonal, 0: flat
};
const CountSpec kTownshipCounts[] = {
    {"TC_DONE", 0.0170, 2748, 1},
    {"PS_DONE", 0.0072, 0, 0},
    {"PS_ABNORMAL", 0.00043, 0, 0},
    {"PS_INTERVENED", 0.00041, 0, 0},
    {"CRC_APPOINT", 0.0975, 15629, 1},
    {"CRC_REPORT", 0.0927, 14834, 1},
    {"CRC_HIGHRISK", 0.0071, 1130, 1},
    {"HPV_DOSES", 0.0074, 1178, 1},
    {"HPV_WOMEN", 0.0334, 5350, 1},
    {"EPI_DOSES", 0.16, 0, 0},
    {"HRP_REG", 0.0021, 0, 0},
    {"HRP_MANAGED", 0.00205, 0, 0},
    {"PNV_BIRTHS", 0.0080, 0, 0},
    {"PNV_VISITED", 0.0078, 0, 0},
    {"PMC_PREMARITAL", 0.0050, 0, 1},
    {"PMC_PRECONCEPTION", 0.0060, 0, 1},
    {"BRU_TESTED", 0.0218, 3486, 1},
    {"BRU_CONFIRMED", 0.0017, 276, 1},
    {"BRU_TREATED", 0.0017, 276, 1},
    {"FREE_CLINIC_EVENTS", 0.00045, 72, 1},
    {"FREE_CLINIC_SERVED", 0.204, 32643, 1},
    {"HEALTH_EDU_EVENTS", 0.0005, 80, 1},
    {"HEALTH_EDU_REACHED", 0.10, 16000, 1},
};
// Yearly tasks: done total divided by a completion ratio; 鄂托克旗 2023 as published.
struct TargetSpec {
  const char* code;
  std::vector<const char*> done;
  long long ordos_otog_2023;
};
const TargetSpec kTargets[] = {
    {"TC_TARGET", {"TC_DONE"}, 2600},
    {"PS_TARGET", {"PS_DONE"}, 0},
    {"CRC_TARGET", {"CRC_REPORT"}, 0},
    {"HPV_TARGET", {"HPV_WOMEN"}, 5942},
    {"PMC_TARGET", {"PMC_PREMARITAL", "PMC_PRECONCEPTION"}, 0},
};
// Shares of the vaccines in the national schedule's yearly doses.
constexpr double kVaccineShare[8] = {0.17, 0.05, 0.2, 0.2, 0.1, 0.1, 0.1, 0.08};

bool IsUrban(const std::string& name) {
  return name.ends_with("街道") || name.ends_with("社区") || name.ends_with("居委会");
}

class DemoBuilder {
 public:
  explicit DemoBuilder(storage::Store& store) : store_(store), rng_(20240731) {}

  Result<DemoSummary> Run() {
    WJ_ASSIGN_OR_RETURN(auto cat, metadata::Catalog::Load(store_));
    const auto* city = cat->OrgUnits().ByCode("1506");
    if (!city)
      return InvalidArgument("the demo needs the 鄂尔多斯市 tree: init with --divisions 1506");
    WJ_RETURN_IF_ERROR(ImportMetadata(*cat));
    WJ_ASSIGN_OR_RETURN(cat, metadata::Catalog::Load(store_));
    cat_ = cat;
    WJ_RETURN_IF_ERROR(PlanPopulation());
    WJ_RETURN_IF_ERROR(WriteVillageYearly());
    WJ_RETURN_IF_ERROR(WriteVillageMonthly());
    WJ_RETURN_IF_ERROR(WriteTownshipMonthly());
    WJ_RETURN_IF_ERROR(WriteChildcare());
    WJ_RETURN_IF_ERROR(AddDemoRules(store_));
    WJ_RETURN_IF_ERROR(CreateUsers());
    WJ_RETURN_IF_ERROR(BuildDemoApproval(store_));  // 2025 onwards, 上报 → 审核 (issue 11)
    return summary_;
  }

 private:
  // Facilities and data set assignments are added to the shipped metadata before one import.
  Status ImportMetadata(const metadata::Catalog& cat) {
    json bundle = json::parse(DemoMetadataJson());
    json units = json::array();
    json township_hc = json::array(), community_hc = json::array(), cdc = json::array(),
         childcare = json::array();
    json villages = json::array(), counties = json::array();
    auto add = [&](const storage::OrgUnitRecord& parent, const std::string& code,
                   const std::string& name, const std::string& type, json& group) {
      units.push_back({{"code", code},
                       {"name", name},
                       {"shortName", name},
                       {"parent", {{"code", parent.code}}},
                       {"facilityType", type},
                       {"openingDate", "2010-01-01"}});
      group.push_back({{"code", code}});
      ++summary_.facilities;
    };
    const auto* city = cat.OrgUnits().ByCode("1506");
    // The city's CDC sits in 康巴什区, where the city government is; hanging it directly under the
    // city would put a facility among the 旗/区 at level 3.
    if (const auto* kangbashi = cat.OrgUnits().ByCode("150603"))
      add(*kangbashi, "1506CDC", "鄂尔多斯市疾病预防控制中心", "疾控中心", cdc);
    for (const auto* county : cat.ChildrenOf(city->id)) {
      counties.push_back({{"code", county->code}});
      add(*county, county->code + "CDC", county->name + "疾病预防控制中心", "疾控中心", cdc);
      add(*county, county->code + "TY01", county->name + "普惠托育服务中心", "托育机构", childcare);
      for (const auto* township : cat.ChildrenOf(county->id)) {
        bool urban = IsUrban(township->name);
        std::string base = township->name;
        if (urban) {
          add(*township, township->code + "H01", base + "社区卫生服务中心", "社区卫生服务中心",
              community_hc);
        } else {
          add(*township, township->code + "H01", base + "卫生院", "卫生院", township_hc);
        }
        for (const auto* v : cat.ChildrenOf(township->id)) villages.push_back({{"code", v->code}});
      }
    }
    json clinics = township_hc;
    for (const auto& c : community_hc) clinics.push_back(c);
    bundle["organisationUnits"] = units;
    for (auto& ds : bundle["dataSets"]) {
      std::string code = ds["code"];
      if (code == "DS_TOWNSHIP_MONTHLY" || code == "DS_TOWNSHIP_TARGETS")
        ds["organisationUnits"] = clinics;
      if (code == "DS_VILLAGE_MONTHLY" || code == "DS_VILLAGE_YEARLY")
        ds["organisationUnits"] = villages;
      if (code == "DS_CHILDCARE") ds["organisationUnits"] = counties;
    }
    for (auto& g : bundle["organisationUnitGroups"]) {
      std::string code = g["code"];
      if (code == "OUG_TOWNSHIP_HC") g["organisationUnits"] = township_hc;
      if (code == "OUG_COMMUNITY_HC") g["organisationUnits"] = community_hc;
      if (code == "OUG_CDC") g["organisationUnits"] = cdc;
      if (code == "OUG_CHILDCARE") g["organisationUnits"] = childcare;
    }
    auto report = metadata::ImportMetadata(bundle, cat, store_);
    return report.ok() ? Status::Ok() : report.status();
  }

  // Village populations: each county's 2024 total spread over its villages (towns bigger than
  // pastoral gacha), then 2022 and 2023 a little smaller.
  Status PlanPopulation() {
    const auto* city = cat_->OrgUnits().ByCode("1506");
    for (const auto* county : Divisions(city->id)) {
      std::vector<const storage::OrgUnitRecord*> vs;
      std::vector<double> w;
      for (const auto* township : Divisions(county->id)) {
        for (const auto* v : Divisions(township->id)) {
          vs.push_back(v);
          w.push_back((IsUrban(v->name) || IsUrban(township->name) ? 4.0 : 1.0) *
                      rng_.Uniform(0.6, 1.4));
        }
      }
      auto parts = Apportion(kCountyPopulation2024.at(county->code), w);
      for (std::size_t i = 0; i < vs.size(); ++i) {
        pop_[vs[i]->id][2024] = parts[i];
        pop_[vs[i]->id][2023] = std::llround(parts[i] * 0.992);
        pop_[vs[i]->id][2022] = std::llround(parts[i] * 0.985);
      }
    }
    return Status::Ok();
  }

  long long Population(const storage::OrgUnitRecord& unit, int year) const {
    long long total = 0;
    if (auto it = pop_.find(unit.id); it != pop_.end()) return it->second.at(year);
    for (const auto* c : Divisions(unit.id)) total += Population(*c, year);
    return total;
  }

  // Administrative children only (facilities hang below units too).
  std::vector<const storage::OrgUnitRecord*> Divisions(std::int64_t id) const {
    auto all = cat_->ChildrenOf(id);
    std::erase_if(all, [](const auto* u) { return !u->facility_type.empty(); });
    return all;
  }

  const storage::DataElementRecord& De(const char* code) const {
    return *cat_->DataElements().ByCode(code);
  }
  Result<std::int64_t> PeriodId(const Period& p) {
    return store_.EnsurePeriod(
        {0, p.Id(), PeriodTypeName(p.type), FormatIsoDate(p.start), FormatIsoDate(p.end)});
  }
  std::vector<const storage::CategoryOptionComboRecord*> Cocs(
      const storage::DataElementRecord& de) {
    return cat_->CombosOf(de.combo_uid);
  }

  void Add(const storage::DataElementRecord& de, std::int64_t pe, std::int64_t ou,
           const storage::CategoryOptionComboRecord& coc, long long value) {
    DataValueWrite w;
    w.key = {de.id, pe, ou, coc.id, cat_->DefaultCoc()->id};
    w.value = std::to_string(value);
    batch_.push_back(std::move(w));
  }

  Status Flush() {
    if (batch_.empty()) return Status::Ok();
    WJ_ASSIGN_OR_RETURN(auto counts, store_.WriteDataValues(batch_, "demo", NowMillis()));
    summary_.data_values += counts.imported + counts.updated;
    batch_.clear();
    return Status::Ok();
  }

  // Which (unit, year, month) reports are missing: a handful of villages and clinics late in
  // 2024, and scattered gaps elsewhere.
  bool Missing(std::int64_t unit, int year, int month) {
    std::uint64_t h = static_cast<std::uint64_t>(unit) * 1000003u + year * 13u + month;
    Rng r(h);
    if (year == 2024 && month >= 11 && unit % 17 == 0) return true;
    return r.Uniform(0, 1) < 0.015;
  }

  Status WriteVillageYearly() {
    const auto& pop = De("POP_TOTAL");
    const auto& women = De("POP_WOMEN_35_64");
    const auto& vc_total = De("VC_TOTAL");
    const auto& vc_std = De("VC_STANDARD");
    const auto* def = cat_->DefaultCoc();
    for (int y : kYears) {
      WJ_ASSIGN_OR_RETURN(auto pe, PeriodId(*ParsePeriod(std::to_string(y))));
      for (const auto& [unit, by_year] : pop_) {
        long long p = by_year.at(y);
        Add(pop, pe, unit, *def, p);
        Add(women, pe, unit, *def, std::llround(p * 0.205));
        Add(vc_total, pe, unit, *def, 1);
        // More clinics meet the standard each year.
        double share = y == 2022 ? 0.72 : y == 2023 ? 0.84 : 0.93;
        Rng r(static_cast<std::uint64_t>(unit) * 7919u);
        Add(vc_std, pe, unit, *def, r.Uniform(0, 1) < share ? 1 : 0);
      }
    }
    return Flush();
  }

  // 严重精神障碍 registers (stocks, reported every month) and village clinic visits.
  Status WriteVillageMonthly() {
    const auto& reg = De("SMI_REGISTERED");
    const auto& managed = De("SMI_MANAGED");
    const auto& visits = De("VC_VISITS");
    const auto* def = cat_->DefaultCoc();
    auto sex = Cocs(reg);
    for (const auto& [unit, by_year] : pop_) {
      Rng r(static_cast<std::uint64_t>(unit) * 104729u);
      double prevalence = r.Uniform(0.0032, 0.0048);
      double managed_share = r.Uniform(0.90, 0.985);
      for (int y : kYears) {
        for (int m = 1; m <= 12; ++m) {
          if (Missing(unit, y, m)) continue;
          WJ_ASSIGN_OR_RETURN(auto pe,
                              PeriodId(PeriodContaining(PeriodType::kMonthly, MakeDate(y, m, 1))));
          double growth = 1.0 + 0.004 * ((y - 2022) * 12 + m);
          long long total = std::llround(by_year.at(y) * prevalence * growth);
          long long male = std::llround(total * 0.54);
          long long parts[2] = {male, total - male};
          for (int s = 0; s < 2 && s < static_cast<int>(sex.size()); ++s) {
            Add(reg, pe, unit, *sex[s], parts[s]);
            Add(managed, pe, unit, *sex[s],
                std::min(parts[s], static_cast<long long>(std::floor(parts[s] * managed_share))));
          }
          Add(visits, pe, unit, *def,
              std::llround(by_year.at(y) * 0.12 * kSeason[m - 1] * r.Uniform(0.85, 1.15)));
        }
      }
    }
    return Flush();
  }

  // Monthly counts of each township clinic, and the yearly tasks.
  Status WriteTownshipMonthly() {
    const auto* city = cat_->OrgUnits().ByCode("1506");
    for (const auto* county : Divisions(city->id)) {
      // The clinics of the county with the population they serve.
      std::vector<std::pair<const storage::OrgUnitRecord*, const storage::OrgUnitRecord*>> clinics;
      for (const auto* township : Divisions(county->id))
        for (const auto* c : cat_->ChildrenOf(township->id))
          if (c->facility_type == "卫生院" || c->facility_type == "社区卫生服务中心")
            clinics.push_back({c, township});
      Rng county_rng(std::hash<std::string>{}(county->code));
      for (int y : kYears) {
        std::map<std::string, long long> totals;
        double county_factor = county_rng.Uniform(0.85, 1.15);
        for (const auto& spec : kTownshipCounts) {
          const auto& de = De(spec.code);
          auto cocs = Cocs(de);
          // Cells: clinic × month × disaggregation, weighted by population and season.
          struct Cell {
            std::int64_t unit;
            int month;
            std::size_t coc;
          };
          std::vector<Cell> cells;
          std::vector<double> weights;
          Rng cell_rng(std::hash<std::string>{}(county->code + spec.code) + y);
          for (const auto& [clinic, township] : clinics) {
            double pop = static_cast<double>(Population(*township, y));
            for (int m = 1; m <= 12; ++m) {
              if (Missing(clinic->id, y, m)) continue;
              double season = 1 + spec.season_weight * (kSeason[m - 1] - 1);
              for (std::size_t k = 0; k < cocs.size(); ++k) {
                double share = cocs.size() == 8   ? kVaccineShare[k]
                               : cocs.size() == 2 ? (k ? 0.42 : 0.58)
                                                  : 1.0;
                cells.push_back({clinic->id, m, k});
                weights.push_back(pop * season * share * cell_rng.Uniform(0.8, 1.2));
              }
            }
          }
          long long total;
          if (county->code == "150624" && y == 2023 && spec.ordos_otog_2023 > 0) {
            total = spec.ordos_otog_2023;
          } else {
            double trend = 1.0 + 0.05 * (y - 2022);
            total = std::llround(spec.per_capita * Population(*county, y) * county_factor * trend);
          }
          totals[spec.code] = total;
          auto parts = Apportion(total, weights);
          for (std::size_t i = 0; i < cells.size(); ++i) {
            WJ_ASSIGN_OR_RETURN(
                auto pe,
                PeriodId(PeriodContaining(PeriodType::kMonthly, MakeDate(y, cells[i].month, 1))));
            Add(de, pe, cells[i].unit, *cocs[cells[i].coc], parts[i]);
          }
        }
        // Tasks for the year, spread over the clinics by population.
        WJ_ASSIGN_OR_RETURN(auto year_pe, PeriodId(*ParsePeriod(std::to_string(y))));
        for (const auto& t : kTargets) {
          long long done = 0;
          for (const char* d : t.done) done += totals[d];
          long long target = (county->code == "150624" && y == 2023 && t.ordos_otog_2023 > 0)
                                 ? t.ordos_otog_2023
                                 : std::llround(done / county_rng.Uniform(0.82, 1.08));
          std::vector<double> w;
          for (const auto& [clinic, township] : clinics)
            w.push_back(static_cast<double>(Population(*township, y)));
          auto parts = Apportion(target, w);
          for (std::size_t i = 0; i < clinics.size(); ++i)
            Add(De(t.code), year_pe, clinics[i].first->id, *cat_->DefaultCoc(), parts[i]);
        }
        WJ_RETURN_IF_ERROR(Flush());
      }
    }
    return Status::Ok();
  }

  // 托育: institutions and slots per county, growing month by month to 207 and 10,789 for the
  // city at the end of 2024.
  Status WriteChildcare() {
    const auto& inst = De("CHILDCARE_INSTITUTIONS");
    const auto& slots = De("CHILDCARE_SLOTS");
    const auto* def = cat_->DefaultCoc();
    const auto* city = cat_->OrgUnits().ByCode("1506");
    std::vector<const storage::OrgUnitRecord*> counties = Divisions(city->id);
    std::vector<double> w, w_slots;
    // Supply is not proportional to population: some 旗/区 have far more slots per 1,000 people
    // than others (a factor of 0.55 to 1.6, fixed per county so the demo is the same each run).
    for (const auto* c : counties) {
      w.push_back(static_cast<double>(Population(*c, 2024)));
      Rng r(static_cast<std::uint64_t>(c->id) * 2654435761u + 17u);
      w_slots.push_back(w.back() * r.Uniform(0.55, 1.6));
    }
    for (int y : kYears) {
      for (int m = 1; m <= 12; ++m) {
        // Linear growth from 45% of the final size in January 2022.
        double f = 0.45 + 0.55 * ((y - 2022) * 12 + (m - 1)) / 35.0;
        auto inst_parts = Apportion(std::llround(207 * f), w_slots);
        auto slot_parts = Apportion(std::llround(10789 * f), w_slots);
        WJ_ASSIGN_OR_RETURN(auto pe,
                            PeriodId(PeriodContaining(PeriodType::kMonthly, MakeDate(y, m, 1))));
        for (std::size_t i = 0; i < counties.size(); ++i) {
          Add(inst, pe, counties[i]->id, *def, inst_parts[i]);
          Add(slots, pe, counties[i]->id, *def, slot_parts[i]);
        }
      }
    }
    return Flush();
  }

  // The people a visitor can sign in as, each with a fresh one-time password.
  Status CreateUsers() {
    struct Spec {
      const char* username;
      const char* display;
      const char* role;
      const char* unit_code;
    };
    const auto* otog = cat_->OrgUnits().ByCode("150624");
    std::string township_code, health_centre_code;
    if (otog)
      for (const auto* t : Divisions(otog->id))
        if (!IsUrban(t->name)) {
          township_code = t->code;
          // The township's 卫生院, where its children are vaccinated (the 接种员's unit).
          for (const auto* c : cat_->ChildrenOf(t->id))
            if (c->facility_type == "卫生院") health_centre_code = c->code;
          break;
        }
    const Spec specs[] = {
        {"city_admin", "市卫健委信息科管理员", "admin", "1506"},
        {"etuoke_officer", "鄂托克旗卫健委妇幼股", "approver", "150624"},
        {"township_clerk", "乡镇卫生院统计员", "entry", township_code.c_str()},
        {"site_editor", "市卫健委宣传科编辑", "editor", "1506"},
        {"vaccinator", "卫生院接种员", "entry", health_centre_code.c_str()},
    };
    for (const auto& s : specs) {
      const auto* unit = cat_->OrgUnits().ByCode(s.unit_code);
      if (!unit) continue;
      std::string password = auth::GeneratePassword();
      WJ_ASSIGN_OR_RETURN(std::string hash, auth::HashPassword(password));
      storage::UserRecord u;
      u.uid = RandomUid();
      u.username = s.username;
      u.display_name = s.display;
      u.password_hash = hash;
      u.roles = {s.role};
      if (std::string(s.role) != "admin") u.roles.push_back("viewer");
      u.capture_org_unit_ids = {unit->id};
      u.view_org_unit_ids = {unit->id};
      u.created = NowMillis();
      WJ_RETURN_IF_ERROR(store_.CreateUser(u).status());
      summary_.users.push_back({s.username, s.role, unit->name, password});
    }
    return Status::Ok();
  }

  storage::Store& store_;
  Rng rng_;
  std::shared_ptr<const metadata::Catalog> cat_;
  std::map<std::int64_t, std::map<int, long long>> pop_;  // village → year → people
  std::vector<DataValueWrite> batch_;
  DemoSummary summary_;
};

}  // namespace

Result<DemoSummary> BuildDemo(storage::Store& store) { return DemoBuilder(store).Run(); }

namespace {
constexpr char kDemoStoreSetting[] = "demo_store";
}

Status MarkDemoStore(storage::Store& store) {
  return store.SaveSiteSettings({{kDemoStoreSetting, "1"}});
}

Result<bool> IsDemoStore(storage::Store& store) {
  WJ_ASSIGN_OR_RETURN(auto settings, store.LoadSiteSettings());
  auto it = settings.find(kDemoStoreSetting);
  return it != settings.end() && it->second == "1";
}

Result<std::vector<DemoUser>> ResetDemoPasswords(storage::Store& store) {
  WJ_ASSIGN_OR_RETURN(auto cat, metadata::Catalog::Load(store));
  std::vector<DemoUser> out;
  for (const char* name :
       {"city_admin", "etuoke_officer", "township_clerk", "site_editor", "vaccinator"}) {
    WJ_ASSIGN_OR_RETURN(auto user, store.FindUser(name));
    if (!user) continue;
    std::string password = auth::GeneratePassword();
    WJ_ASSIGN_OR_RETURN(user->password_hash, auth::HashPassword(password));
    WJ_RETURN_IF_ERROR(store.UpdateUser(*user));
    WJ_RETURN_IF_ERROR(store.DeleteUserSessions(user->id));
    const auto* unit = user->capture_org_unit_ids.empty()
                           ? nullptr
                           : cat->OrgUnits().ById(user->capture_org_unit_ids.front());
    out.push_back({user->username, user->roles.empty() ? "" : user->roles.front(),
                   unit ? unit->name : "", password});
  }
  return out;
}

}  // namespace weijian::cli
