// DHIS2 collections kept as documents: one table of shapes, one reader, one writer.
// See documents.h for the invariants.
#include "metadata/documents.h"

#include <algorithm>
#include <cmath>

#include "core/uid.h"
#include "metadata/bundle_position.h"

namespace weijian::metadata {

using nlohmann::json;

namespace {

enum Kind { kText, kNumber, kInteger, kBool, kRef, kRefs, kLegends, kAttributeValues };

struct FieldSpec {
  const char* name;
  Kind kind;
  const char* target = "";  // the collection a reference points into
  bool required = false;
};

struct Spec {
  const char* collection;
  const char* uid_kind;  // namespace of stable uids made from codes
  std::vector<FieldSpec> fields;
  bool attribute_flags = false;  // attributes: dataElementAttribute, indicatorAttribute, …
};

// DHIS2's shapes (dhis2-core's schema descriptors), as far as weijian keeps them.
const std::vector<Spec>& Specs() {
  static const std::vector<Spec> kSpecs = {
      {"optionSets",
       "os",
       {{"valueType", kText}, {"version", kInteger}, {"options", kRefs, "options"}}},
      {"options",
       "op",
       {{"code", kText, "", true}, {"sortOrder", kInteger}, {"optionSet", kRef, "optionSets"}}},
      {"legendSets", "ls", {{"symbolizer", kText}, {"legends", kLegends}}},
      {"attributes",
       "at",
       {{"valueType", kText, "", true},
        {"mandatory", kBool},
        {"unique", kBool},
        {"sortOrder", kInteger},
        {"optionSet", kRef, "optionSets"}},
       true},
      {"dataElementGroups",
       "deg",
       {{"dataElements", kRefs, "dataElements"}, {"groupSets", kRefs, "dataElementGroupSets"}}},
      {"dataElementGroupSets",
       "degs",
       {{"compulsory", kBool},
        {"dataDimension", kBool},
        {"dataElementGroups", kRefs, "dataElementGroups"}}},
      {"indicatorGroups", "ing", {{"indicators", kRefs, "indicators"}}},
      {"organisationUnitGroupSets",
       "ougs",
       {{"compulsory", kBool},
        {"dataDimension", kBool},
        {"includeSubhierarchyInAnalytics", kBool},
        {"organisationUnitGroups", kRefs, "organisationUnitGroups"}}},
      {"categoryOptionGroups",
       "cog",
       {{"dataDimensionType", kText},
        {"categoryOptions", kRefs, "categoryOptions"},
        {"groupSets", kRefs, "categoryOptionGroupSets"}}},
      {"categoryOptionGroupSets",
       "cogs",
       {{"dataDimension", kBool},
        {"dataDimensionType", kText},
        {"categoryOptionGroups", kRefs, "categoryOptionGroups"}}},
      {"organisationUnitLevels",
       "oul",
       {{"level", kInteger, "", true}, {"offlineLevels", kInteger}}},
  };
  return kSpecs;
}

const Spec* SpecOf(std::string_view collection) {
  for (const auto& s : Specs())
    if (collection == s.collection) return &s;
  return nullptr;
}

// Fields every document may carry besides its own.
const std::vector<FieldSpec>& CommonFields() {
  static const std::vector<FieldSpec> kFields = {{"code", kText},
                                                 {"name", kText, "", true},
                                                 {"shortName", kText},
                                                 {"description", kText},
                                                 {"attributeValues", kAttributeValues}};
  return kFields;
}

// The extras of modelled collections.
const std::vector<FieldSpec>& ExtraFields(std::string_view collection) {
  static const std::vector<FieldSpec> kDataElements = {{"attributeValues", kAttributeValues},
                                                       {"optionSet", kRef, "optionSets"},
                                                       {"commentOptionSet", kRef, "optionSets"},
                                                       {"legendSets", kRefs, "legendSets"}};
  static const std::vector<FieldSpec> kWithLegends = {{"attributeValues", kAttributeValues},
                                                      {"legendSets", kRefs, "legendSets"}};
  static const std::vector<FieldSpec> kPlain = {{"attributeValues", kAttributeValues}};
  if (collection == "dataElements") return kDataElements;
  if (collection == "indicators" || collection == "dataSets") return kWithLegends;
  return kPlain;
}

bool IsModelled(const std::string& collection) { return SpecOf(collection) == nullptr; }

bool IsColor(const std::string& c) {
  if (c.size() != 4 && c.size() != 7) return false;
  if (c[0] != '#') return false;
  return std::all_of(c.begin() + 1, c.end(),
                     [](char ch) { return std::isxdigit(static_cast<unsigned char>(ch)); });
}

std::string Key(std::string_view collection, std::string_view key) {
  std::string k(collection);
  k += '\x1f';
  k += key;
  return k;
}

}  // namespace

const std::vector<std::string>& DocumentCollections() {
  static const std::vector<std::string> kNames = [] {
    std::vector<std::string> v;
    for (const auto& s : Specs()) v.push_back(s.collection);
    return v;
  }();
  return kNames;
}

bool IsDocumentCollection(std::string_view collection) { return SpecOf(collection) != nullptr; }

bool IsExtraField(std::string_view collection, std::string_view field) {
  for (const auto& f : ExtraFields(collection))
    if (field == f.name) return true;
  return false;
}

Status DocumentImport::AssignUids() {
  for (const auto& spec : Specs()) {
    auto it = bundle_.find(spec.collection);
    if (it == bundle_.end()) continue;
    if (!it->is_array()) return InvalidArgument("must be an array", spec.collection);
    auto& defined = defined_[spec.collection];
    const bool options = std::string_view(spec.collection) == "options";
    for (std::size_t i = 0; i < it->size(); ++i) {
      const json& obj = (*it)[i];
      const std::string where = At(spec.collection, i);
      if (!obj.is_object()) return InvalidArgument("must be an object", where);
      std::string uid, code;
      if (auto c = obj.find("code"); c != obj.end() && c->is_string()) code = c->get<std::string>();
      if (auto id = obj.find("id"); id != obj.end()) {
        if (!id->is_string() || !IsValidUid(id->get<std::string>()))
          return InvalidArgument(
              "is not a valid uid (11 letters or digits, starting with a letter)", where + ".id");
        uid = id->get<std::string>();
      } else if (!code.empty()) {
        // Option codes are unique inside their option set only: the set is part of the key.
        std::string key = code;
        if (options)
          if (auto s = obj.find("optionSet"); s != obj.end() && s->is_object())
            key = s->value("id", s->value("code", "")) + "/" + code;
        const auto* stored = options ? nullptr : cat_.Document(spec.collection, code);
        uid = stored ? stored->uid : StableUid(spec.uid_kind, key);
      } else {
        uid = RandomUid();
      }
      if (!code.empty()) {
        bool fresh = defined.uid_by_code.emplace(code, uid).second;
        if (!fresh && !options)
          return Conflict("code \"" + code + "\" appears twice in the bundle", where + ".code");
      }
      if (!defined.uids.insert(uid).second)
        return Conflict("uid " + uid + " appears twice in the bundle", where + ".id");
      uids_[spec.collection].push_back(uid);
    }
  }
  return Status::Ok();
}

Result<std::string> DocumentImport::ResolveRef(const json& ref, const std::string& field,
                                               const std::string& collection) {
  if (!ref.is_object()) return InvalidArgument("must be an object {\"id\": …}", field);
  if (IsModelled(collection)) return resolve_(ref, field, collection);
  auto& defined = defined_[collection];
  std::string key;
  if (auto id = ref.find("id"); id != ref.end() && id->is_string()) {
    key = id->get<std::string>();
    if (defined.uids.count(key)) return key;
  } else if (auto code = ref.find("code"); code != ref.end() && code->is_string()) {
    key = code->get<std::string>();
  } else {
    return InvalidArgument("a reference needs \"id\" or \"code\"", field);
  }
  if (auto it = defined.uid_by_code.find(key); it != defined.uid_by_code.end()) return it->second;
  if (const auto* d = cat_.Document(collection, key)) return d->uid;
  return NotFound("no " + collection + " object with id or code \"" + key + "\"", field);
}

Result<json> DocumentImport::ReadAttributeValues(const json& v, const std::string& field) {
  if (!v.is_array()) return InvalidArgument("must be an array", field);
  json out = json::array();
  std::set<std::string> seen;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string at = field + "[" + std::to_string(i) + "]";
    const json& av = v[i];
    if (!av.is_object()) return InvalidArgument("must be an object {\"value\", \"attribute\"}", at);
    auto a = av.find("attribute");
    if (a == av.end()) return InvalidArgument("is required", at + ".attribute");
    WJ_ASSIGN_OR_RETURN(std::string attribute, ResolveRef(*a, at + ".attribute", "attributes"));
    if (!seen.insert(attribute).second)
      return Conflict("attribute " + attribute + " has two values", at + ".attribute");
    auto value = av.find("value");
    std::string text;
    if (value == av.end() || value->is_null())
      return InvalidArgument("is required", at + ".value");
    else if (value->is_string())
      text = value->get<std::string>();
    else if (value->is_boolean())
      text = value->get<bool>() ? "true" : "false";
    else if (value->is_number())
      text = value->dump();
    else
      return InvalidArgument("must be a string, number or boolean", at + ".value");
    // An attribute with an option set takes only its options' codes.
    if (const auto* doc = cat_.Document("attributes", attribute)) {
      json body = json::parse(doc->body, nullptr, false);
      if (body.is_object() && body.contains("optionSet")) {
        std::string set = body["optionSet"].value("id", "");
        std::vector<std::string> codes;
        for (const auto& o : cat_.records().documents)
          if (o.collection == "options") {
            json ob = json::parse(o.body, nullptr, false);
            if (ob.is_object() && ob.contains("optionSet") &&
                ob["optionSet"].value("id", "") == set)
              codes.push_back(o.code);
          }
        if (!codes.empty() && std::find(codes.begin(), codes.end(), text) == codes.end())
          return Conflict("\"" + text + "\" is not an option of attribute " + doc->name,
                          at + ".value");
      }
    }
    out.push_back({{"value", text}, {"attribute", {{"id", attribute}}}});
  }
  return out;
}

