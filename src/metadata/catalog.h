// The catalog: an immutable, indexed snapshot of all metadata and the org-unit tree.
//
// Loaded from the store at start-up and replaced whole after a metadata change (rare), so
// readers never lock: they hold a shared_ptr to the snapshot they started with. Every lookup
// by uid, code or name is a hash probe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/org_unit_tree.h"
#include "core/status.h"
#include "storage/records.h"
#include "storage/store.h"

namespace weijian::metadata {

using storage::CategoryComboRecord;
using storage::CategoryOptionComboRecord;
using storage::CategoryOptionRecord;
using storage::CategoryRecord;
using storage::ConstantRecord;
using storage::DataElementRecord;
using storage::DataSetRecord;
using storage::IndicatorRecord;
using storage::IndicatorTypeRecord;
using storage::OrgUnitGroupRecord;
using storage::OrgUnitRecord;

// DHIS2's well-known uids for the default disaggregation, so DHIS2 payloads resolve as-is.
inline constexpr const char* kDefaultCategoryComboUid = "bjDvmb4bfuf";
inline constexpr const char* kDefaultCategoryUid = "GLevLNI9wkl";
inline constexpr const char* kDefaultCategoryOptionUid = "xYerKDKCefk";
inline constexpr const char* kDefaultCocUid = "HllvX50cXC0";

// kAttribute: DHIS2's ATTRIBUTE:<uid>, an object named by its value of a unique attribute; the
// attribute's uid travels beside the scheme (exchange's IdSchemes), and Find() does not take it.
enum class IdScheme { kUid, kCode, kName, kAttribute };
Result<IdScheme> ParseIdScheme(std::string_view text);

// An index over one kind of record: by uid, code, name and store id.
template <typename T>
class RecordIndex {
 public:
  RecordIndex() = default;
  explicit RecordIndex(const std::vector<T>* items) : items_(items) {
    for (std::size_t i = 0; i < items->size(); ++i) {
      const T& r = (*items)[i];
      by_uid_.emplace(r.uid, i);
      if (!r.code.empty()) by_code_.emplace(r.code, i);
      by_name_.emplace(r.name, i);
      by_id_.emplace(r.id, i);
    }
  }
  const T* ByUid(std::string_view uid) const { return Get(by_uid_, std::string(uid)); }
  const T* ByCode(std::string_view code) const { return Get(by_code_, std::string(code)); }
  const T* ByName(std::string_view name) const { return Get(by_name_, std::string(name)); }
  const T* ById(std::int64_t id) const {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : &(*items_)[it->second];
  }
  const T* Find(IdScheme scheme, std::string_view key) const {
    switch (scheme) {
      case IdScheme::kUid:
        return ByUid(key);
      case IdScheme::kCode:
        return ByCode(key);
      case IdScheme::kName:
        return ByName(key);
      case IdScheme::kAttribute:
        return nullptr;  // by Catalog::UidByAttribute, which knows the attribute
    }
    return nullptr;
  }
  // uid first, then code: what a reference like "150624" or "Xb7aQ2p9LmK" means to a person.
  const T* ByUidOrCode(std::string_view key) const {
    const T* r = ByUid(key);
    return r ? r : ByCode(key);
  }

 private:
  const T* Get(const std::unordered_map<std::string, std::size_t>& m, const std::string& k) const {
    auto it = m.find(k);
    return it == m.end() ? nullptr : &(*items_)[it->second];
  }
  const std::vector<T>* items_ = nullptr;
  std::unordered_map<std::string, std::size_t> by_uid_, by_code_, by_name_;
  std::unordered_map<std::int64_t, std::size_t> by_id_;
};

class Catalog {
 public:
  static Result<std::shared_ptr<const Catalog>> Load(storage::Store& store);

  const storage::MetadataRecords& records() const { return records_; }
  const std::vector<OrgUnitRecord>& org_units() const { return org_units_; }
  const OrgUnitTree& tree() const { return tree_; }

  const RecordIndex<OrgUnitRecord>& OrgUnits() const { return ou_; }
  const RecordIndex<CategoryOptionRecord>& CategoryOptions() const { return co_; }
  const RecordIndex<CategoryRecord>& Categories() const { return cat_; }
  const RecordIndex<CategoryComboRecord>& CategoryCombos() const { return cc_; }
  const RecordIndex<CategoryOptionComboRecord>& CategoryOptionCombos() const { return coc_; }
  const RecordIndex<DataElementRecord>& DataElements() const { return de_; }
  const RecordIndex<DataSetRecord>& DataSets() const { return ds_; }
  const RecordIndex<IndicatorTypeRecord>& IndicatorTypes() const { return it_; }
  const RecordIndex<IndicatorRecord>& Indicators() const { return in_; }
  const RecordIndex<OrgUnitGroupRecord>& OrgUnitGroups() const { return oug_; }
  const RecordIndex<ConstantRecord>& Constants() const { return con_; }

