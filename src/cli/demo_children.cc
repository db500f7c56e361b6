// The demo's children's immunization records: 鄂托克旗's children born from six years before
// `today` to the end of last month (about 1,460 a year), each managed by his township's 卫生院
// and living in one of its villages, with the doses the national schedule asks for given on
// time (most), weeks to months late (some) or stopped part-way (a few), 建卡 within days of birth
// for most and months later for a few, and a few transfers between townships and out of the region.
//
// Deterministic: a fixed-seed generator (raw std::mt19937 outputs, no distribution objects, so
// every standard library draws the same); the same `today` gives the same records. The doses are
// chosen by the schedule engine itself (a visit gives every dose due or overdue that day), so
// every recorded dose is valid under the edition in force on its day.
//
// Workload: run once by `weijian init --demo`; about 8,800 children and 150,000 doses written in
// one transaction (each with its audit row, as a clerk's entry would have) in a few seconds.
// Then the units' vaccine stock (BuildDemoStock): a few hundred lots and movements.
#include "cli/demo_children.h"

#include <cstdio>
#include <nlohmann/json.hpp>
#include <random>

#include "metadata/catalog.h"
#include "tracker/immunization.h"
#include "tracker/person_vault.h"
#include "tracker/schedule.h"

namespace weijian::cli {

namespace {

using tracker::DoseForecast;
using tracker::DoseState;
using tracker::RecordedDose;

constexpr const char* kSurnames[] = {"王", "李", "张", "刘", "陈", "杨", "赵", "高", "郝",
                                     "乔", "白", "韩", "苏", "宝", "包", "奇", "额", "敖"};
constexpr const char* kGiven[] = {"其其格", "乌兰", "巴特尔", "苏和",   "娜仁",   "阿如汗",
                                  "朝鲁",   "萨仁", "图雅",   "额尔敦", "浩然",   "子涵",
                                  "欣怡",   "宇轩", "梓萱",   "俊杰",   "雨桐",   "嘉怡",
                                  "诗琪",   "明轩", "思远",   "宝音",   "格日乐", "哈斯"};
constexpr const char* kMothers[] = {"秀兰", "桂英", "丽娟",   "春梅", "海燕", "萨仁高娃",
                                    "乌云", "斯琴", "娜布其", "晓燕", "玉兰", "红梅"};

struct Township {
  const storage::OrgUnitRecord* manager;  // the 卫生院 (or the township without one)
  std::vector<const storage::OrgUnitRecord*> villages;
};

// Noon in China on a day, as millis.
std::int64_t DemoNoon(Date d) { return (d.time_since_epoch().count() * 86'400 + 4 * 3'600) * 1000; }

// The audit row a clerk's entry would have written (the demo's user is "demo").
storage::AuditRecord DemoAudit(std::int64_t unit, std::string object, std::string detail,
                               std::int64_t created) {
  storage::AuditRecord a;
  a.type = "TRACKER";
  a.username = "demo";
  a.org_unit_id = unit;
  a.object = std::move(object);
  a.detail = std::move(detail);
  a.created = created;
  return a;
}

// Writes a child and his doses as a clerk's entries would (each with its audit row).
Status WriteAsClerk(storage::Store& store, storage::Store::BulkChild& child) {
  auto& r = child.person;
  WJ_RETURN_IF_ERROR(store.CreateTrackedEntity(
      r, DemoAudit(r.org_unit_id, "trackedEntity " + r.uid, "儿童建档（演示）", r.created)));
  for (auto& rec : child.doses) {
    rec.tracked_entity_id = r.id;
    WJ_RETURN_IF_ERROR(store.AddImmunizationDose(
        rec, DemoAudit(r.org_unit_id, "dose " + rec.uid,
                       "登记接种 " + rec.vaccine + " " + rec.given_on + "（演示）", rec.created)));
  }
  return Status::Ok();
}

// A transfer of a written child: `to` is his record after it (id and `updated` as written).
struct Move {
  std::size_t child = 0;  // bulk: his place in the batch
  storage::TrackedEntityRecord to;
  storage::TrackedEntityTransferRecord transfer;
};

Status WriteMove(storage::Store& store, Move& m) {
  const std::int64_t was = m.to.updated;
  m.transfer.tracked_entity_id = m.to.id;
  m.to.updated = was + 1;
  return store.TransferTrackedEntity(
      m.to, was, m.transfer,
      DemoAudit(m.transfer.from_org_unit_id, "trackedEntity " + m.to.uid, "儿童迁移（演示）",
                m.transfer.created));
}

// The townships (level 4) at or below `unit`, in tree order.
void CollectTownships(const metadata::Catalog& cat, const storage::OrgUnitRecord& unit,
                      std::vector<Township>& out) {
  if (!unit.facility_type.empty()) return;
  if (unit.level < 4) {
    for (const auto* c : cat.ChildrenOf(unit.id)) CollectTownships(cat, *c, out);
    return;
  }
  if (unit.level > 4) return;
  Township tw{&unit, {}};
  for (const auto* c : cat.ChildrenOf(unit.id)) {
    if (c->facility_type == "卫生院") tw.manager = c;
    if (c->facility_type.empty()) tw.villages.push_back(c);
  }
  if (!tw.villages.empty()) out.push_back(std::move(tw));
}

}  // namespace

Result<DemoChildrenSummary> BuildDemoChildren(storage::Store& store, const std::string& key_file,
                                              Date today, const DemoChildrenOptions& o) {
  const int first_copy = o.first_copy, copies = o.copies;
  if (first_copy < 0 || copies < 1 || first_copy + copies > 1000)
    return InvalidArgument("copies are numbered 0 to 999");
  WJ_ASSIGN_OR_RETURN(tracker::PersonVault vault, tracker::PersonVault::Load(key_file));
  WJ_ASSIGN_OR_RETURN(auto cat, metadata::Catalog::Load(store));
  // Every write below keeps the children's due index.
  tracker::InstallDueIndexer(store);
  const auto* area = cat->OrgUnits().ByCode(o.area);
  if (!area) return NotFound("no division " + o.area);
  std::vector<Township> townships;
  CollectTownships(*cat, *area, townships);
  if (townships.empty()) return NotFound(area->name + " has no townships with villages");

  std::mt19937 rng(17);
  auto pick = [&](std::uint32_t n) { return static_cast<std::uint32_t>(rng() % n); };
  DemoChildrenSummary summary;
  using namespace std::chrono;
  const year_month_day now(today);
  const Date first = sys_days(year_month_day(now.year() - years(6), now.month(), day(1)));
  const Date last = sys_days(year_month_day(now.year(), now.month(), day(1))) - days(1);
  // Copy 0 is the demo's own (uids Dc… and Dd…); copy c > 0 draws from seed 17 + c and names
  // its children C<ccc><serial> and doses D<ccc><serial>.
  for (int copy = first_copy; copy < first_copy + copies; ++copy) {
    rng.seed(static_cast<std::mt19937::result_type>(17 + copy));
    int copy_doses = 0;
    auto make_uid = [&](char kind, int n) {
      char uid[16];
      if (copy == 0)
        std::snprintf(uid, sizeof uid, "D%c%09d", kind == 'C' ? 'c' : 'd', n);
      else
        std::snprintf(uid, sizeof uid, "%c%03d%07d", kind, copy, n % 10'000'000);
      return std::string(uid);
    };
    std::vector<storage::Store::BulkChild> batch;
    std::vector<Move> moves;
    Status written = store.InOneTransaction([&]() -> Status {
      int serial = 0;
      for (Date birth = first; birth <= last; birth += std::chrono::days(1)) {
        for (std::uint32_t n = pick(9); n > 0; --n) {
          ++serial;
          const Township& tw = townships[pick(static_cast<std::uint32_t>(townships.size()))];
          const auto* village = tw.villages[pick(static_cast<std::uint32_t>(tw.villages.size()))];
          // 0–79 on time, 80–94 late, 95–99 stopped part-way.
          const std::uint32_t kind = pick(100);
          const bool late = kind >= 80 && kind < 95, stops = kind >= 95;
          const Date stop_at =
              tracker::AddSpan(birth, tracker::Months(3 + static_cast<int>(pick(30))));

          // The doses: visits chosen by the schedule engine.
          std::vector<RecordedDose> doses;
          // Late children miss the birth doses' day and come weeks to months after each due day.
          Date visit = late ? birth + std::chrono::days(2 + pick(28)) : birth;
          for (int guard = 0; guard < 60 && visit <= last && !(stops && visit > stop_at); ++guard) {
            const auto& edition = tracker::EditionInForce(visit);
            std::optional<Date> next;
            for (const DoseForecast& f : tracker::Forecast(edition, birth, doses, {}, visit)) {
              if (f.state == DoseState::kDue || f.state == DoseState::kOverdue) {
                doses.push_back({f.vaccine, visit});
              } else if (f.state == DoseState::kNotYet && f.recommended) {
                if (!next || *f.recommended < *next) next = *f.recommended;
              }
            }
            if (!next) break;
            const int delay = late ? 30 + static_cast<int>(pick(150)) : static_cast<int>(pick(6));
            visit = std::max(visit + std::chrono::days(1), *next + std::chrono::days(delay));
          }

          const std::string sex = pick(2) ? "M" : "F";
          const std::string name =
              std::string(kSurnames[pick(std::size(kSurnames))]) + kGiven[pick(std::size(kGiven))];
          const std::string mother = std::string(kSurnames[pick(std::size(kSurnames))]) +
                                     kMothers[pick(std::size(kMothers))];
          std::string phone = "13";
          for (int i = 0; i < 9; ++i) phone += static_cast<char>('0' + pick(10));
          char cert[16];
          std::snprintf(cert, sizeof cert, "O%09d", 150000000 + copy * 100'000 + serial);
          const nlohmann::json sealed = {
              {"name", name},
              {"idNumber", ""},
              {"birthCertificate", cert},
              {"address", village->name + " " + std::to_string(1 + pick(80)) + " 号"},
              {"guardians", {{{"name", mother}, {"relation", "母亲"}, {"phone", phone}}}}};
          // 建卡: within days of birth for most, months later for one in ten.
          const Date carded = std::min(
              last, birth + std::chrono::days(pick(10) == 0 ? 35 + static_cast<int>(pick(120))
                                                            : 1 + static_cast<int>(pick(20))));
          storage::TrackedEntityRecord r;
          r.uid = make_uid('C', serial);
          r.org_unit_id = tw.manager->id;
          r.village_id = village->id;
          r.birth_date = FormatIsoDate(birth);
          r.sex = sex;
          r.sealed = vault.Seal(sealed.dump());
          r.key_id = vault.current_key_id();
          r.name_birth_index = vault.BlindIndex("name_birth", name + "|" + r.birth_date);
          r.created = r.updated = DemoNoon(carded);
          r.created_by = "demo";
          storage::Store::BulkChild child{std::move(r), {}};
          int k = 0;
          for (const RecordedDose& d : doses) {
            storage::ImmunizationDoseRecord rec;
            rec.uid = make_uid('D', ++copy_doses);
            rec.vaccine = d.vaccine;
            rec.given_on = FormatIsoDate(d.date);
            rec.org_unit_id = child.person.org_unit_id;
            rec.vaccinator = "演示接种员";
            rec.lot = "DEMO" + std::to_string(YearOf(d.date)) + "-" + std::to_string(++k % 3 + 1);
            rec.created = DemoNoon(std::max(d.date, carded));
            rec.created_by = "demo";
            child.doses.push_back(std::move(rec));
          }
          summary.children += 1;
          summary.doses += static_cast<int>(child.doses.size());
          if (o.bulk) {
            batch.push_back(std::move(child));
          } else {
            WJ_RETURN_IF_ERROR(WriteAsClerk(store, child));
          }
          // A few move: one in 150 to another township a year after birth, one in 300 away.
          const std::uint32_t move = pick(300);
          const Date moved_on = birth + std::chrono::days(365);
          if (move < 3 && moved_on <= last) {
            Move m;
            m.child = o.bulk ? batch.size() - 1 : 0;
            m.to = o.bulk ? batch.back().person : child.person;
            auto& t = m.transfer;
            t.from_org_unit_id = m.to.org_unit_id;
            t.transferred_on = FormatIsoDate(moved_on);
            t.created = DemoNoon(moved_on);
            t.created_by = "demo";
            if (move < 2) {
              const Township& other = townships[(&tw - townships.data() + 1) % townships.size()];
              m.to.org_unit_id = other.manager->id;
              m.to.village_id = other.villages.front()->id;
              t.direction = "MOVE";
              t.to_org_unit_id = m.to.org_unit_id;
              t.reason = "随父母迁居";
            } else {
              m.to.status = "TRANSFERRED_OUT";
              t.direction = "OUT";
              t.destination = "宁夏回族自治区银川市";
              t.reason = "随父母外出务工";
            }
            if (o.bulk)
              moves.push_back(std::move(m));
            else
              WJ_RETURN_IF_ERROR(WriteMove(store, m));
            ++summary.transfers;
          }
        }
      }
      if (!o.bulk) return Status::Ok();
      storage::AuditRecord audit =
          DemoAudit(area->id, "trackedEntities",
                    "批量生成儿童档案（基准测试）：第 " + std::to_string(copy) + " 批 " +
                        std::to_string(batch.size()) + " 名儿童",
                    DemoNoon(last));
      WJ_RETURN_IF_ERROR(store.AddTrackedEntitiesBulk(batch, std::span(&audit, 1)));
      for (Move& m : moves) {
        m.to.id = batch[m.child].person.id;
        WJ_RETURN_IF_ERROR(WriteMove(store, m));
      }
      return Status::Ok();
    });
    WJ_RETURN_IF_ERROR(written);
  }
  return summary;
}

Result<DemoStockSummary> BuildDemoStock(storage::Store& store, Date today) {
  WJ_ASSIGN_OR_RETURN(auto cat, metadata::Catalog::Load(store));
  const auto* county = cat->OrgUnits().ByCode("150624");
  if (!county) return NotFound("the demo has no 鄂托克旗 (150624)");
  std::mt19937 rng(1750);
  auto pick = [&](std::uint32_t n) { return static_cast<std::uint32_t>(rng() % n); };
  using namespace std::chrono;
  const year_month_day now(today);
  const Date received = sys_days(year_month_day(now.year(), now.month(), day(1)));
  const std::string cdc = county->name + "疾病预防控制中心";
  DemoStockSummary summary;
  std::vector<storage::VaccineStockMovementRecord> moves;
  std::vector<storage::AuditRecord> audits;
  auto add = [&](const storage::OrgUnitRecord& unit, const std::string& vaccine,
                 const std::string& lot, const std::string& kind, std::int64_t quantity, Date on,
                 Date expiry, const std::string& counterpart, const std::string& reason) {
    storage::VaccineStockMovementRecord m;
    char uid[16];
    std::snprintf(uid, sizeof uid, "Ds%09d", static_cast<int>(moves.size()) + 1);
    m.uid = uid;
    m.org_unit_id = unit.id;
    m.vaccine = vaccine;
    m.lot = lot;
    m.kind = kind;
    m.quantity = quantity;
    m.moved_on = FormatIsoDate(on);
    m.expiry = FormatIsoDate(expiry);
    m.manufacturer =
        kind == "RECEIPT" ? (pick(2) ? "北京生物制品研究所" : "成都生物制品研究所") : "";
    m.counterpart = counterpart;
    m.reason = reason;
    m.created = DemoNoon(on);
    m.created_by = "demo";
    audits.push_back(
        DemoAudit(unit.id, "stock " + m.uid,
                  std::string(kind == "RECEIPT" ? "入库 " : "报损 ") + vaccine + " 批号 " + lot +
                      " " + std::to_string(quantity < 0 ? -quantity : quantity) + " 剂（演示）",
                  m.created));
    audits.back().type = "STOCK";
    moves.push_back(std::move(m));
  };
  // The 接种单位: the 卫生院 of each township (or the township itself where it has none).
  for (const auto* t : cat->ChildrenOf(county->id)) {
    if (!t->facility_type.empty()) continue;
    const storage::OrgUnitRecord* unit = t;
    for (const auto* c : cat->ChildrenOf(t->id))
      if (c->facility_type == "卫生院") unit = c;
    const std::int64_t id = unit->id;
    WJ_ASSIGN_OR_RETURN(
        auto due, tracker::DueDosesByVaccine(store, std::span(&id, 1), today, today + days(30)));
    if (due.empty()) continue;
    ++summary.units;
    int k = 0;
    const char* expiring = nullptr;  // the vaccine with a lot expiring within weeks
    for (const auto& [vaccine, n] : due) {
      ++k;
      // Enough for the month (rounded up to a box of 10) for most; one vaccine in four short.
      const std::int64_t boxes = (n + 9) / 10 + 1;
      const std::int64_t quantity = k % 4 == 0 ? std::max<std::int64_t>(1, n * 2 / 3) : boxes * 10;
      char lot[32];
      std::snprintf(lot, sizeof lot, "%04d%02u%c%02u", static_cast<int>(now.year()),
                    static_cast<unsigned>(now.month()), 'A' + static_cast<char>(pick(6)),
                    pick(90) + 10);
      add(*unit, vaccine, lot, "RECEIPT", quantity, received, today + days(300 + pick(400)), cdc,
          "");
      ++summary.lots;
      if (!expiring && quantity >= 10) expiring = vaccine.c_str();
    }
    if (expiring) {
      add(*unit, expiring, std::string("J") + std::to_string(100 + pick(900)), "RECEIPT", 5,
          received - days(120), today + days(8 + pick(15)), cdc, "");
      ++summary.lots;
    }
    // One township in three keeps an expired lot not yet written off, and writes off a broken
    // vial today.
    if (summary.units % 3 == 1) {
      const std::string& vaccine = due.begin()->first;
      add(*unit, vaccine, std::string("X") + std::to_string(100 + pick(900)), "RECEIPT", 3,
          received - days(200), today - days(1 + pick(20)), cdc, "");
      ++summary.lots;
      const auto& first = moves[moves.size() - 1 - (expiring ? 1 : 0) - due.size()];
      const std::string broken_vaccine = first.vaccine, broken_lot = first.lot;
      add(*unit, broken_vaccine, broken_lot, "LOSS", -1, today, today, "", "西林瓶破损");
    }
  }
  summary.movements = static_cast<int>(moves.size());
  WJ_RETURN_IF_ERROR(store.ApplyStockMovements(moves, audits, nullptr, nullptr));
  return summary;
}

}  // namespace weijian::cli