Result<json> DocumentImport::ReadValue(const json& v, int kind, const std::string& target,
                                       const std::string& field, const std::string& owner_uid) {
  switch (kind) {
    case kText:
      if (!v.is_string()) return InvalidArgument("must be a string", field);
      return v;
    case kNumber:
      if (!v.is_number()) return InvalidArgument("must be a number", field);
      return v;
    case kInteger:
      if (!v.is_number_integer()) return InvalidArgument("must be a whole number", field);
      return v;
    case kBool:
      if (!v.is_boolean()) return InvalidArgument("must be true or false", field);
      return v;
    case kRef: {
      WJ_ASSIGN_OR_RETURN(std::string uid, ResolveRef(v, field, target));
      return json{{"id", uid}};
    }
    case kRefs: {
      if (!v.is_array()) return InvalidArgument("must be an array", field);
      json out = json::array();
      for (std::size_t i = 0; i < v.size(); ++i) {
        WJ_ASSIGN_OR_RETURN(std::string uid,
                            ResolveRef(v[i], field + "[" + std::to_string(i) + "]", target));
        out.push_back({{"id", uid}});
      }
      return out;
    }
    case kAttributeValues:
      return ReadAttributeValues(v, field);
    case kLegends: {
      if (!v.is_array()) return InvalidArgument("must be an array", field);
      json out = json::array();
      for (std::size_t i = 0; i < v.size(); ++i) {
        const std::string at = field + "[" + std::to_string(i) + "]";
        const json& l = v[i];
        if (!l.is_object()) return InvalidArgument("must be an object", at);
        json legend;
        std::string id;
        if (auto it = l.find("id"); it != l.end()) {
          if (!it->is_string() || !IsValidUid(it->get<std::string>()))
            return InvalidArgument("is not a valid uid", at + ".id");
          id = it->get<std::string>();
        } else {
          id = StableUid("lg", owner_uid + "/" + std::to_string(i));
        }
        legend["id"] = id;
        for (auto it = l.begin(); it != l.end(); ++it) {
          const std::string& k = it.key();
          if (k == "id" || IsServerBookkeeping(k)) continue;
          if (k == "name" || k == "code" || k == "color" || k == "image") {
            if (!it->is_string()) return InvalidArgument("must be a string", at + "." + k);
            if (k == "color" && !IsColor(it->get<std::string>()))
              return InvalidArgument("must be a colour like #FF6600", at + ".color");
            legend[k] = *it;
          } else if (k == "startValue" || k == "endValue") {
            if (!it->is_number()) return InvalidArgument("must be a number", at + "." + k);
            legend[k] = it->get<double>();
          } else {
            warnings_.push_back(at + "." + k);
          }
        }
        for (const char* k : {"name", "startValue", "endValue"})
          if (!legend.contains(k)) return InvalidArgument("is required", at + "." + k);
        if (legend["startValue"].get<double>() > legend["endValue"].get<double>())
          return InvalidArgument("startValue must not be above endValue", at + ".startValue");
        out.push_back(std::move(legend));
      }
      return out;
    }
  }
  return Internal("unknown field kind");
}

