// See federation.h.
#include "exchange/federation.h"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "core/date.h"
#include "core/uid.h"
#include "exchange/approval.h"

namespace weijian::exchange {

using nlohmann::json;

namespace {

constexpr const char* kPush = "PUSH";
constexpr const char* kRetract = "RETRACT";

template <typename T>
std::string CodeOrUid(const T& r) {
  return r.code.empty() ? r.uid : r.code;
}

bool KeyLess(const storage::DataValueKey& a, const storage::DataValueKey& b) {
  return std::tie(a.data_element_id, a.period_id, a.org_unit_id, a.coc_id, a.aoc_id) <
         std::tie(b.data_element_id, b.period_id, b.org_unit_id, b.coc_id, b.aoc_id);
}

// The stored periods lying within `pe` (a month's days, weeks …): a batch's periods.
Result<std::vector<std::int64_t>> PeriodsWithin(storage::Store& store, const Period& pe) {
  WJ_ASSIGN_OR_RETURN(auto periods, store.LoadPeriods());
  std::vector<std::int64_t> out;
  for (const auto& r : periods)
    if (auto p = ParsePeriod(r.iso); p.ok() && pe.Contains(*p)) out.push_back(r.id);
  return out;
}

std::vector<std::int64_t> ElementsOf(const Catalog& cat, const storage::DataSetRecord& ds) {
  std::vector<std::int64_t> out;
  for (const auto& e : ds.elements)
    if (const auto* de = cat.DataElements().ByUid(e.data_element_uid)) out.push_back(de->id);
  return out;
}

}  // namespace

// --- upper side ---

Result<std::optional<FederatedBatch>> FederatedBatchFromHeaders(
    const std::function<std::string(const std::string&)>& header) {
  FederatedBatch b;
  b.source = header("x-federation-source");
  if (b.source.empty()) return std::optional<FederatedBatch>();
  if (b.source.size() > 100) return InvalidArgument("longer than 100 bytes", "X-Federation-Source");
  b.data_set = header("x-federation-data-set");
  b.period = header("x-federation-period");
  b.org_unit = header("x-federation-org-unit");
  for (const auto& [value, name] : {std::pair{&b.data_set, "X-Federation-Data-Set"},
                                    {&b.period, "X-Federation-Period"},
                                    {&b.org_unit, "X-Federation-Org-Unit"}})
    if (value->empty()) return InvalidArgument("missing in a federated push", name);
  const std::string stamp = header("x-federation-stamp");
  auto [end, ec] = std::from_chars(stamp.data(), stamp.data() + stamp.size(), b.stamp);
  if (ec != std::errc() || end != stamp.data() + stamp.size() || b.stamp <= 0)
    return InvalidArgument("must be the approval's time in milliseconds", "X-Federation-Stamp");
  const std::string action = header("x-federation-action");
  if (action == "retract")
    b.retract = true;
  else if (!action.empty() && action != "push")
    return InvalidArgument("must be push or retract", "X-Federation-Action");
  return std::optional<FederatedBatch>(std::move(b));
}

namespace {

// A refusal before any row is read (unknown data set, period or unit, a unit outside scope),
// as an import summary with one DHIS2 conflict.
ImportSummary Refusal(ImportFormat format, const std::string& field, const std::string& object,
                      const std::string& message, const std::string& code) {
  ImportSummary s;
  s.status = "ERROR";
  s.import_id = RandomUid();
  s.format = ImportFormatName(format);
  s.conflicts.push_back({object, message, code, field, {}});
  return s;
}

// Does a batch standing at the upper side make this one change nothing? At one stamp a
// retraction follows its push, never the other way round.
bool Stands(const storage::FedBatchRecord& standing, const FederatedBatch& b) {
  if (standing.stamp != b.stamp) return standing.stamp > b.stamp;
  return standing.action == kRetract || (standing.action == kPush && !b.retract);
}

}  // namespace

Result<FederatedReceipt> ReceiveFederatedBatch(const FederatedBatch& b, const Opener& open,
                                               ImportFormat format, const ImportOptions& options,
                                               const Catalog& cat, DataValueService& values) {
  storage::Store& store = values.store();
  const std::string source = options.user + "/" + b.source;
  storage::FedReceiptRecord receipt;
  receipt.source = source;
  receipt.username = options.user;
  receipt.data_set_uid = b.data_set;
  receipt.period = b.period;
  receipt.org_unit_uid = b.org_unit;
  receipt.stamp = b.stamp;
  receipt.action = b.retract ? kRetract : kPush;
  auto refused = [&](ImportSummary s) -> Result<FederatedReceipt> {
    receipt.outcome = "REFUSED";
    receipt.import_id = s.import_id;
    receipt.conflicts = s.ToJson()["conflicts"].dump();
    receipt.received = NowMillis();
    WJ_RETURN_IF_ERROR(store.AddFedReceipt(receipt));
    return FederatedReceipt{std::move(s), "REFUSED"};
  };
  const auto* ds = cat.DataSets().ByUidOrCode(b.data_set);
  if (!ds)
    return refused(
        Refusal(format, "dataSet", b.data_set, "unknown data set " + b.data_set, "E7600"));
  receipt.data_set_uid = ds->uid;
  auto pe = ParsePeriod(b.period);
  if (!pe.ok()) return refused(Refusal(format, "period", b.period, pe.status().message(), "E7611"));
  receipt.period = pe->Id();
  const auto* ou = cat.OrgUnits().ByUidOrCode(b.org_unit);
  if (!ou)
    return refused(
        Refusal(format, "orgUnit", b.org_unit, "unknown org unit " + b.org_unit, "E7612"));
  if (options.can_write && !options.can_write(ou->id))
    return refused(Refusal(format, "orgUnit", b.org_unit,
                           "org unit " + b.org_unit + " is outside your org units", "E7617"));
  receipt.org_unit_uid = ou->uid;
  const storage::FedBatchRecord key{source, ds->uid, pe->Id(), ou->uid, 0, "", 0};

  auto answered = [&](const std::string& outcome) -> Result<FederatedReceipt> {
    receipt.outcome = outcome;
    receipt.received = NowMillis();
    WJ_RETURN_IF_ERROR(store.AddFedReceipt(receipt));
    ImportSummary s;
    s.status = "SUCCESS";
    s.import_id = RandomUid();
    s.format = ImportFormatName(format);
    s.notes.push_back(outcome == "UNCHANGED"
                          ? "this batch was received before at the same approval stamp: nothing "
                            "changed"
                          : "a newer approval stamp of this batch stands: nothing changed");
    return FederatedReceipt{std::move(s), outcome};
  };
  // A quick look first (no lock): a repeated push is answered without reading its payload.
  WJ_ASSIGN_OR_RETURN(auto standing, store.LockFedBatch(key));
  if (standing && Stands(*standing, b))
    return answered(standing->stamp == b.stamp ? "UNCHANGED" : "SUPERSEDED");

  ImportOptions o = options;
  const auto& tree = cat.tree();
  const std::int64_t root = ou->id;
  // Every row must lie in the batch's unit: its replaced values are looked for there only.
  o.can_write = [&options, &tree, root](std::int64_t unit) {
    return tree.Contains(unit) && tree.IsInSubtree(unit, root) &&
           (!options.can_write || options.can_write(unit));
  };
  if (b.retract) o.strategy = storage::WriteMode::kDelete;
  bool raced = false;
  std::vector<ImportConflict> lock_conflicts;
  o.before_commit = [&](storage::DataValueBulkWriter& writer, ImportSummary& summary,
                        const std::vector<storage::DataValueKey>& written) -> Status {
    // Under the writer (and, on PostgreSQL, the batch row's lock): another delivery of the same
    // batch may have committed since the first look.
    WJ_ASSIGN_OR_RETURN(auto now_standing, store.LockFedBatch(key));
    if (now_standing && Stands(*now_standing, b)) {
      raced = true;
      return Conflict("the batch was applied meanwhile");
    }
    WJ_ASSIGN_OR_RETURN(auto imports, store.FedAppliedImports(key));
    std::vector<storage::DataValueWrite> deletes;
    if (!imports.empty()) {
      std::set<std::string> earlier(imports.begin(), imports.end());
      storage::DataValueExportFilter f;
      f.data_element_ids = ElementsOf(cat, *ds);
      WJ_ASSIGN_OR_RETURN(f.period_ids, PeriodsWithin(store, *pe));
      auto units = tree.SubtreeIds(root);
      f.org_unit_ids.assign(units.begin(), units.end());
      WJ_RETURN_IF_ERROR(store.ExportDataValues(f, [&](const storage::DataValueRecord& v) {
        if (v.deleted || !earlier.count(v.import_id)) return Status::Ok();
        if (!b.retract && std::binary_search(written.begin(), written.end(), v.key, KeyLess))
          return Status::Ok();
        storage::DataValueWrite w;
        w.key = v.key;
        w.mode = storage::WriteMode::kDelete;
        deletes.push_back(std::move(w));
        return Status::Ok();
      }));
    }
    if (!deletes.empty()) {
      // Removing values is a write like any other: closed periods and approvals above hold.
      WJ_ASSIGN_OR_RETURN(auto periods, store.LoadPeriods());
      std::unordered_map<std::int64_t, Period> period_of;
      for (const auto& r : periods)
        if (auto p = ParsePeriod(r.iso); p.ok()) period_of.emplace(r.id, *p);
      WJ_ASSIGN_OR_RETURN(WriteGuard guard, values.approvals().Guard(cat, options.writer_level));
      for (const auto& w : deletes) {
        const auto* unit = cat.OrgUnits().ById(w.key.org_unit_id);
        const auto* de = cat.DataElements().ById(w.key.data_element_id);
        auto p = period_of.find(w.key.period_id);
        if (!unit || !de || p == period_of.end()) continue;
        if (Status lock = guard.Check(*ds, p->second, *unit, de); !lock.ok()) {
          lock_conflicts.push_back(
              {CodeOrUid(*unit) + "/" + p->second.Id(), lock.message(), "E7642", lock.field(), {}});
          return Conflict(lock.message(), lock.field());
        }
      }
      WJ_ASSIGN_OR_RETURN(auto c, writer.Write(deletes, nullptr));
      summary.counts.deleted += c.deleted;
    }
    const std::int64_t now = NowMillis();
    WJ_RETURN_IF_ERROR(store.SaveFedBatch(
        {source, ds->uid, pe->Id(), ou->uid, b.stamp, b.retract ? kRetract : kPush, now}));
    storage::FedReceiptRecord r = receipt;
    r.outcome = "APPLIED";
    r.import_id = summary.import_id;
    r.value_count = summary.rows;
    r.received = now;
    return store.AddFedReceipt(r);
  };
  auto summary = ImportDataValues(open, format, o, cat, values);
  if (!summary.ok()) {
    if (raced) return answered("UNCHANGED");
    if (!lock_conflicts.empty()) {
      ImportSummary s = Refusal(format, "", "", "", "");
      s.conflicts = lock_conflicts;
      return refused(std::move(s));
    }
    return summary.status();
  }
  if (summary->status == "ERROR") return refused(std::move(*summary));
  return FederatedReceipt{std::move(*summary), o.dry_run ? "DRY_RUN" : "APPLIED"};
}

Result<json> FederationSources(storage::Store& store, const Catalog& cat,
                               const std::function<bool(std::int64_t)>& readable,
                               std::int64_t now) {
  WJ_ASSIGN_OR_RETURN(auto receipts, store.ListFedReceipts(now - 90LL * 24 * 3'600'000, 100'000));
  // Newest first. Per source: the last receipt, the last applied push (its lag: received minus
  // the approval stamp), and refusals not followed by an applied batch of the same key.
  std::map<std::string, json> by_source;
  std::set<std::string> settled;  // source|key of an applied batch newer than what follows
  for (const auto& r : receipts) {
    const auto* ou = cat.OrgUnits().ByUid(r.org_unit_uid);
    if (ou && readable && !readable(ou->id)) continue;
    if (!ou && readable && !readable(0)) continue;  // unknown units: superusers only
    json& s = by_source[r.source];
    if (s.is_null()) {
      s = {{"source", r.source},
           {"user", r.username},
           {"lastReceived", FormatTimestamp(r.received)},
           {"applied", 0},
           {"unchanged", 0},
           {"refused", 0},
           {"failures", json::array()}};
    }
    const std::string k = r.source + "|" + r.data_set_uid + "|" + r.period + "|" + r.org_unit_uid;
    const auto* ds = cat.DataSets().ByUid(r.data_set_uid);
    if (r.outcome == "APPLIED") {
      s["applied"] = s["applied"].get<int>() + 1;
      if (!s.contains("lastApplied")) {
        s["lastApplied"] = FormatTimestamp(r.received);
        s["lastStamp"] = FormatTimestamp(r.stamp);
        s["lagMinutes"] = (r.received - r.stamp) / 60'000;
        s["lastBatch"] = {{"dataSet", ds ? ds->name : r.data_set_uid},
                          {"period", r.period},
                          {"orgUnit", ou ? ou->name : r.org_unit_uid},
                          {"action", r.action},
                          {"values", r.value_count}};
      }
      settled.insert(k);
    } else if (r.outcome == "UNCHANGED" || r.outcome == "SUPERSEDED") {
      s["unchanged"] = s["unchanged"].get<int>() + 1;
    } else if (r.outcome == "REFUSED") {
      s["refused"] = s["refused"].get<int>() + 1;
      if (!settled.count(k) && s["failures"].size() < 50) {
        json conflicts = json::parse(r.conflicts, nullptr, false);
        s["failures"].push_back(
            {{"dataSet", ds ? ds->name : r.data_set_uid},
             {"period", r.period},
             {"orgUnit", ou ? ou->name : r.org_unit_uid},
             {"received", FormatTimestamp(r.received)},
             {"stamp", FormatTimestamp(r.stamp)},
             {"action", r.action},
             {"conflicts", conflicts.is_discarded() ? json::array() : conflicts}});
      }
    }
  }
  json out = json::array();
  for (auto& [_, s] : by_source) out.push_back(std::move(s));
  return json{{"sources", out}, {"now", FormatTimestamp(now)}};
}

// --- lower side ---

namespace {

// The token in a target's file (surrounding white space dropped).
Result<std::string> ReadToken(const std::string& path) {
  std::ifstream in(path);
  if (!in) return InvalidArgument("cannot read the token file " + path, "--token-file");
  std::stringstream ss;
  ss << in.rdbuf();
  std::string t = ss.str();
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  std::size_t i = 0;
  while (i < t.size() && std::isspace(static_cast<unsigned char>(t[i]))) ++i;
  t.erase(0, i);
  if (t.empty() || t.find_first_of(" \t\r\n") != std::string::npos)
    return InvalidArgument("the token file " + path + " must hold one API token", "--token-file");
  return t;
}

// The deepest unit above (or at) every unit assigned one of the data sets: the instance's name
// at the upper side when none is given.
std::string DefaultSource(const Catalog& cat,
                          const std::vector<const storage::DataSetRecord*>& sets) {
  std::vector<std::string> common;
  bool first = true;
  for (const auto* ds : sets)
    for (const auto& uid : ds->org_unit_uids) {
      const auto* u = cat.OrgUnits().ByUid(uid);
      if (!u) continue;
      std::vector<std::string> parts;
      std::stringstream ss(u->path);
      for (std::string p; std::getline(ss, p, '/');)
        if (!p.empty()) parts.push_back(p);
      if (first) {
        common = parts;
        first = false;
      } else {
        std::size_t n = 0;
        while (n < common.size() && n < parts.size() && common[n] == parts[n]) ++n;
        common.resize(n);
      }
    }
  if (common.empty()) return "weijian";
  const auto* u = cat.OrgUnits().ByUid(common.back());
  return u ? CodeOrUid(*u) : common.back();
}

}  // namespace

Result<storage::FedTargetRecord> AddFederationTarget(const TargetSpec& spec, const Catalog& cat,
                                                     storage::Store& store) {
  storage::FedTargetRecord t;
  t.url = spec.url;
  while (!t.url.empty() && t.url.back() == '/') t.url.pop_back();
  const std::string kForm =
      "must be the upper instance's address, http://host[:port] (for https, a TLS proxy such as "
      "stunnel on this machine forwards to it)";
  if (!t.url.starts_with("http://") || t.url.size() <= 7) return InvalidArgument(kForm, "--to");
  // Nothing but a host and a port: a path, a query or a user's name and password in the address
  // would be sent somewhere else than /api/dataValueSets, or printed in every error.
  const std::string authority = t.url.substr(7);
  if (authority.find('@') != std::string::npos)  // not echoed: it may hold a password
    return InvalidArgument(kForm + "; without a user name or password in it", "--to");
  if (authority.find_first_of("/?# ") != std::string::npos)
    return InvalidArgument(kForm + "; without a path or query: " + authority, "--to");
  if (const auto colon = authority.rfind(':');
      colon != std::string::npos && authority.find(']', colon) == std::string::npos) {
    const std::string port = authority.substr(colon + 1);
    int n = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), n);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || n < 1 || n > 65535)
      return InvalidArgument(kForm + "; the port must be 1-65535: " + port, "--to");
    if (colon == 0) return InvalidArgument(kForm, "--to");
  }
  struct stat st {};
  if (::stat(spec.token_file.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
    return InvalidArgument("no such file: " + spec.token_file, "--token-file");
  if (st.st_mode & 077)
    return InvalidArgument(
        "the token file " + spec.token_file + " must be readable by its owner only (chmod 600)",
        "--token-file");
  WJ_RETURN_IF_ERROR(ReadToken(spec.token_file).status());
  t.token_file = spec.token_file;
  if (spec.data_sets.empty()) return InvalidArgument("name at least one data set", "--data-set");
  std::vector<const storage::DataSetRecord*> sets;
  for (const auto& key : spec.data_sets) {
    const auto* ds = cat.DataSets().ByUidOrCode(key);
    if (!ds) return InvalidArgument("unknown data set " + key, "--data-set");
    if (!WorkflowOf(cat, *ds))
      return InvalidArgument(
          "data set " + key + " has no approval workflow: only approved data are pushed",
          "--data-set");
    if (std::find(t.data_set_uids.begin(), t.data_set_uids.end(), ds->uid) == t.data_set_uids.end())
      t.data_set_uids.push_back(ds->uid);
    sets.push_back(ds);
  }
  if (spec.level < 0 || spec.level > 5)
    return InvalidArgument("must be an org unit level, 1 (省) … 5 (村)", "--level");
  t.level = spec.level;
  if (spec.format != "json" && spec.format != "adx")
    return InvalidArgument("must be json or adx", "--format");
  t.format = spec.format;
  t.source = spec.source.empty() ? DefaultSource(cat, sets) : spec.source;
  if (t.source.size() > 100) return InvalidArgument("longer than 100 bytes", "--source");
  // The same instance under the same name twice would send every batch twice.
  WJ_ASSIGN_OR_RETURN(auto targets, store.ListFedTargets());
  for (const auto& other : targets)
    if (other.url == t.url && other.source == t.source)
      return InvalidArgument("already a target (" + other.uid + ", source " + other.source +
                                 "): see `weijian federation list`",
                             "--to");
  t.uid = RandomUid();
  t.created = NowMillis();
  t.created_by = spec.user;
  WJ_ASSIGN_OR_RETURN(t.id, store.AddFedTarget(t));
  return t;
}

namespace {

struct BatchKey {
  std::string data_set;
  std::string period;
  std::int64_t org_unit = 0;
  auto operator<=>(const BatchKey&) const = default;
};
struct Wanted {
  std::int64_t stamp = 0;
  std::string workflow;
};

// The approvals that make batches of a target: those at the top level of each data set's
// workflow, by (data set, period, unit).
std::map<BatchKey, Wanted> WantedBatches(
    const Catalog& cat, const storage::FedTargetRecord& t,
    const std::vector<storage::DataApprovalRecord>& approvals) {
  std::map<BatchKey, Wanted> out;
  for (const auto& uid : t.data_set_uids) {
    const auto* ds = cat.DataSets().ByUid(uid);
    if (!ds) continue;
    auto wf = WorkflowOf(cat, *ds);
    if (!wf || wf->levels.empty()) continue;
    const std::string& top = wf->levels.front()->uid;
    for (const auto& a : approvals)
      if (a.workflow_uid == wf->record->uid && a.level_uid == top)
        out[{uid, a.period, a.org_unit_id}] = {a.created, a.workflow_uid};
  }
  return out;
}

// What changed since the outbox was last written: rows to add and rows to supersede.
void Plan(const storage::FedTargetRecord& t, const std::map<BatchKey, Wanted>& wanted,
          const std::vector<storage::FedOutboxRecord>& outbox, bool retry_refused, std::int64_t now,
          std::vector<storage::FedOutboxRecord>& add, std::vector<std::int64_t>& supersede) {
  std::map<BatchKey, std::vector<const storage::FedOutboxRecord*>> rows;
  for (const auto& r : outbox) rows[{r.data_set_uid, r.period, r.org_unit_id}].push_back(&r);
  auto row = [&](const BatchKey& k, const char* kind, std::int64_t stamp, const std::string& wf) {
    storage::FedOutboxRecord r;
    r.target_id = t.id;
    r.kind = kind;
    r.data_set_uid = k.data_set;
    r.workflow_uid = wf;
    r.period = k.period;
    r.org_unit_id = k.org_unit;
    r.stamp = stamp;
    r.state = "PENDING";
    r.created = now;
    add.push_back(std::move(r));
  };
  // Rows not delivered: a push never tried or refused, a retraction waiting or refused.
  auto open = [](const storage::FedOutboxRecord* r) {
    return r->state == "PENDING" || r->state == "REFUSED";
  };
  for (const auto& [k, w] : wanted) {
    auto it = rows.find(k);
    const storage::FedOutboxRecord* latest = nullptr;
    if (it != rows.end())
      for (auto r = it->second.rbegin(); r != it->second.rend(); ++r)
        if ((*r)->state != "SUPERSEDED") {
          latest = *r;
          break;
        }
    if (latest && latest->kind == kPush && latest->stamp == w.stamp) {
      if (latest->state == "REFUSED" && retry_refused) {
        supersede.push_back(latest->id);
        row(k, kPush, w.stamp, w.workflow);
      }
      continue;
    }
    // A new stamp replaces whatever of the key was not delivered, a retraction too: the push
    // replaces the key's values at the upper side. (Until session 33 a refused retraction stayed
    // a failure for ever after a newer approval had been delivered.)
    if (it != rows.end())
      for (const auto* r : it->second)
        if (open(r)) supersede.push_back(r->id);
    row(k, kPush, w.stamp, w.workflow);
  }
  // Keys no longer approved: pushes that may have arrived since the last retraction are
  // retracted; pushes never tried are dropped.
  for (const auto& [k, list] : rows) {
    if (wanted.count(k)) continue;
    std::int64_t arrived = 0;
    std::string wf;
    for (const auto* r : list) {
      if (r->state == "SUPERSEDED") continue;
      if (r->kind == kRetract) {
        arrived = 0;
        continue;
      }
      if (r->state == "SENT" || r->attempts > 0) {
        arrived = std::max(arrived, r->stamp);
        wf = r->workflow_uid;
      }
    }
    const storage::FedOutboxRecord* retraction = nullptr;  // the one standing, if any
    for (const auto* r : list)
      if (r->state != "SUPERSEDED" && r->kind == kRetract) retraction = r;
    for (const auto* r : list)
      if (open(r) && (r->kind == kPush || arrived)) supersede.push_back(r->id);
    if (arrived) {
      row(k, kRetract, arrived, wf);
    } else if (retraction && retraction->state == "REFUSED" && retry_refused) {
      // A refused retraction is sent again when asked, as a refused push is.
      supersede.push_back(retraction->id);
      row(k, kRetract, retraction->stamp, retraction->workflow_uid);
    }
  }
}

// Rows of `filter` summed to org unit level `level`, in (unit, period, attribute combo, element,
// category combo) order, so that ADX groups stay together.
Status SumToLevel(storage::Store& store, const Catalog& cat, int level,
                  const storage::DataValueExportFilter& filter,
                  const std::function<Status(const storage::DataValueRecord&)>& sink) {
  struct Acc {
    double sum = 0, min = 0, max = 0;
    std::int64_t n = 0;
    bool integral = true;
  };
  using Key = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t>;
  std::map<Key, Acc> acc;
  std::unordered_map<std::int64_t, std::int64_t> ancestor;  // unit → its unit at `level`
  auto up = [&](std::int64_t id) -> std::int64_t {
    auto it = ancestor.find(id);
    if (it != ancestor.end()) return it->second;
    const auto* u = cat.OrgUnits().ById(id);
    while (u && u->level > level) u = cat.OrgUnits().ById(u->parent_id);
    std::int64_t a = u && u->level == level ? u->id : 0;
    ancestor.emplace(id, a);
    return a;
  };
  Status s = store.ExportDataValues(filter, [&](const storage::DataValueRecord& v) -> Status {
    if (v.deleted) return Status::Ok();
    const std::int64_t a = up(v.key.org_unit_id);
    if (!a) {
      const auto* u = cat.OrgUnits().ById(v.key.org_unit_id);
      return Conflict("a value of " + (u ? u->name : std::to_string(v.key.org_unit_id)) +
                          " lies above org unit level " + std::to_string(level) +
                          ": push with a smaller --level",
                      "level");
    }
    char* end = nullptr;
    const double x = std::strtod(v.value.c_str(), &end);
    if (v.value.empty() || !end || *end) return Status::Ok();  // only numbers add up
    Acc& c = acc[{a, v.key.period_id, v.key.aoc_id, v.key.data_element_id, v.key.coc_id}];
    c.min = c.n ? std::min(c.min, x) : x;
    c.max = c.n ? std::max(c.max, x) : x;
    c.sum += x;
    ++c.n;
    c.integral = c.integral && x == std::floor(x);
    return Status::Ok();
  });
  WJ_RETURN_IF_ERROR(s);
  for (const auto& [k, c] : acc) {
    const auto& [ou, pe, aoc, de, coc] = k;
    const auto* element = cat.DataElements().ById(de);
    const std::string type = element ? element->aggregation_type : "SUM";
    double x = c.sum;
    bool integral = c.integral;
    if (type == "AVERAGE") {
      x = c.sum / static_cast<double>(c.n);
      integral = integral && x == std::floor(x);
    } else if (type == "MIN") {
      x = c.min;
    } else if (type == "MAX") {
      x = c.max;
    }
    storage::DataValueRecord r;
    r.key = {de, pe, ou, coc, aoc};
    if (integral && std::fabs(x) < 9e15) {
      r.value = std::to_string(static_cast<std::int64_t>(std::llround(x)));
    } else {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.10g", x);
      r.value = buf;
    }
    WJ_RETURN_IF_ERROR(sink(r));
  }
  return Status::Ok();
}

struct Payload {
  std::string body;
  std::string content_type;
  std::string path;  // after the target's address
  std::int64_t values = 0;
};

Result<Payload> BuildPayload(storage::Store& store, const Catalog& cat, DataValueService& values,
                             const storage::FedTargetRecord& t, const storage::FedOutboxRecord& r,
                             const storage::DataSetRecord& ds, const storage::OrgUnitRecord& ou,
                             const Period& pe) {
  Payload p;
  if (r.kind == kRetract) {
    // Nothing to send but the batch's identity (the headers): the upper side removes what this
    // source's pushes of the batch wrote.
    p.body = json{{"dataSet", CodeOrUid(ds)},
                  {"period", pe.Id()},
                  {"orgUnit", CodeOrUid(ou)},
                  {"dataValues", json::array()}}
                 .dump();
    p.content_type = "application/json";
    p.path = "/api/dataValueSets?idScheme=code";
    return p;
  }
  ExportOptions o;
  o.format = t.format == "adx" ? ImportFormat::kAdx : ImportFormat::kJson;
  WJ_RETURN_IF_ERROR(ParseExportOption(o, "idScheme", "code"));
  o.minimal = true;
  o.data_sets = {ds.uid};
  o.start_date = FormatIsoDate(pe.start);
  o.end_date = FormatIsoDate(pe.end);
  o.org_units = {ou.uid};
  o.children = true;
  const int level = t.level;
  o.rows = [&](const storage::DataValueExportFilter& f,
               const std::function<Status(const storage::DataValueRecord&)>& sink) {
    auto counted = [&](const storage::DataValueRecord& v) {
      if (v.deleted) return Status::Ok();
      ++p.values;
      return sink(v);
    };
    if (level > 0) return SumToLevel(store, cat, level, f, counted);
    return store.ExportDataValues(f, counted);
  };
  WJ_RETURN_IF_ERROR(
      ExportDataValues(o, cat, values, [&](std::string_view chunk) { p.body.append(chunk); }));
  p.content_type = o.format == ImportFormat::kAdx ? "application/adx+xml" : "application/json";
  p.path = "/api/dataValueSets?idScheme=code";
  return p;
}

// The conflicts of an upper side's answer (a WebMessage around an import summary), for the
// workbench; the body itself when it is not one.
std::string ConflictsOf(const std::string& body) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return json::array({{{"value", body.substr(0, 500)}}}).dump();
  if (j.contains("response") && j["response"].contains("conflicts"))
    return j["response"]["conflicts"].dump();
  if (j.contains("message")) return json::array({{{"value", j["message"]}}}).dump();
  return json::array().dump();
}

}  // namespace

Result<PushReport> PushFederation(storage::Store& store, const Catalog& cat,
                                  DataValueService& values, const PushOptions& options,
                                  const FederationTransport& transport) {
  const std::int64_t now = options.now_millis ? options.now_millis : NowMillis();
  auto log = [&](const std::string& line) {
    if (options.log) options.log(line);
  };
  PushReport report;
  WJ_ASSIGN_OR_RETURN(auto targets, store.ListFedTargets());
  int posted = 0;
  for (const auto& t : targets) {
    // The decision to push, in one transaction with reading what was decided before.
    std::map<BatchKey, Wanted> wanted;
    std::vector<storage::FedOutboxRecord> planned;
    auto plan = [&]() -> Status {
      WJ_ASSIGN_OR_RETURN(auto approvals, store.ListApprovals());
      wanted = WantedBatches(cat, t, approvals);
      WJ_ASSIGN_OR_RETURN(auto outbox, store.ListFedOutbox(t.id));
      std::vector<std::int64_t> supersede;
      planned.clear();
      Plan(t, wanted, outbox, options.retry_refused, now, planned, supersede);
      if (options.dry_run) return Status::Ok();
      return store.EnqueueFedBatches(planned, supersede);
    };
    if (options.dry_run) {
      WJ_RETURN_IF_ERROR(plan());
    } else {
      WJ_RETURN_IF_ERROR(store.InOneTransaction(plan));
    }
    report.queued += static_cast<int>(planned.size());
    std::vector<storage::FedOutboxRecord> due;
    if (options.dry_run) {
      due = planned;
    } else {
      WJ_ASSIGN_OR_RETURN(auto outbox, store.ListFedOutbox(t.id));
      for (auto& r : outbox)
        if (r.state == "PENDING" && r.next_attempt <= now) due.push_back(std::move(r));
    }
    std::string token;
    if (!options.dry_run && !due.empty()) {
      auto tk = ReadToken(t.token_file);
      if (!tk.ok()) {
        log("目标 " + t.url + "：" + tk.status().message());
        report.failed += static_cast<int>(due.size());
        continue;
      }
      token = *tk;
    }
    for (auto& r : due) {
      const auto* ds = cat.DataSets().ByUid(r.data_set_uid);
      const auto* ou = cat.OrgUnits().ById(r.org_unit_id);
      auto pe = ParsePeriod(r.period);
      if (!ds || !ou || !pe.ok()) {
        r.state = "REFUSED";
        r.last_error = "数据集、期间或机构已不存在";
        if (!options.dry_run) WJ_RETURN_IF_ERROR(store.UpdateFedOutbox(r));
        ++report.refused;
        continue;
      }
      const std::string what = std::string(r.kind == kPush ? "推送" : "撤回") + " " +
                               CodeOrUid(*ds) + " " + r.period + " " + CodeOrUid(*ou);
      if (r.kind == kPush) {
        auto w = wanted.find({r.data_set_uid, r.period, r.org_unit_id});
        if (w == wanted.end() || w->second.stamp != r.stamp) {
          // Unapproved or approved again since it was queued: the next plan decides.
          r.state = "SUPERSEDED";
          if (!options.dry_run) WJ_RETURN_IF_ERROR(store.UpdateFedOutbox(r));
          ++report.superseded;
          continue;
        }
      }
      auto payload = BuildPayload(store, cat, values, t, r, *ds, *ou, *pe);
      if (!payload.ok()) {
        r.state = "REFUSED";
        r.last_error = payload.status().message();
        if (!options.dry_run) WJ_RETURN_IF_ERROR(store.UpdateFedOutbox(r));
        ++report.refused;
        log(what + "：" + r.last_error);
        continue;
      }
      r.value_count = payload->values;
      json item = {{"target", t.url},           {"kind", r.kind},
                   {"dataSet", CodeOrUid(*ds)}, {"period", r.period},
                   {"orgUnit", CodeOrUid(*ou)}, {"stamp", r.stamp},
                   {"values", payload->values}};
      if (options.dry_run) {
        report.values += payload->values;
        report.batches.push_back(std::move(item));
        continue;
      }
      const std::map<std::string, std::string> headers = {
          {"Authorization", "ApiToken " + token},
          {"Content-Type", payload->content_type},
          {"X-Federation-Source", t.source},
          {"X-Federation-Data-Set", CodeOrUid(*ds)},
          {"X-Federation-Period", r.period},
          {"X-Federation-Org-Unit", CodeOrUid(*ou)},
          {"X-Federation-Stamp", std::to_string(r.stamp)},
          {"X-Federation-Action", r.kind == kPush ? "push" : "retract"}};
      HttpExchange reply;
      bool stop_target = false;
      for (int attempt = 0;; ++attempt) {
        reply = transport(t.url + payload->path, headers, payload->body);
        ++r.attempts;
        if (reply.status != 0 && options.after_post) options.after_post(++posted);
        const bool retry =
            reply.status == 0 || reply.status >= 500 || reply.status == 408 || reply.status == 429;
        if (!retry || attempt + 1 >= options.max_attempts) break;
        const int delay = std::min(60'000, options.base_delay_ms << std::min(attempt, 16));
        log(what + "：" + (reply.status ? "HTTP " + std::to_string(reply.status) : reply.error) +
            "，" + std::to_string(delay) + " 毫秒后重试");
        std::this_thread::sleep_for(std::chrono::milliseconds(delay));
      }
      const std::int64_t done = NowMillis();
      if (reply.status >= 200 && reply.status < 300) {
        json j = json::parse(reply.body, nullptr, false);
        const std::string outcome = !j.is_discarded() && j.contains("federation")
                                        ? j["federation"].value("outcome", "APPLIED")
                                        : "APPLIED";
        r.state = "SENT";
        r.sent = done;
        r.last_error.clear();
        r.conflicts.clear();
        (outcome == "APPLIED" ? report.sent : report.unchanged) += 1;
        report.values += payload->values;
        item["outcome"] = outcome;
        log(what + "：" + outcome + "，" + std::to_string(payload->values) + " 个值");
      } else if (reply.status == 401 || reply.status == 403) {
        // The token or its user: fixed by a person, then the next run sends it.
        r.last_error = "上级拒绝了令牌（HTTP " + std::to_string(reply.status) + "）";
        r.next_attempt = now;
        ++report.failed;
        stop_target = true;
        log(what + "：" + r.last_error);
      } else if (reply.status >= 400 && reply.status < 500 && reply.status != 408 &&
                 reply.status != 429) {
        r.state = "REFUSED";
        r.conflicts = ConflictsOf(reply.body);
        r.last_error = "上级拒收（HTTP " + std::to_string(reply.status) + "）";
        ++report.refused;
        item["outcome"] = "REFUSED";
        log(what + "：" + r.last_error);
      } else {
        r.last_error = reply.status ? "上级出错（HTTP " + std::to_string(reply.status) + "）"
                                    : "无法连接上级：" + reply.error;
        const std::int64_t wait =
            std::min<std::int64_t>(3'600'000, static_cast<std::int64_t>(options.base_delay_ms)
                                                  << std::min(r.attempts, 20));
        r.next_attempt = done + wait;
        ++report.failed;
        stop_target = true;  // the batches after it wait: they keep their order
        log(what + "：" + r.last_error);
      }
      WJ_RETURN_IF_ERROR(store.UpdateFedOutbox(r));
      report.batches.push_back(std::move(item));
      if (stop_target) break;
    }
    // Refusals of earlier runs not sent again are still undelivered: a run that leaves any
    // says so (its exit status), not only one that met a refusal itself.
    WJ_ASSIGN_OR_RETURN(auto after, store.ListFedOutbox(t.id));
    for (const auto& r : after) report.still_refused += r.state == "REFUSED" ? 1 : 0;
  }
  return report;
}

Result<json> FederationTargets(storage::Store& store, const Catalog& cat) {
  WJ_ASSIGN_OR_RETURN(auto targets, store.ListFedTargets());
  WJ_ASSIGN_OR_RETURN(auto outbox, store.ListFedOutbox(0));
  json out = json::array();
  for (const auto& t : targets) {
    json sets = json::array();
    for (const auto& uid : t.data_set_uids) {
      const auto* ds = cat.DataSets().ByUid(uid);
      sets.push_back({{"uid", uid}, {"name", ds ? ds->name : uid}});
    }
    std::int64_t last = 0;
    int pending = 0, sent = 0;
    json failures = json::array();
    for (auto it = outbox.rbegin(); it != outbox.rend(); ++it) {
      const auto& r = *it;
      if (r.target_id != t.id) continue;
      if (r.state == "SENT") {
        ++sent;
        last = std::max(last, r.sent);
      }
      if (r.state == "PENDING") ++pending;
      if ((r.state == "REFUSED" || (r.state == "PENDING" && !r.last_error.empty())) &&
          failures.size() < 50) {
        const auto* ds = cat.DataSets().ByUid(r.data_set_uid);
        const auto* ou = cat.OrgUnits().ById(r.org_unit_id);
        json conflicts = json::parse(r.conflicts.empty() ? "[]" : r.conflicts, nullptr, false);
        failures.push_back({{"kind", r.kind},
                            {"dataSet", ds ? ds->name : r.data_set_uid},
                            {"period", r.period},
                            {"orgUnit", ou ? ou->name : std::to_string(r.org_unit_id)},
                            {"stamp", FormatTimestamp(r.stamp)},
                            {"state", r.state},
                            {"attempts", r.attempts},
                            {"error", r.last_error},
                            {"conflicts", conflicts.is_discarded() ? json::array() : conflicts}});
      }
    }
    out.push_back({{"uid", t.uid},
                   {"url", t.url},
                   {"source", t.source},
                   {"dataSets", sets},
                   {"level", t.level},
                   {"format", t.format},
                   {"lastPush", last ? json(FormatTimestamp(last)) : json(nullptr)},
                   {"sent", sent},
                   {"pending", pending},
                   {"failures", failures}});
  }
  return json{{"targets", out}};
}

}  // namespace weijian::exchange
