#include "exchange/import.h"

#include <fcntl.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <tuple>

#include "core/date.h"
#include "core/uid.h"
#include "exchange/internal/readers.h"

namespace weijian::exchange {

using nlohmann::json;

const char* ImportFormatName(ImportFormat f) {
  switch (f) {
    case ImportFormat::kJson:
      return "json";
    case ImportFormat::kCsv:
      return "csv";
    case ImportFormat::kAdx:
      return "adx";
    case ImportFormat::kXml:
      return "xml";
  }
  return "json";
}

Result<ImportFormat> FormatFromContentType(const std::string& content_type) {
  std::string t = content_type.substr(0, content_type.find(';'));
  while (!t.empty() && t.back() == ' ') t.pop_back();
  if (t == "application/json") return ImportFormat::kJson;
  if (t == "application/csv" || t == "text/csv") return ImportFormat::kCsv;
  if (t == "application/adx+xml" || t == "application/xml+adx") return ImportFormat::kAdx;
  if (t == "application/xml" || t == "text/xml") return ImportFormat::kXml;
  return InvalidArgument("Content-Type \"" + content_type +
                         "\" is not one of application/json, application/xml, text/xml, "
                         "application/csv, application/adx+xml");
}

ImportFormat SniffFormat(std::string_view head) {
  std::size_t i = head.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  while (i < head.size() && std::isspace(static_cast<unsigned char>(head[i]))) ++i;
  if (i < head.size() && head[i] == '{') return ImportFormat::kJson;
  if (i < head.size() && head[i] == '<') {
    const bool dxf = head.find("dataValueSet") != std::string_view::npos ||
                     head.find("dhis2.org/schema/dxf") != std::string_view::npos;
    return dxf ? ImportFormat::kXml : ImportFormat::kAdx;
  }
  return ImportFormat::kCsv;
}

Status ParseImportOption(ImportOptions& o, const std::string& name, const std::string& value) {
  WJ_ASSIGN_OR_RETURN(bool scheme, ParseIdSchemeOption(o.schemes, name, value));
  if (scheme) {
    o.schemes_given = true;
    return Status::Ok();
  }
  if (name == "importStrategy") {
    if (value == "CREATE_AND_UPDATE" || value == "NEW_AND_UPDATES")
      o.strategy = storage::WriteMode::kUpsert;
    else if (value == "CREATE" || value == "NEW")
      o.strategy = storage::WriteMode::kCreateOnly;
    else if (value == "UPDATE" || value == "UPDATES")
      o.strategy = storage::WriteMode::kUpdateOnly;
    else if (value == "DELETE" || value == "DELETES")
      o.strategy = storage::WriteMode::kDelete;
    else
      return InvalidArgument("must be CREATE_AND_UPDATE, CREATE, UPDATE or DELETE", name);
    return Status::Ok();
  }
  if (name == "dryRun") {
    auto b = value.empty() ? std::optional<bool>(true) : ParseDhis2Bool(value);
    if (!b) return InvalidArgument("must be true or false", name);
    o.dry_run = *b;
    return Status::Ok();
  }
  if (name == "atomicMode") {
    if (value == "ALL")
      o.atomic = true;
    else if (value == "NONE")
      o.atomic = false;
    else
      return InvalidArgument("must be ALL or NONE", name);
    return Status::Ok();
  }
  WJ_ASSIGN_OR_RETURN(bool dhis2, internal::ParseDhis2ImportOption(o, name, value));
  if (dhis2) return Status::Ok();
  return InvalidArgument("unknown import option", name);
}

// The singular DHIS2 schema name of what a conflict's property names (ImportConflict.objects).
static std::string ConflictObjectType(const std::string& property) {
  if (property == "orgUnit") return "organisationUnit";
  if (property == "value") return "dataElement";
  if (property == "attributeOptionCombo") return "categoryOptionCombo";
  if (property.empty()) return "object";
  return property;
}

json ImportSummary::ToJson() const {
  auto list = [](const std::vector<ImportConflict>& v) {
    json a = json::array();
    for (const auto& c : v) {
      json o = {{"object", c.object},
                {"value", c.value},
                {"errorCode", c.error_code},
                {"property", c.property},
                {"indexes", c.indexes}};
      // DHIS2's `objects`: what the object is (its singular schema name) → its identifier.
      if (!c.object.empty()) o["objects"] = {{ConflictObjectType(c.property), c.object}};
      a.push_back(std::move(o));
    }
    return a;
  };
  json j = {{"responseType", "ImportSummary"},
            {"status", status},
            {"importId", import_id},
            {"format", format},
            {"dryRun", dry_run},
            {"rows", rows},
            {"importCount",
             {{"imported", counts.imported},
              {"updated", counts.updated},
              {"ignored", counts.ignored},
              {"deleted", counts.deleted}}},
            {"conflicts", list(conflicts)}};
  if (!warnings.empty()) j["warnings"] = list(warnings);
  j["dataSetComplete"] = !completed.empty();
  j["description"] = status == "ERROR" ? "Import process failed" : "Import process completed";
  if (!notes.empty()) j["notes"] = notes;
  return j;
}

namespace {

class StringByteSource final : public ByteSource {
 public:
  explicit StringByteSource(std::string_view d) : data_(d) {}
  Result<std::size_t> Read(char* buf, std::size_t n) override {
    std::size_t k = std::min(n, data_.size() - pos_);
    std::memcpy(buf, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

class FileByteSource final : public ByteSource {
 public:
  explicit FileByteSource(int fd) : fd_(fd) {}
  ~FileByteSource() override { ::close(fd_); }
  Result<std::size_t> Read(char* buf, std::size_t n) override {
    while (true) {
      ssize_t k = ::read(fd_, buf, n);
      if (k >= 0) return static_cast<std::size_t>(k);
      if (errno != EINTR)
        return Unavailable(std::string("cannot read the file: ") + std::strerror(errno));
    }
  }

 private:
  int fd_;
};

// DHIS2's error code for a conflict (DataValueImportConflict, E7610-E7645) where one fits;
// weijian's own E_… otherwise.
std::string CodeFor(const std::string& field, const std::string& message) {
  auto has = [&](const char* s) { return message.find(s) != std::string::npos; };
  if (has("outside your org units")) return "E7617";
  if (field == "dataElement") return has("unknown") ? "E7610" : "E7633";
  if (field == "period") {
    // The data set's window (exchange/approval.cc, data_values.cc): DHIS2's E7640 past the expiry
    // days, E7641 after the last open future period, E7643 outside the data input periods.
    if (has("截止")) return "E7640";
    if (has("尚未到来")) return "E7641";
    if (has("填报期")) return "E7643";
    return "E7611";
  }
  if (field == "orgUnit") return has("not assigned") ? "E7636" : "E7612";
  if (field == "categoryOptionCombo") return "E7613";
  if (field == "attributeOptionCombo") return "E7615";
  if (field == "value") return has("empty") ? "E7618" : has("option") ? "E7621" : "E7619";
  if (field == "approval") return "E7642";  // data already approved
  return "E_ROW";
}

class Importer final : public internal::RowSink {
 public:
  Importer(const ImportOptions& o, const Catalog& cat, DataValueService& values, ImportFormat f,
           WriteGuard guard)
      : options_(o),
        cat_(cat),
        resolver_(cat, o.schemes),
        values_(values),
        guard_(std::move(guard)) {
    summary_.format = ImportFormatName(f);
    summary_.dry_run = o.dry_run;
    summary_.import_id = RandomUid();
    summary_.notes = o.notes;  // before Finish stores the summary: the stored one has them too
  }

  Status Add(std::int64_t index, internal::Row& row) override {
    ++summary_.rows;
    if (!row.problem.empty()) {
      AddConflict(summary_.conflicts, index, row.problem_field, row.problem, "");
      ++rejected_;
      return Status::Ok();
    }
    // Scope first: a unit outside it gets this answer whatever else is wrong with the row, so a
    // refusal tells nothing about units the caller may not see.
    if (const auto* ou = cat_.OrgUnits().ByUidOrCode(row.in.org_unit);
        ou && options_.can_write && !options_.can_write(ou->id)) {
      AddConflict(summary_.conflicts, index, "orgUnit",
                  "org unit " + row.in.org_unit + " is outside your org units", row.in.org_unit);
      ++rejected_;
      return Status::Ok();
    }
    const bool remove = row.deleted || options_.strategy == storage::WriteMode::kDelete;
    if (options_.require_coc && row.in.category_option_combo.empty()) {
      AddConflict(summary_.conflicts, index, "categoryOptionCombo",
                  "requireCategoryOptionCombo is set and the row names no categoryOptionCombo", "");
      ++rejected_;
      return Status::Ok();
    }
    auto r = resolver_.Resolve(row.in, remove);
    if (!r.ok()) {
      const std::string& f = r.status().field();
      std::string object = f == "dataElement"            ? row.in.data_element
                           : f == "period"               ? row.in.period
                           : f == "orgUnit"              ? row.in.org_unit
                           : f == "categoryOptionCombo"  ? row.in.category_option_combo
                           : f == "attributeOptionCombo" ? row.in.attribute_option_combo
                           // A value is named by its data element, as DHIS2's E7618/E7619
                           // name it: the rows of one element with bad values are one conflict.
                           : f == "value" ? row.in.data_element
                                          : "";
      AddConflict(summary_.conflicts, index, f, r.status().message(), object);
      ++rejected_;
      return Status::Ok();
    }
    if (options_.can_write && !options_.can_write(r->org_unit->id)) {
      AddConflict(summary_.conflicts, index, "orgUnit",
                  "org unit " + row.in.org_unit + " is outside your org units", row.in.org_unit);
      ++rejected_;
      return Status::Ok();
    }
    // Approval, closed periods and targets from above: the one lock check of every write path.
    if (Status lock = guard_.Check(*r->data_set, r->period, *r->org_unit, r->data_element);
        !lock.ok()) {
      AddConflict(summary_.conflicts, index, lock.field(), lock.message(),
                  row.in.org_unit + "/" + row.in.period);
      ++rejected_;
      return Status::Ok();
    }
    // With atomicMode=ALL one conflict sinks the import: stop writing, keep checking.
    if (options_.atomic && !summary_.conflicts.empty()) return Status::Ok();
    WJ_ASSIGN_OR_RETURN(std::int64_t pe, PeriodId(r->period));
    storage::DataValueWrite w;
    w.key = {r->data_element->id, pe, r->org_unit->id, r->coc->id, r->aoc->id};
    w.value = std::move(r->value);
    w.comment = std::move(row.in.comment);
    w.followup = row.in.followup.value_or(false);
    w.mode = remove ? storage::WriteMode::kDelete : options_.strategy;
    batch_.push_back(std::move(w));
    batch_index_.push_back(index);
    if (batch_.size() >= kBatch) WJ_RETURN_IF_ERROR(Flush());
    return Status::Ok();
  }

  Status PayloadScheme(const std::string& name, const std::string& value) override {
    if (options_.schemes_given) return Status::Ok();  // the request's schemes win
    IdSchemes schemes = resolver_.schemes();
    auto known = ParseIdSchemeOption(schemes, name, value);
    if (!known.ok()) return InvalidArgument(known.status().message(), known.status().field());
    resolver_.SetSchemes(schemes);
    return Status::Ok();
  }

  void Complete(const std::string& data_set, const std::string& period,
                const std::string& org_unit) override {
    completions_.push_back({data_set, period, org_unit});
  }

  // Marks the forms complete once the values are committed (an atomic import that failed, or a
  // dry run, marks nothing). A form the user may not write, or that does not resolve, becomes a
  // conflict-free note: the values stand on their own.
  std::vector<std::string> MarkComplete(const Catalog& cat) {
    std::vector<std::string> done;
    for (const auto& [ds, pe, ou] : completions_) {
      const auto* unit = cat.OrgUnits().ByUidOrCode(ou);
      if (!unit || (options_.can_write && !options_.can_write(unit->id))) continue;
      if (values_.SetComplete(cat, ds, ou, pe, true, options_.user).ok())
        done.push_back(ds + "/" + pe + "/" + ou);
    }
    return done;
  }

  Result<ImportSummary> Finish() {
    WJ_RETURN_IF_ERROR(Flush());
    bool failed = options_.atomic && !summary_.conflicts.empty();
    // A refused import writes no values: it never takes the writer.
    if (!failed && !writer_) WJ_RETURN_IF_ERROR(OpenWriter());
    // Writing may refuse rows too: a reference gone since the catalog was loaded (WriteBatch).
    failed = options_.atomic && !summary_.conflicts.empty();
    // WriteCounts is {imported, updated, deleted, ignored}: a refused import ignored every row;
    // otherwise (atomicMode=NONE) the rows refused with a conflict were ignored too.
    if (failed)
      summary_.counts = {0, 0, 0, static_cast<int>(summary_.rows)};
    else
      summary_.counts.ignored += static_cast<int>(rejected_);
    summary_.status = failed                                                        ? "ERROR"
                      : (!summary_.conflicts.empty() || !summary_.warnings.empty()) ? "WARNING"
                                                                                    : "SUCCESS";
    if (!options_.dry_run && !failed && options_.before_commit) {
      std::sort(written_.begin(), written_.end(), [](const auto& a, const auto& b) {
        return std::tie(a.data_element_id, a.period_id, a.org_unit_id, a.coc_id, a.aoc_id) <
               std::tie(b.data_element_id, b.period_id, b.org_unit_id, b.coc_id, b.aoc_id);
      });
      WJ_RETURN_IF_ERROR(options_.before_commit(*writer_, summary_, written_));
    }
    if (!options_.dry_run) {
      // The values, the summary and the audit row: one transaction.
      storage::DataImportRecord rec = Record();
      std::optional<storage::AuditRecord> audit;
      if (options_.audit) audit = options_.audit(summary_);
      if (failed) {
        writer_.reset();  // rolls the values back
        WJ_RETURN_IF_ERROR(values_.store().SaveImportWithAudit(rec, audit ? &*audit : nullptr));
      } else {
        WJ_RETURN_IF_ERROR(writer_->CommitWith(&rec, audit ? &*audit : nullptr));
      }
    }
    writer_.reset();  // rolls back what was not committed (a dry run)
    return std::move(summary_);
  }

 private:
  static constexpr std::size_t kBatch = 50000;

  storage::DataImportRecord Record() const {
    return {summary_.import_id, options_.user,   summary_.format,
            NowMillis(),        summary_.status, summary_.ToJson().dump()};
  }

  Result<std::int64_t> PeriodId(const Period& p) {
    // Keyed by type and first day: printing the identifier for every row would cost more than
    // the lookup.
    const std::int64_t key = static_cast<std::int64_t>(p.start.time_since_epoch().count()) * 16 +
                             static_cast<std::int64_t>(p.type);
    if (auto it = period_ids_.find(key); it != period_ids_.end()) return it->second;
    if (!writer_) {  // staged: a provisional id, -(index + 1), resolved by OpenWriter
      staged_periods_.push_back({key, p});
      const std::int64_t provisional = -static_cast<std::int64_t>(staged_periods_.size());
      period_ids_.emplace(key, provisional);
      return provisional;
    }
    std::string id = p.Id();
    // Created inside the import's transaction, so a rolled-back import leaves no periods behind.
    WJ_ASSIGN_OR_RETURN(std::int64_t pid,
                        writer_->EnsurePeriod({0, id, PeriodTypeName(p.type),
                                               FormatIsoDate(p.start), FormatIsoDate(p.end)}));
    period_ids_.emplace(key, pid);
    return pid;
  }

  // Stages the batch (up to kMaxStaged rows in all), or writes it once the writer is open.
  Status Flush() {
    if (batch_.empty()) return Status::Ok();
    WJ_RETURN_IF_ERROR(MarkOutOfBounds());
    if (!writer_ && staged_rows_ + batch_.size() <= kMaxStaged) {
      staged_rows_ += batch_.size();
      staged_.push_back({std::move(batch_), std::move(batch_index_)});
      batch_.clear();
      batch_index_.clear();
      return Status::Ok();
    }
    if (!writer_) {
      // Past kMaxStaged rows the writer stays open while the rest is read: the bounds of units
      // still unseen are read now, before it opens (an in-memory store reads through the
      // writer's connection and lock).
      WJ_RETURN_IF_ERROR(LoadAllBounds());
      WJ_RETURN_IF_ERROR(OpenWriter());
    }
    return WriteBatch();
  }

  // Marks the batch's values outside their min-max bounds for follow-up, never refusing them (a
  // bulk import has no one to ask for a comment). The bounds of a unit are read the first time a
  // batch names it, one indexed read for all of a batch's new units: an import reads the bounds
  // of the units it writes, not the instance's.
  Status MarkOutOfBounds() {
    std::vector<std::int64_t> fresh;
    for (const auto& w : batch_)
      if (w.mode != storage::WriteMode::kDelete && !all_bounds_ &&
          bounds_.try_emplace(w.key.org_unit_id).second)
        fresh.push_back(w.key.org_unit_id);
    if (!fresh.empty()) {
      storage::MinMaxFilter f;
      f.org_unit_ids = std::move(fresh);
      WJ_ASSIGN_OR_RETURN(auto rows, values_.store().ListMinMax(f));
      for (auto& b : rows) bounds_[b.org_unit_id].push_back(std::move(b));
    }
    for (auto& w : batch_)
      if (w.mode != storage::WriteMode::kDelete && !w.followup) w.followup = OutOfBounds(w);
    return Status::Ok();
  }

  Status LoadAllBounds() {
    if (all_bounds_) return Status::Ok();
    WJ_ASSIGN_OR_RETURN(auto rows, values_.store().ListMinMax({}));
    bounds_.clear();
    for (auto& b : rows) bounds_[b.org_unit_id].push_back(std::move(b));
    all_bounds_ = true;
    return Status::Ok();
  }

  // Takes the store's writer, creates the staged periods in its transaction and writes the
  // staged batches (in their order: a later row still wins). An import writes beside the other
  // writes of the process (on PostgreSQL, so that the month-end import of one county does not
  // hold up every clerk's save on its server for its whole length), unless a step before its
  // commit must read and write in its transaction (federation's batch bookkeeping).
  Status OpenWriter() {
    const auto mode =
        options_.before_commit ? storage::ImportWriter::kExclusive : storage::ImportWriter::kBeside;
    WJ_ASSIGN_OR_RETURN(writer_, values_.store().BeginDataValueImport(
                                     options_.user, summary_.import_id, NowMillis(), mode));
    std::vector<std::int64_t> real(staged_periods_.size());
    for (std::size_t i = 0; i < staged_periods_.size(); ++i) {
      const auto& [key, p] = staged_periods_[i];
      period_ids_.erase(key);
      WJ_ASSIGN_OR_RETURN(real[i], PeriodId(p));
    }
    auto resolve = [&](std::vector<storage::DataValueWrite>& batch) {
      for (auto& w : batch)
        if (w.key.period_id < 0)
          w.key.period_id = real[static_cast<std::size_t>(-w.key.period_id - 1)];
    };
    resolve(batch_);
    std::vector<storage::DataValueWrite> current = std::move(batch_);
    std::vector<std::int64_t> current_index = std::move(batch_index_);
    for (auto& [batch, index] : staged_) {
      resolve(batch);
      batch_ = std::move(batch);
      batch_index_ = std::move(index);
      WJ_RETURN_IF_ERROR(WriteBatch());
    }
    staged_.clear();
    staged_periods_.clear();
    batch_ = std::move(current);
    batch_index_ = std::move(current_index);
    return Status::Ok();
  }

  Status WriteBatch() {
    if (batch_.empty()) return Status::Ok();
    if (options_.atomic && !summary_.conflicts.empty()) {
      // Refused already (a reference gone, below): nothing more is written, Finish rolls back.
      batch_.clear();
      batch_index_.clear();
      return Status::Ok();
    }
    // Written in key order, a batch lands in neighbouring B-tree pages instead of all over the
    // table (files usually list a period's units, the table is keyed unit-first). The sort is
    // stable, so when one key comes twice the later row still wins.
    std::vector<std::size_t> order(batch_.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    auto key = [&](std::size_t i) {
      const auto& k = batch_[i].key;
      return std::tie(k.org_unit_id, k.period_id, k.data_element_id, k.coc_id, k.aoc_id);
    };
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return key(a) < key(b); });
    std::vector<storage::DataValueWrite> sorted;
    sorted.reserve(batch_.size());
    for (auto i : order) sorted.push_back(std::move(batch_[i]));
    std::vector<std::size_t> dups;
    Result<storage::WriteCounts> written = writer_->Write(sorted, &dups);
    while (!written.ok()) {
      // The store refuses a batch naming a data element, period, unit or option combo it no
      // longer has (deleted since the catalog this import resolves against was loaded, by
      // another request or server), writing none of it. The rows naming it are conflicts; the
      // rest is written again (atomicMode=NONE) or the import is refused as for any conflict.
      WJ_RETURN_IF_ERROR(RefuseGoneReference(written.status(), sorted, order));
      if (options_.atomic || sorted.empty()) {
        batch_.clear();
        batch_index_.clear();
        return Status::Ok();
      }
      dups.clear();
      written = writer_->Write(sorted, &dups);
    }
    const storage::WriteCounts& c = *written;
    if (options_.before_commit)
      for (const auto& w : sorted)
        if (w.mode != storage::WriteMode::kDelete) written_.push_back(w.key);
    for (auto& d : dups) d = order[d];
    summary_.counts.imported += c.imported;
    summary_.counts.updated += c.updated;
    summary_.counts.ignored += c.ignored;
    summary_.counts.deleted += c.deleted;
    for (auto d : dups)
      AddConflict(summary_.warnings, batch_index_[d], "value",
                  "this value was given more than once in the payload; the last one wins", "");
    batch_.clear();
    batch_index_.clear();
    return Status::Ok();
  }

  // For a store's refusal of a batch over a reference it does not have (field
  // "dataValues[i].dataElement", storage BulkWriter::CheckReferences): every write of the batch
  // naming the same object becomes a conflict of its row and leaves `sorted` (and `order`, the
  // batch index of each). Any other error is returned as it is.
  Status RefuseGoneReference(const Status& refused, std::vector<storage::DataValueWrite>& sorted,
                             std::vector<std::size_t>& order) {
    const std::string& f = refused.field();
    const std::size_t open = f.find('['), close = f.find("].");
    if (refused.code() != StatusCode::kConflict || !f.starts_with("dataValues[") ||
        close == std::string::npos)
      return refused;
    const std::size_t at = std::stoul(f.substr(open + 1, close - open - 1));
    const std::string field = f.substr(close + 2);
    auto id_of = [&](const storage::DataValueKey& k) {
      return field == "dataElement"           ? k.data_element_id
             : field == "period"              ? k.period_id
             : field == "orgUnit"             ? k.org_unit_id
             : field == "categoryOptionCombo" ? k.coc_id
                                              : k.aoc_id;
    };
    if (at >= sorted.size()) return refused;
    const std::int64_t gone = id_of(sorted[at].key);
    std::string object = "id " + std::to_string(gone);
    if (const auto* ou = field == "orgUnit" ? cat_.OrgUnits().ById(gone) : nullptr)
      object = ou->code.empty() ? ou->uid : ou->code;
    if (const auto* de = field == "dataElement" ? cat_.DataElements().ById(gone) : nullptr)
      object = de->code.empty() ? de->uid : de->code;
    if (const auto* coc =
            field.ends_with("OptionCombo") ? cat_.CategoryOptionCombos().ById(gone) : nullptr)
      object = coc->uid;
    std::size_t kept = 0;
    for (std::size_t i = 0; i < sorted.size(); ++i) {
      const bool names = sorted[i].mode != storage::WriteMode::kDelete &&
                         sorted[i].mode != storage::WriteMode::kUpdateOnly &&
                         id_of(sorted[i].key) == gone;
      if (names) {
        AddConflict(summary_.conflicts, batch_index_[order[i]], field, refused.message(), object);
        ++rejected_;
        continue;
      }
      sorted[kept] = std::move(sorted[i]);
      order[kept++] = order[i];
    }
    sorted.resize(kept);
    order.resize(kept);
    return Status::Ok();
  }

  void AddConflict(std::vector<ImportConflict>& list, std::int64_t index, const std::string& field,
                   const std::string& message, const std::string& object) {
    // Grouped as DHIS2 groups them (ImportConflict's grouping key: the error code and the
    // objects): one conflict per kind of problem and object, with every row's index. A problem
    // without an object (a row the reader could not take) is grouped by its message, as DHIS2
    // groups its object-less conflicts.
    const std::string code = CodeFor(field, message);
    std::string key = object.empty() ? field + '\x1f' + message + "\x1f"
                                     : code + '\x1f' + field + '\x1f' + object;
    const bool warnings = &list == &summary_.warnings;
    auto& where = warnings ? warning_at_ : conflict_at_;
    auto it = where.find(key);
    if (it == where.end()) {
      if (list.size() >= kMaxGroups) {
        // Past this many distinct problems, the rest are counted under one heading.
        key =
            "\x1f"
            "more";
        it = where.find(key);
        if (it == where.end()) {
          list.push_back(
              {"", "more conflicts of other kinds (fix the ones above first)", "E_MORE", "", {}});
          it = where.emplace(key, list.size() - 1).first;
        }
      } else {
        list.push_back({object, message, code, field, {}});
        it = where.emplace(key, list.size() - 1).first;
      }
    } else if (ImportConflict& c = list[it->second];
               c.value != message && !varied_.count({warnings, it->second})) {
      // The rows of one group differ in detail (e.g. the bad value itself): the message, the
      // first row's, says so.
      varied_.insert({warnings, it->second});
      c.value += " (the other rows listed have the same problem with other values)";
    }
    list[it->second].indexes.push_back(index);
  }

  bool OutOfBounds(const storage::DataValueWrite& w) const {
    auto it = bounds_.find(w.key.org_unit_id);
    if (it == bounds_.end()) return false;
    for (const auto& b : it->second)
      if (b.data_element_id == w.key.data_element_id && b.coc_id == w.key.coc_id) {
        char* end = nullptr;
        double v = std::strtod(w.value.c_str(), &end);
        return end && !*end && !w.value.empty() && (v < b.min || v > b.max);
      }
    return false;
  }

  static constexpr std::size_t kMaxGroups = 10000;
  ImportOptions options_;
  const Catalog& cat_;
  ValueResolver resolver_;
  DataValueService& values_;
  WriteGuard guard_;
  std::unique_ptr<storage::DataValueBulkWriter> writer_;
  std::vector<storage::DataValueWrite> batch_;
  std::vector<std::int64_t> batch_index_;
  // Checked rows not yet written (the writer is not open), with their rows' indexes, and the
  // periods they use (by key), created when the writer opens.
  static constexpr std::size_t kMaxStaged = 1'000'000;
  std::vector<std::pair<std::vector<storage::DataValueWrite>, std::vector<std::int64_t>>> staged_;
  std::size_t staged_rows_ = 0;
  std::vector<std::pair<std::int64_t, Period>> staged_periods_;
  // Min-max bounds by unit, of the units seen so far (every unit's once all_bounds_).
  std::unordered_map<std::int64_t, std::vector<storage::MinMaxRecord>> bounds_;
  bool all_bounds_ = false;
  std::unordered_map<std::int64_t, std::int64_t> period_ids_;
  std::int64_t rejected_ = 0;  // rows refused with a conflict
  std::unordered_map<std::string, std::size_t> conflict_at_, warning_at_;
  std::set<std::pair<bool, std::size_t>> varied_;  // groups whose rows' messages differ
  std::vector<std::tuple<std::string, std::string, std::string>> completions_;
  std::vector<storage::DataValueKey> written_;  // kept only for options_.before_commit
  ImportSummary summary_;
};

}  // namespace

std::unique_ptr<ByteSource> StringSource(std::string_view data) {
  return std::make_unique<StringByteSource>(data);
}

Result<std::unique_ptr<ByteSource>> FileSource(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return InvalidArgument("cannot open " + path + ": " + std::strerror(errno));
  return std::unique_ptr<ByteSource>(std::make_unique<FileByteSource>(fd));
}

Opener OpenString(std::string_view data) {
  return [data]() -> Result<std::unique_ptr<ByteSource>> { return StringSource(data); };
}

Opener OpenFile(const std::string& path) {
  return [path]() { return FileSource(path); };
}

Result<ImportSummary> ImportDataValues(const Opener& open, ImportFormat format,
                                       const ImportOptions& options, const Catalog& catalog,
                                       DataValueService& values) {
  ImportOptions o = options;
  if (o.format) format = *o.format;
  if (format == ImportFormat::kXml) {
    // ADX is XML too, and often sent as application/xml: read it as ADX when it says so.
    WJ_ASSIGN_OR_RETURN(auto probe, open());
    char head[1024];
    WJ_ASSIGN_OR_RETURN(std::size_t got, probe->Read(head, sizeof head));
    std::string_view h(head, got);
    if (h.find("urn:ihe:qrph:adx") != std::string_view::npos &&
        h.find("dataValueSet") == std::string_view::npos)
      format = ImportFormat::kAdx;
  }
  if (!o.data_set.empty() && !catalog.DataSets().ByUidOrCode(o.data_set))
    return InvalidArgument("unknown data set " + o.data_set, "dataSet");
  if (!o.schemes_given && format == ImportFormat::kAdx) o.schemes = internal::AdxDefaultSchemes();
  WJ_ASSIGN_OR_RETURN(WriteGuard guard, values.approvals().Guard(catalog, o.writer_level));
  auto importer = std::make_unique<Importer>(o, catalog, values, format, guard);
  Status read;
  if (format == ImportFormat::kJson) {
    bool retry = false;
    read = internal::ReadJson(open, *importer, false, &retry);
    if (read.ok() && retry) {
      importer.reset();  // rolls back the rows read without their header
      importer = std::make_unique<Importer>(o, catalog, values, format, guard);
      read = internal::ReadJson(open, *importer, true, &retry);
    }
  } else {
    WJ_ASSIGN_OR_RETURN(auto source, open());
    read =
        format == ImportFormat::kCsv ? internal::ReadCsv(*source, *importer, o.first_row_is_header)
        : format == ImportFormat::kXml ? internal::ReadXml(*source, *importer)
                                       : internal::ReadAdx(*source, *importer, catalog, o.schemes);
  }
  // A payload that cannot be read is refused whole: the importer rolls back as it goes away.
  WJ_RETURN_IF_ERROR(read);
  WJ_ASSIGN_OR_RETURN(ImportSummary summary, importer->Finish());
  if (!summary.dry_run && summary.status != "ERROR") {
    summary.completed = importer->MarkComplete(catalog);
    if (!summary.completed.empty()) {  // the stored summary names the forms marked complete
      storage::DataImportRecord rec{summary.import_id, options.user,   summary.format,
                                    NowMillis(),       summary.status, summary.ToJson().dump()};
      WJ_RETURN_IF_ERROR(values.store().SaveImport(rec));
    }
  }
  return summary;
}

Result<json> FindImportSummary(storage::Store& store, const std::string& import_id) {
  WJ_ASSIGN_OR_RETURN(auto rec, store.FindImport(import_id));
  if (!rec) return NotFound("no import " + import_id);
  json j = json::parse(rec->summary_json);
  j["importedBy"] = rec->username;
  j["created"] = FormatTimestamp(rec->created);
  return j;
}

namespace internal {

bool Scanner::Fill() {
  consumed_ += static_cast<std::int64_t>(len_);
  pos_ = len_ = 0;
  if (!error_.ok()) return false;
  auto n = source_.Read(buf_.get(), kBuf);
  if (!n.ok()) {
    error_ = n.status();
    return false;
  }
  len_ = *n;
  return len_ > 0;
}

bool IsValidUtf8(std::string_view s) { return simdjson::validate_utf8(s.data(), s.size()); }

}  // namespace internal
}  // namespace weijian::exchange