Status DocumentImport::Read(storage::MetadataRecords& out, MetadataImportReport& report) {
  for (const auto& spec : Specs()) {
    auto arr = bundle_.find(spec.collection);
    if (arr == bundle_.end()) continue;
    int created = 0, updated = 0;
    json object_reports = json::array();
    std::set<std::string> codes_in_set;  // options: "set/code" must be unique
    for (std::size_t i = 0; i < arr->size(); ++i) {
      const json& obj = (*arr)[i];
      const std::string where = At(spec.collection, i);
      const std::string& uid = uids_[spec.collection][i];
      warnings_ = json::array();
      json body = {{"id", uid}};
      std::set<std::string> used = {"id"};
      auto read = [&](const FieldSpec& f) -> Status {
        used.insert(f.name);
        auto it = obj.find(f.name);
        if (it == obj.end() || it->is_null()) {
          if (f.required) return InvalidArgument("is required", where + "." + f.name);
          return Status::Ok();
        }
        WJ_ASSIGN_OR_RETURN(json v, ReadValue(*it, f.kind, f.target, where + "." + f.name, uid));
        body[f.name] = std::move(v);
        return Status::Ok();
      };
      for (const auto& f : CommonFields()) WJ_RETURN_IF_ERROR(read(f));
      for (const auto& f : spec.fields) WJ_RETURN_IF_ERROR(read(f));
      if (body["name"].get<std::string>().empty())
        return InvalidArgument("must not be empty", where + ".name");
      if (spec.attribute_flags)
        for (auto it = obj.begin(); it != obj.end(); ++it)
          if (it.key().size() > 9 && it.key().ends_with("Attribute")) {
            used.insert(it.key());
            if (!it->is_boolean())
              return InvalidArgument("must be true or false", where + "." + it.key());
            if (it->get<bool>()) body[it.key()] = true;
          }
      for (auto it = obj.begin(); it != obj.end(); ++it)
        if (!used.count(it.key()) && !IsServerBookkeeping(it.key())) warnings_.push_back(it.key());
      if (body.contains("level") && body["level"].get<long>() < 1)
        return InvalidArgument("must be a level (1, 2, …)", where + ".level");
      const std::string code = body.value("code", "");
      if (std::string_view(spec.collection) == "options" && !code.empty()) {
        std::string set = body.contains("optionSet") ? body["optionSet"].value("id", "") : "";
        if (!codes_in_set.insert(set + "/" + code).second)
          return Conflict("code \"" + code + "\" appears twice in option set " + set,
                          where + ".code");
      } else if (!code.empty()) {
        if (const auto* other = cat_.Document(spec.collection, code); other && other->uid != uid)
          return Conflict("code \"" + code + "\" already belongs to " + other->uid,
                          where + ".code");
      }
      const bool exists = cat_.Document(spec.collection, uid) != nullptr &&
                          cat_.Document(spec.collection, uid)->uid == uid;
      if (exists && options_.strategy == MetadataImportOptions::Strategy::kCreate)
        return Conflict("already exists, and importStrategy is CREATE", where + ".id");
      if (!exists && options_.strategy == MetadataImportOptions::Strategy::kUpdate)
        return NotFound("does not exist, and importStrategy is UPDATE", where + ".id");
      (exists ? updated : created)++;
      out.documents.push_back(
          {spec.collection, uid, code, body["name"].get<std::string>(), body.dump()});
      if (!warnings_.empty()) {
        json errors = json::array();
        for (const auto& w : warnings_)
          errors.push_back({{"message", "unknown field \"" + w.get<std::string>() + "\" left out"},
                            {"mainKlass", spec.collection},
                            {"errorCode", "W_UNKNOWN_FIELD"},
                            {"errorProperty", w},
                            {"errorProperties", json::array({w})}});
        object_reports.push_back(
            {{"klass", spec.collection}, {"index", i}, {"uid", uid}, {"errorReports", errors}});
      }
    }
    if (!object_reports.empty())
      report.warnings.push_back({{"collection", spec.collection},
                                 {"errorCode", "W_UNKNOWN_FIELD"},
                                 {"count", object_reports.size()},
                                 {"message", "fields weijian does not know were left out"}});
    report.created += created;
    report.updated += updated;
    report.type_reports.push_back({{"klass", spec.collection},
                                   {"stats",
                                    {{"created", created},
                                     {"updated", updated},
                                     {"ignored", 0},
                                     {"total", created + updated}}},
                                   {"objectReports", object_reports}});
  }
  return Status::Ok();
}

