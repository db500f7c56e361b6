#include "metadata/catalog.h"

#include <algorithm>
#include <map>

namespace weijian::metadata {

Result<IdScheme> ParseIdScheme(std::string_view text) {
  std::string t;
  for (char c : text) t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t == "uid" || t == "id") return IdScheme::kUid;
  if (t == "code") return IdScheme::kCode;
  if (t == "name") return IdScheme::kName;
  return InvalidArgument("id scheme \"" + std::string(text) + "\" is not one of uid, code, name");
}

Result<std::shared_ptr<const Catalog>> Catalog::Load(storage::Store& store) {
  std::shared_ptr<Catalog> c(new Catalog());
  WJ_ASSIGN_OR_RETURN(c->records_, store.LoadMetadata());
  WJ_ASSIGN_OR_RETURN(c->controls_, store.LoadControls());
  WJ_ASSIGN_OR_RETURN(c->org_units_, store.LoadOrgUnits());
  std::vector<OrgUnitTree::Input> inputs;
  inputs.reserve(c->org_units_.size());
  for (const auto& u : c->org_units_) inputs.push_back({u.id, u.parent_id, u.code});
  WJ_ASSIGN_OR_RETURN(c->tree_, OrgUnitTree::Build(inputs));
  c->Index();
  return std::shared_ptr<const Catalog>(std::move(c));
}

void Catalog::Index() {
  ou_ = RecordIndex<OrgUnitRecord>(&org_units_);
  co_ = RecordIndex<CategoryOptionRecord>(&records_.category_options);
  cat_ = RecordIndex<CategoryRecord>(&records_.categories);
  cc_ = RecordIndex<CategoryComboRecord>(&records_.category_combos);
  coc_ = RecordIndex<CategoryOptionComboRecord>(&records_.category_option_combos);
  de_ = RecordIndex<DataElementRecord>(&records_.data_elements);
  ds_ = RecordIndex<DataSetRecord>(&records_.data_sets);
  it_ = RecordIndex<IndicatorTypeRecord>(&records_.indicator_types);
  in_ = RecordIndex<IndicatorRecord>(&records_.indicators);
  oug_ = RecordIndex<OrgUnitGroupRecord>(&records_.org_unit_groups);
  con_ = RecordIndex<ConstantRecord>(&records_.constants);
  IndexDocuments();

  // Order each combo's option combos like a form shows them: by the position of each option in
  // its category, first category first.
  std::map<std::string, int> option_rank;
  for (const auto& cat : records_.categories)
    for (std::size_t i = 0; i < cat.option_uids.size(); ++i)
      option_rank.emplace(cat.uid + "/" + cat.option_uids[i], static_cast<int>(i));
  for (const auto& coc : records_.category_option_combos) combos_of_[coc.combo_uid].push_back(&coc);
  for (auto& [combo_uid, cocs] : combos_of_) {
    const CategoryComboRecord* combo = cc_.ByUid(combo_uid);
    if (!combo) continue;
    auto key = [&](const CategoryOptionComboRecord* coc) {
      std::vector<int> k;
      for (const auto& cat_uid : combo->category_uids) {
        int rank = 1 << 20;
        for (const auto& o : coc->option_uids)
          if (auto it = option_rank.find(cat_uid + "/" + o); it != option_rank.end())
            rank = it->second;
        k.push_back(rank);
      }
      return k;
    };
    std::stable_sort(cocs.begin(), cocs.end(), [&](auto* a, auto* b) { return key(a) < key(b); });
  }
  for (const auto& ds : records_.data_sets) {
    auto& ids = data_set_units_[ds.id];
    for (const auto& uid : ds.org_unit_uids)
      if (const auto* u = ou_.ByUid(uid)) ids.push_back(u->id);
    std::sort(ids.begin(), ids.end());
  }
}

std::vector<const OrgUnitRecord*> Catalog::ChildrenOf(std::int64_t id) const {
  std::vector<const OrgUnitRecord*> out;
  if (id == 0) {
    for (const auto& u : org_units_)
      if (u.parent_id == 0) out.push_back(&u);
    std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->code < b->code; });
    return out;
  }
  if (!tree_.Contains(id)) return out;
  for (auto child : tree_.Children(id)) out.push_back(ou_.ById(child));
  return out;
}

std::vector<const OrgUnitRecord*> Catalog::AncestorsAndSelf(std::int64_t id) const {
  std::vector<const OrgUnitRecord*> out;
  while (id != 0 && tree_.Contains(id)) {
    out.push_back(ou_.ById(id));
    id = tree_.Parent(id);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

const std::vector<const CategoryOptionComboRecord*>& Catalog::CombosOf(
    std::string_view combo_uid) const {
  static const std::vector<const CategoryOptionComboRecord*> kEmpty;
  auto it = combos_of_.find(std::string(combo_uid));
  return it == combos_of_.end() ? kEmpty : it->second;
}

const CategoryComboRecord* Catalog::ComboOf(const DataSetRecord& ds,
                                            const DataElementRecord& de) const {
  for (const auto& e : ds.elements)
    if (e.data_element_uid == de.uid && !e.combo_uid.empty()) return cc_.ByUid(e.combo_uid);
  return cc_.ByUid(de.combo_uid);
}

bool Catalog::IsAssigned(const DataSetRecord& ds, std::int64_t org_unit_id) const {
  auto it = data_set_units_.find(ds.id);
  return it != data_set_units_.end() &&
         std::binary_search(it->second.begin(), it->second.end(), org_unit_id);
}

std::vector<const DataSetRecord*> Catalog::DataSetsOf(const DataElementRecord& de) const {
  std::vector<const DataSetRecord*> out;
  for (const auto& ds : records_.data_sets)
    for (const auto& e : ds.elements)
      if (e.data_element_uid == de.uid) {
        out.push_back(&ds);
        break;
      }
  return out;
}

}  // namespace weijian::metadata
