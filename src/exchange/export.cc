// Exporting data value sets as DHIS2 JSON, DHIS2 DXF2 XML, DHIS2 CSV or ADX, streamed row by row
// from the store. An export of one data set, period and unit names all three at the top, as
// DHIS2's does.
#include <algorithm>
#include <set>

#include "core/csv_cell.h"
#include "core/date.h"
#include "core/xml.h"
#include "exchange/import.h"
#include "exchange/internal/adx_period.h"
#include "metadata/value_type.h"

namespace weijian::exchange {

using nlohmann::json;

namespace {

template <typename T>
std::string Id(const T* r, IdScheme scheme) {
  if (!r) return "";
  switch (scheme) {
    case IdScheme::kCode:
      return r->code.empty() ? r->uid : r->code;
    case IdScheme::kName:
      return r->name;
    case IdScheme::kUid:
    case IdScheme::kAttribute:  // by AttributeIds below; never reached
      return r->uid;
  }
  return r->uid;
}

// Identifiers under the chosen schemes, DHIS2's ATTRIBUTE:<uid> too: there each object's value
// of that attribute (Catalog::AttributeValue); an object without one is written with an empty
// identifier, as DHIS2 writes none.
class AttributeIds {
 public:
  AttributeIds(const Catalog& cat, const IdSchemes& schemes) : cat_(cat), schemes_(schemes) {}

  std::string DataElement(const storage::DataElementRecord* r) const {
    return Of(r, schemes_.data_element, "dataElements", schemes_.data_element_attribute);
  }
  std::string OrgUnit(const storage::OrgUnitRecord* r) const {
    return Of(r, schemes_.org_unit, "organisationUnits", schemes_.org_unit_attribute);
  }
  std::string Combo(const storage::CategoryOptionComboRecord* r) const {
    return Of(r, schemes_.category_option_combo, "categoryOptionCombos",
              schemes_.category_option_combo_attribute);
  }

 private:
  template <typename T>
  std::string Of(const T* r, IdScheme scheme, std::string_view collection,
                 const std::string& attribute) const {
    if (!r || scheme != IdScheme::kAttribute) return Id(r, scheme);
    const std::string* value = cat_.AttributeValue(collection, attribute, r->uid);
    return value ? *value : std::string();
  }