Status DocumentImport::ReadExtras(const std::string& collection, const json& obj,
                                  const std::string& uid, const std::string& where,
                                  storage::MetadataRecords& out) {
  if (!obj.is_object()) return Status::Ok();
  json body = json::object();
  for (const auto& f : ExtraFields(collection)) {
    auto it = obj.find(f.name);
    if (it == obj.end() || it->is_null()) continue;
    WJ_ASSIGN_OR_RETURN(json v, ReadValue(*it, f.kind, f.target, where + "." + f.name, uid));
    if (v.is_array() && v.empty()) continue;
    body[f.name] = std::move(v);
  }
  // An object the bundle lists without extras loses the ones it had (DHIS2's REPLACE).
  if (body.empty() && !cat_.Extras(collection, uid)) return Status::Ok();
  out.object_extras.push_back({collection, uid, "", "", body.empty() ? "" : body.dump()});
  return Status::Ok();
}

void ExportDocuments(const Catalog& catalog, json& out) {
  for (const auto& name : DocumentCollections()) out[name] = json::array();
  for (const auto& d : catalog.records().documents) {
    json body = json::parse(d.body, nullptr, false);
    if (!body.is_object() || !out.contains(d.collection)) continue;
    out[d.collection].push_back(std::move(body));
  }
  for (auto it = out.begin(); it != out.end(); ++it) {
    if (!it->is_array() || IsDocumentCollection(it.key())) continue;
    for (auto& obj : *it) {
      if (!obj.is_object() || !obj.contains("id")) continue;
      const auto* extras = catalog.Extras(it.key(), obj["id"].get<std::string>());
      if (!extras) continue;
      json body = json::parse(extras->body, nullptr, false);
      if (!body.is_object()) continue;
      for (auto f = body.begin(); f != body.end(); ++f) obj[f.key()] = *f;
    }
  }
}

