#include "core/org_unit_tree.h"

#include <algorithm>

namespace weijian {

Result<OrgUnitTree> OrgUnitTree::Build(std::span<const Input> units) {
  OrgUnitTree t;
  std::int64_t max_id = 0;
  for (const auto& u : units) {
    if (u.id <= 0) return InvalidArgument("org unit id must be positive");
    max_id = std::max(max_id, u.id);
  }
  const std::size_t n = units.size();
  t.index_of_id_.assign(static_cast<std::size_t>(max_id) + 1, -1);
  for (std::size_t i = 0; i < n; ++i) {
    if (t.index_of_id_[units[i].id] != -1)
      return InvalidArgument("org unit id " + std::to_string(units[i].id) + " appears twice");
    t.index_of_id_[units[i].id] = static_cast<std::int32_t>(i);
  }
  t.pre_of_index_.assign(n, -1);
  t.last_of_index_.assign(n, -1);
  t.depth_of_index_.assign(n, 0);
  t.parent_of_index_.assign(n, 0);
  t.children_of_index_.assign(n, {});
  t.id_at_pre_.assign(n, 0);

  std::vector<std::size_t> roots;
  for (std::size_t i = 0; i < n; ++i) {
    std::int64_t p = units[i].parent_id;
    t.parent_of_index_[i] = p;
    if (p == 0) {
      roots.push_back(i);
      continue;
    }
    if (p > max_id || t.index_of_id_[p] == -1)
      return InvalidArgument("org unit " + std::to_string(units[i].id) + " has a parent (" +
                             std::to_string(p) + ") that does not exist");
    t.children_of_index_[t.index_of_id_[p]].push_back(units[i].id);
  }
  auto by_key = [&](std::int64_t a, std::int64_t b) {
    const auto& ka = units[t.index_of_id_[a]].sort_key;
    const auto& kb = units[t.index_of_id_[b]].sort_key;
    return ka != kb ? ka < kb : a < b;
  };
  for (auto& c : t.children_of_index_) std::sort(c.begin(), c.end(), by_key);
  std::sort(roots.begin(), roots.end(),
            [&](std::size_t a, std::size_t b) { return by_key(units[a].id, units[b].id); });

  // Iterative DFS: the national tree is shallow, but a pathological import must not blow the stack.
  std::int32_t next = 0;
  struct Frame {
    std::size_t index;
    std::size_t child;
  };
  std::vector<Frame> stack;
  for (std::size_t r : roots) {
    stack.push_back({r, 0});
    t.pre_of_index_[r] = next;
    t.id_at_pre_[next++] = units[r].id;
    while (!stack.empty()) {
      Frame& f = stack.back();
      const auto& kids = t.children_of_index_[f.index];
      if (f.child < kids.size()) {
        std::size_t ci = static_cast<std::size_t>(t.index_of_id_[kids[f.child++]]);
        t.depth_of_index_[ci] = t.depth_of_index_[f.index] + 1;
        t.pre_of_index_[ci] = next;
        t.id_at_pre_[next++] = units[ci].id;
        stack.push_back({ci, 0});
      } else {
        t.last_of_index_[f.index] = next - 1;
        stack.pop_back();
      }
    }
  }
  if (static_cast<std::size_t>(next) != n)
    return InvalidArgument("the org unit parent links form a cycle");
  return t;
}

std::size_t OrgUnitTree::Index(std::int64_t id) const {
  return static_cast<std::size_t>(index_of_id_[static_cast<std::size_t>(id)]);
}

bool OrgUnitTree::Contains(std::int64_t id) const {
  return id > 0 && static_cast<std::size_t>(id) < index_of_id_.size() && index_of_id_[id] != -1;
}
std::int32_t OrgUnitTree::Pre(std::int64_t id) const { return pre_of_index_[Index(id)]; }
std::int32_t OrgUnitTree::Last(std::int64_t id) const { return last_of_index_[Index(id)]; }
std::int32_t OrgUnitTree::Depth(std::int64_t id) const { return depth_of_index_[Index(id)]; }
std::int64_t OrgUnitTree::Parent(std::int64_t id) const { return parent_of_index_[Index(id)]; }
const std::vector<std::int64_t>& OrgUnitTree::Children(std::int64_t id) const {
  return children_of_index_[Index(id)];
}

}  // namespace weijian