  const Catalog& cat_;
  const IdSchemes& schemes_;
};

// Text for an attribute value: XmlEscape, and line breaks and tabs as character references, since
// a parser turns literal ones in attributes into spaces (XML 1.0 §3.3.3).
std::string XmlAttr(std::string_view text) {
  std::string e = XmlEscape(text);
  if (e.find_first_of("\n\r\t") == std::string::npos) return e;
  std::string out;
  for (char c : e) {
    if (c == '\n')
      out += "&#10;";
    else if (c == '\r')
      out += "&#13;";
    else if (c == '\t')
      out += "&#9;";
    else
      out += c;
  }
  return out;
}

// An option combo as ADX attributes: ` category="option"` for each of its categories, each named
// by its scheme (the uid where the scheme gives nothing a name can be made of).
std::string AdxCategories(const Catalog& cat, const storage::CategoryOptionComboRecord& combo,
                          const IdSchemes& schemes) {
  std::string out;
  const auto* cc = cat.CategoryCombos().ByUid(combo.combo_uid);
  if (!cc) return out;
  for (const auto& cat_uid : cc->category_uids) {
    const auto* category = cat.Categories().ByUid(cat_uid);
    if (!category) continue;
    for (const auto& opt : combo.option_uids) {
      if (std::find(category->option_uids.begin(), category->option_uids.end(), opt) ==
          category->option_uids.end())
        continue;
      const auto* option = cat.CategoryOptions().ByUid(opt);
      if (!option) continue;
      out += " " + internal::AdxAttributeName(*category, schemes.category) + "=\"" +
             XmlEscape(Id(option, schemes.category_option)) + "\"";
    }
  }
  return out;
}

std::string CsvField(const std::string& s) { return CsvCell(s); }

}  // namespace

Status ParseExportOption(ExportOptions& o, const std::string& name, const std::string& value) {
  WJ_ASSIGN_OR_RETURN(bool scheme, ParseIdSchemeOption(o.schemes, name, value));
  if (scheme) {
    o.schemes_given = true;
    return Status::Ok();
  }
  if (name == "dataSet") return o.data_sets.push_back(value), Status::Ok();
  if (name == "period") return o.periods.push_back(value), Status::Ok();
  if (name == "orgUnit") return o.org_units.push_back(value), Status::Ok();
  if (name == "orgUnitGroup") return o.org_unit_groups.push_back(value), Status::Ok();
  if (name == "attributeOptionCombo")
    return o.attribute_option_combos.push_back(value), Status::Ok();
  if (name == "startDate") return o.start_date = value, Status::Ok();
  if (name == "endDate") return o.end_date = value, Status::Ok();
  if (name == "children" || name == "includeDeleted") {
    if (value != "true" && value != "false" && !value.empty())
      return InvalidArgument("must be true or false", name);
    (name == "children" ? o.children : o.include_deleted) = value != "false";
    return Status::Ok();
  }
  if (name == "format") {
    if (value == "json")
      o.format = ImportFormat::kJson;
    else if (value == "csv")
      o.format = ImportFormat::kCsv;
    else if (value == "adx")
      o.format = ImportFormat::kAdx;
    else if (value == "xml")
      o.format = ImportFormat::kXml;
    else
      return InvalidArgument("must be json, xml, csv or adx", name);
    return Status::Ok();
  }
  return InvalidArgument("unknown export option", name);
}

Status ExportDataValues(const ExportOptions& o, const Catalog& cat, DataValueService& values,
                        const std::function<void(std::string_view)>& out) {
  IdSchemes schemes = o.schemes;
  if (!o.schemes_given && o.format == ImportFormat::kAdx) schemes = internal::AdxDefaultSchemes();
  if (o.data_sets.empty()) return InvalidArgument("name at least one data set", "dataSet");
  if (o.org_units.empty() && o.org_unit_groups.empty())
    return InvalidArgument("name at least one org unit or org unit group", "orgUnit");
  if (o.periods.empty() && (o.start_date.empty() || o.end_date.empty()))
    return InvalidArgument("give period, or startDate and endDate", "period");

  storage::DataValueExportFilter filter;
  filter.include_deleted = o.include_deleted;
  std::vector<const storage::DataSetRecord*> sets;
  std::set<std::int64_t> element_ids;
  for (const auto& key : o.data_sets) {
    const auto* ds = cat.DataSets().ByUidOrCode(key);
    if (!ds) return NotFound("unknown data set " + key, "dataSet");
    sets.push_back(ds);
    for (const auto& e : ds->elements)
      if (const auto* de = cat.DataElements().ByUid(e.data_element_uid)) element_ids.insert(de->id);
  }
  filter.data_element_ids.assign(element_ids.begin(), element_ids.end());

  // Periods and values from the read replica when there is one and it has replayed every write
  // committed before now (the caller's own included); else from the primary.
  auto replica = values.store().ReadFromReplica();
  WJ_ASSIGN_OR_RETURN(auto stored_periods, values.store().LoadPeriods());
  std::optional<Date> start, end;
  if (!o.start_date.empty()) {
    auto s = ParseIsoDate(o.start_date);
    if (!s.ok()) return InvalidArgument(s.status().message(), "startDate");
    auto e = ParseIsoDate(o.end_date);
    if (!e.ok()) return InvalidArgument(e.status().message(), "endDate");
    start = *s;
    end = *e;
  }
  std::set<std::string> wanted(o.periods.begin(), o.periods.end());
  for (const auto& p : o.periods)
    if (auto parsed = ParsePeriod(p); !parsed.ok())
      return InvalidArgument(parsed.status().message(), "period");
  std::map<std::int64_t, Period> period_of;
  for (const auto& r : stored_periods) {
    auto p = ParsePeriod(r.iso);
    if (!p.ok()) continue;
    bool take = wanted.count(p->Id()) || (start && *start <= p->start && p->end <= *end);
    if (take) {
      filter.period_ids.push_back(r.id);
      period_of.emplace(r.id, *p);
    }
  }

  std::set<std::int64_t> units;
  std::vector<std::string> unit_keys = o.org_units;
  for (const auto& key : o.org_unit_groups) {
    const auto* g = cat.OrgUnitGroups().ByUidOrCode(key);
    if (!g) return NotFound("unknown org unit group " + key, "orgUnitGroup");
    // Members outside the caller's units are left out, as DHIS2 limits a group to the user's.
    for (const auto& uid : g->org_unit_uids)
      if (const auto* u = cat.OrgUnits().ByUid(uid); u && (!o.can_read || o.can_read(u->id)))
        unit_keys.push_back(uid);
  }
  for (const auto& key : unit_keys) {
    const auto* u = cat.OrgUnits().ByUidOrCode(key);
    if (!u) return NotFound("unknown org unit " + key, "orgUnit");
    if (o.can_read && !o.can_read(u->id))
      return PermissionDenied("org unit " + key + " is outside your org units");
    if (o.children) {
      const auto& tree = cat.tree();
      for (auto pre = tree.Pre(u->id); pre <= tree.Last(u->id); ++pre) {
        std::int64_t id = tree.IdAt(pre);
        if (!o.can_read || o.can_read(id)) units.insert(id);
      }
    } else {
      units.insert(u->id);
    }
  }
  filter.org_unit_ids.assign(units.begin(), units.end());
  std::set<std::int64_t> aocs;  // empty: every attribute option combo
  for (const auto& key : o.attribute_option_combos) {
    const auto* aoc = cat.CategoryOptionCombos().ByUidOrCode(key);
    if (!aoc) return NotFound("unknown attribute option combo " + key, "attributeOptionCombo");
    aocs.insert(aoc->id);
  }
  // The data set a value is written under in an ADX group: the first one asked for that holds
  // its element, has its period's type and its attribute option combo's combo; else the first
  // asked for. (Before, every group named the first data set, so a quarterly value of a second
  // data set was written under a monthly one and could not be imported again.)
  auto data_set_of = [&](const storage::DataElementRecord* de, const Period& pe,
                         const storage::CategoryOptionComboRecord* aoc) {
    for (const auto* ds : sets) {
      auto type = ParsePeriodType(ds->period_type);
      if (!type.ok() || *type != pe.type) continue;
      if (aoc && aoc->combo_uid != ds->combo_uid) continue;
      if (!de) return ds;
      for (const auto& e : ds->elements)
        if (e.data_element_uid == de->uid) return ds;
    }
    return sets.front();
  };

  const auto* ds0 = sets.front();
  AttributeIds ids(cat, schemes);
  std::size_t n = 0;
  std::string buf;
  auto flush = [&](bool force) {
    if (force || buf.size() > (1 << 20)) {
      out(buf);
      buf.clear();
    }
  };
  // ADX groups: consecutive values of one data set, unit, period and attribute combo.
  std::tuple<const storage::DataSetRecord*, std::int64_t, std::int64_t, std::int64_t> group{
      nullptr, -1, -1, -1};

  // One set, one period, one unit: DHIS2 names them at the top.
  const storage::OrgUnitRecord* single_unit =
      o.org_units.size() == 1 && !o.children && o.periods.size() == 1 && sets.size() == 1
          ? cat.OrgUnits().ByUidOrCode(o.org_units[0])
          : nullptr;
  const std::string single_period = single_unit ? ParsePeriod(o.periods[0])->Id() : "";
  switch (o.format) {
    case ImportFormat::kJson:
      buf += "{\"dataSet\":" + json(Id(ds0, schemes.data_set)).dump();
      if (single_unit)
        buf += ",\"period\":" + json(single_period).dump() +
               ",\"orgUnit\":" + json(ids.OrgUnit(single_unit)).dump();
      buf += ",\"dataValues\":[";
      break;
    case ImportFormat::kXml:
      buf +=
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<dataValueSet "
          "xmlns=\"http://dhis2.org/schema/dxf/2.0\" dataSet=\"" +
          XmlEscape(Id(ds0, schemes.data_set)) + "\"";
      if (single_unit)
        buf += " period=\"" + single_period + "\" orgUnit=\"" +
               XmlEscape(ids.OrgUnit(single_unit)) + "\"";
      buf += ">\n";
      break;
    case ImportFormat::kCsv:
      buf +=
          "dataelement,period,orgunit,catoptcombo,attroptcombo,value,storedby,lastupdated,comment,"
          "followup,deleted\n";
      break;
    case ImportFormat::kAdx:
      buf +=
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<adx xmlns=\"urn:ihe:qrph:adx:2015\" "
          "exported=\"" +
          FormatTimestamp(NowMillis()) + "\">\n";
      break;
  }
  auto rows = o.rows
                  ? o.rows
                  : [&values](const storage::DataValueExportFilter& f,
                              const std::function<Status(const storage::DataValueRecord&)>& sink) {
                      return values.store().ExportDataValues(f, sink);
                    };
  Status s = rows(filter, [&](const storage::DataValueRecord& v) -> Status {
    const auto* de = cat.DataElements().ById(v.key.data_element_id);
    const auto* ou = cat.OrgUnits().ById(v.key.org_unit_id);
    const auto* coc = cat.CategoryOptionCombos().ById(v.key.coc_id);
    const auto* aoc = cat.CategoryOptionCombos().ById(v.key.aoc_id);
    const Period& pe = period_of.at(v.key.period_id);
    if (!aocs.empty() && !aocs.count(v.key.aoc_id)) return Status::Ok();
    switch (o.format) {
      case ImportFormat::kJson: {
        json j = {{"dataElement", ids.DataElement(de)},
                  {"period", pe.Id()},
                  {"orgUnit", ids.OrgUnit(ou)},
                  {"categoryOptionCombo", ids.Combo(coc)},
                  {"attributeOptionCombo", ids.Combo(aoc)},
                  {"value", v.value}};
        if (!o.minimal) {
          j["storedBy"] = v.stored_by;
          j["created"] = FormatTimestamp(v.created);
          j["lastUpdated"] = FormatTimestamp(v.last_updated);
          j["comment"] = v.comment;
          j["followup"] = v.followup;
        } else {
          if (!v.comment.empty()) j["comment"] = v.comment;
          if (v.followup) j["followup"] = true;
        }
        if (v.deleted) j["deleted"] = true;
        if (n) buf += ',';
        buf += j.dump();
        break;
      }
      case ImportFormat::kXml:
        // DHIS2's attribute order; comment only when there is one, deleted only when set.
        buf += "  <dataValue dataElement=\"" + XmlEscape(ids.DataElement(de)) + "\" period=\"" +
               pe.Id() + "\" orgUnit=\"" + XmlEscape(ids.OrgUnit(ou)) +
               "\" categoryOptionCombo=\"" + XmlEscape(ids.Combo(coc)) +
               "\" attributeOptionCombo=\"" + XmlEscape(ids.Combo(aoc)) + "\" value=\"" +
               XmlAttr(v.value) + "\" storedBy=\"" + XmlAttr(v.stored_by) + "\" created=\"" +
               FormatTimestamp(v.created) + "\" lastUpdated=\"" + FormatTimestamp(v.last_updated) +
               "\"";
        if (!v.comment.empty()) buf += " comment=\"" + XmlAttr(v.comment) + "\"";
        buf += v.followup ? " followup=\"true\"" : " followup=\"false\"";
        if (v.deleted) buf += " deleted=\"true\"";
        buf += "/>\n";
        break;
      case ImportFormat::kCsv:
        buf += CsvField(ids.DataElement(de)) + ',' + pe.Id() + ',' + CsvField(ids.OrgUnit(ou)) +
               ',' + CsvField(ids.Combo(coc)) + ',' + CsvField(ids.Combo(aoc)) + ',' +
               CsvField(v.value) + ',' + CsvField(v.stored_by) + ',' +
               FormatTimestamp(v.last_updated) + ',' + CsvField(v.comment) + ',' +
               (v.followup ? "true" : "false") + ',' + (v.deleted ? "true" : "false") + '\n';
        break;
      case ImportFormat::kAdx: {
        const auto* ds = data_set_of(de, pe, aoc);
        std::tuple<const storage::DataSetRecord*, std::int64_t, std::int64_t, std::int64_t> g{
            ds, v.key.org_unit_id, v.key.period_id, v.key.aoc_id};
        if (g != group) {
          if (std::get<0>(group)) buf += "  </group>\n";
          buf += "  <group dataSet=\"" + XmlEscape(Id(ds, schemes.data_set)) + "\" orgUnit=\"" +
                 XmlEscape(ids.OrgUnit(ou)) + "\" period=\"" + internal::AdxPeriod(pe) + "\"";
          // The attribute option combo as one attribute per category, as DHIS2 writes it.
          if (aoc && aoc->uid != metadata::kDefaultCocUid) buf += AdxCategories(cat, *aoc, schemes);
          buf += ">\n";
          group = g;
        }
        buf += "    <dataValue dataElement=\"" + XmlEscape(ids.DataElement(de)) + "\"";
        if (coc && coc->uid != metadata::kDefaultCocUid) buf += AdxCategories(cat, *coc, schemes);
        // As DHIS2 writes ADX (its adx/exportA.adx.xml): a numeric value in value=, its
        // comment in <annotation>; a non-numeric value (text, date, boolean …) as value="0"
        // with the value itself in <annotation>, its comment then in DXF2's comment=.
        bool text_value = de && !metadata::IsNumericValueType(de->value_type);
        buf += " value=\"" + (text_value ? std::string("0") : XmlAttr(v.value)) + "\"";
        if (text_value && !v.comment.empty()) buf += " comment=\"" + XmlAttr(v.comment) + "\"";
        // ADX has no follow-up mark; DXF2's followup= (passed through by DHIS2's ADX reader,
        // read back by weijian) keeps it across a round trip.
        if (v.followup) buf += " followup=\"true\"";
        const std::string& annotation = text_value ? v.value : v.comment;
        if (!annotation.empty())
          buf += "><annotation>" + XmlEscape(annotation) + "</annotation></dataValue>\n";
        else
          buf += "/>\n";
        break;
      }
    }
    ++n;
    flush(false);
    return Status::Ok();
  });
  WJ_RETURN_IF_ERROR(s);
  switch (o.format) {
    case ImportFormat::kJson:
      buf += "]}\n";
      break;
    case ImportFormat::kXml:
      buf += "</dataValueSet>\n";
      break;
    case ImportFormat::kCsv:
      break;
    case ImportFormat::kAdx:
      if (std::get<0>(group)) buf += "  </group>\n";
      buf += "</adx>\n";
      break;
  }
  flush(true);
  return Status::Ok();
}

}  // namespace weijian::exchange