// --- the catalog's index of documents (declared in catalog.h) ---

void Catalog::IndexDocuments() {
  std::map<std::string, std::vector<std::pair<long, std::string>>> codes_of_set;  // set → codes
  std::map<std::string, std::string> set_name;
  std::map<std::string, std::pair<long, std::string>> option_by_uid;  // (sortOrder, code)
  for (const auto& d : records_.documents) {
    doc_by_key_.emplace(Key(d.collection, d.uid), &d);
    if (!d.code.empty()) doc_by_key_.emplace(Key(d.collection, d.code), &d);
    if (d.collection == "optionSets") set_name[d.uid] = d.name;
    if (d.collection != "options") continue;
    json body = json::parse(d.body, nullptr, false);
    if (!body.is_object()) continue;
    long order = body.value("sortOrder", 0L);
    option_by_uid[d.uid] = {order, d.code};
    if (body.contains("optionSet"))
      codes_of_set[body["optionSet"].value("id", "")].push_back({order, d.code});
  }
  // A set may also list its options itself (DHIS2 exports both directions).
  for (const auto& d : records_.documents) {
    if (d.collection != "optionSets") continue;
    json body = json::parse(d.body, nullptr, false);
    if (!body.is_object() || !body.contains("options")) continue;
    for (const auto& ref : body["options"])
      if (auto it = option_by_uid.find(ref.value("id", "")); it != option_by_uid.end())
        codes_of_set[d.uid].push_back(it->second);
  }
  for (const auto& e : records_.object_extras) {
    extras_.emplace(Key(e.collection, e.uid), &e);
    json body = json::parse(e.body, nullptr, false);
    if (!body.is_object()) continue;
    // Values of attributes, for the ATTRIBUTE:<uid> id scheme; a value two objects share names
    // neither (kept as "", so a lookup refuses it instead of picking one).
    if (auto av = body.find("attributeValues"); av != body.end() && av->is_array())
      for (const auto& a : *av) {
        if (!a.is_object() || !a.contains("attribute") || !a["attribute"].is_object()) continue;
        const json& v = a.contains("value") ? a["value"] : json();
        if (!v.is_string()) continue;
        const std::string by_attribute = Key(e.collection, a["attribute"].value("id", ""));
        auto [it, fresh] =
            uid_by_attribute_.emplace(Key(by_attribute, v.get<std::string>()), e.uid);
        if (!fresh && it->second != e.uid) it->second.clear();
        attribute_value_of_[Key(by_attribute, e.uid)] = v.get<std::string>();
      }
    if (e.collection != "dataElements" || !body.contains("optionSet")) continue;
    std::string set = body["optionSet"].value("id", "");
    OptionSetRule rule;
    rule.uid = set;
    rule.name = set_name.count(set) ? set_name[set] : set;
    auto codes = codes_of_set[set];
    std::stable_sort(codes.begin(), codes.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [order, code] : codes)
      if (std::find(rule.codes.begin(), rule.codes.end(), code) == rule.codes.end())
        rule.codes.push_back(code);
    option_rule_of_.emplace(e.uid, std::move(rule));
  }
}