  // Children of a unit (or the roots for id 0), in code order.
  std::vector<const OrgUnitRecord*> ChildrenOf(std::int64_t id) const;
  // The chain from the root down to the unit itself.
  std::vector<const OrgUnitRecord*> AncestorsAndSelf(std::int64_t id) const;
  // Category option combos of a combo, in the order of its categories' options.
  const std::vector<const CategoryOptionComboRecord*>& CombosOf(std::string_view combo_uid) const;
  // The combo a data element uses inside a data set (the set may override it).
  const CategoryComboRecord* ComboOf(const DataSetRecord& ds, const DataElementRecord& de) const;
  bool IsAssigned(const DataSetRecord& ds, std::int64_t org_unit_id) const;
  // Data sets that contain the data element.
  std::vector<const DataSetRecord*> DataSetsOf(const DataElementRecord& de) const;
  const CategoryOptionComboRecord* DefaultCoc() const { return coc_.ByUid(kDefaultCocUid); }
  // Approval levels and workflows, data input periods, targets assigned from above (issue 11).
  const storage::ControlRecords& controls() const { return controls_; }
  // --- DHIS2 metadata documents (issue 14) ---
  // A stored object of a DHIS2 collection kept as a document, by uid or code; nullptr if none.
  const storage::MetadataDocumentRecord* Document(std::string_view collection,
                                                  std::string_view uid_or_code) const;
  // The extra fields kept beside a modelled object (dataElements, …); nullptr when none.
  const storage::MetadataDocumentRecord* Extras(std::string_view collection,
                                                std::string_view uid) const;
  // The option set a data element's values must come from; nullptr when the element has none.
  struct OptionSetRule {
    std::string uid, name;
    std::vector<std::string> codes;  // in sortOrder
  };
  const OptionSetRule* OptionSetOf(std::string_view data_element_uid) const;
  // The uid of the object of `collection` whose value of attribute `attribute_uid` is `value`
  // (DHIS2's ATTRIBUTE:<uid> id scheme); nullptr when none, or when several share the value.
  const std::string* UidByAttribute(std::string_view collection, std::string_view attribute_uid,
                                    std::string_view value) const;
  // The other way: the value of attribute `attribute_uid` an object of `collection` has (its
  // identifier under ATTRIBUTE:<uid> in exports); nullptr when it has none.
  const std::string* AttributeValue(std::string_view collection, std::string_view attribute_uid,
                                    std::string_view uid) const;

 private:
  Catalog() = default;
  void Index();

  storage::MetadataRecords records_;
  storage::ControlRecords controls_;
  std::vector<OrgUnitRecord> org_units_;
  OrgUnitTree tree_;
  RecordIndex<OrgUnitRecord> ou_;
  RecordIndex<CategoryOptionRecord> co_;
  RecordIndex<CategoryRecord> cat_;
  RecordIndex<CategoryComboRecord> cc_;
  RecordIndex<CategoryOptionComboRecord> coc_;
  RecordIndex<DataElementRecord> de_;
  RecordIndex<DataSetRecord> ds_;
  RecordIndex<IndicatorTypeRecord> it_;
  RecordIndex<IndicatorRecord> in_;
  RecordIndex<OrgUnitGroupRecord> oug_;
  RecordIndex<ConstantRecord> con_;
  std::unordered_map<std::string, std::vector<const CategoryOptionComboRecord*>> combos_of_;
  std::unordered_map<std::int64_t, std::vector<std::int64_t>>
      data_set_units_;  // ds id → sorted ou ids
  // "collection\x1fuid" / "collection\x1fcode" → document; "collection\x1fuid" → extras.
  std::unordered_map<std::string, const storage::MetadataDocumentRecord*> doc_by_key_, extras_;
  std::unordered_map<std::string, OptionSetRule> option_rule_of_;  // data element uid → rule
  // "collection\x1fattribute uid\x1fvalue" → object uid ("" when the value is not unique)
  std::unordered_map<std::string, std::string> uid_by_attribute_;
  // "collection\x1fattribute uid\x1fobject uid" → the object's value of the attribute
  std::unordered_map<std::string, std::string> attribute_value_of_;
  void IndexDocuments();
};

}  // namespace weijian::metadata