const storage::MetadataDocumentRecord* Catalog::Document(std::string_view collection,
                                                         std::string_view uid_or_code) const {
  auto it = doc_by_key_.find(Key(collection, uid_or_code));
  return it == doc_by_key_.end() ? nullptr : it->second;
}

const storage::MetadataDocumentRecord* Catalog::Extras(std::string_view collection,
                                                       std::string_view uid) const {
  auto it = extras_.find(Key(collection, uid));
  return it == extras_.end() ? nullptr : it->second;
}

const std::string* Catalog::UidByAttribute(std::string_view collection,
                                           std::string_view attribute_uid,
                                           std::string_view value) const {
  auto it = uid_by_attribute_.find(Key(Key(collection, attribute_uid), value));
  return it == uid_by_attribute_.end() || it->second.empty() ? nullptr : &it->second;
}

const std::string* Catalog::AttributeValue(std::string_view collection,
                                           std::string_view attribute_uid,
                                           std::string_view uid) const {
  auto it = attribute_value_of_.find(Key(Key(collection, attribute_uid), uid));
  return it == attribute_value_of_.end() ? nullptr : &it->second;
}

const Catalog::OptionSetRule* Catalog::OptionSetOf(std::string_view data_element_uid) const {
  auto it = option_rule_of_.find(std::string(data_element_uid));
  return it == option_rule_of_.end() ? nullptr : &it->second;
}

bool IsServerBookkeeping(const std::string& key) {
  static const std::set<std::string> kKeys = {"created",
                                              "lastUpdated",
                                              "href",
                                              "sharing",
                                              "translations",
                                              "access",
                                              "favorites",
                                              "favorite",
                                              "createdBy",
                                              "lastUpdatedBy",
                                              "user",
                                              "publicAccess",
                                              "externalAccess",
                                              "userGroupAccesses",
                                              "userAccesses",
                                              "displayName",
                                              "displayShortName",
                                              "displayDescription",
                                              "displayFormName",
                                              "dimensionItem",
                                              "dimensionItemType",
                                              "legendSet",
                                              "optionSetValue"};
  return kKeys.count(key) > 0;
}

}  // namespace weijian::metadata
