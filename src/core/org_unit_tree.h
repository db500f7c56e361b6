// The org-unit tree in pre-order.
//
// Units are numbered in pre-order (children in code order), so the subtree of a unit is the
// contiguous range [pre, last] and "is X inside Y" is two integer comparisons. Analytics scans
// and scope checks lean on this: a county's data is a slice, not a recursive walk.
// Built once from the store (≈1k units for a county, ≈665k for all of China) and rebuilt when
// units are added, which is rare.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace weijian {

class OrgUnitTree {
 public:
  struct Input {
    std::int64_t id;         // store id, any positive number
    std::int64_t parent_id;  // 0 for a root
    std::string sort_key;    // siblings are ordered by this (the code)
  };

  // Fails when a parent is missing or the parent links form a cycle.
  static Result<OrgUnitTree> Build(std::span<const Input> units);

  std::size_t size() const { return pre_of_index_.size(); }
  bool Contains(std::int64_t id) const;
  // Pre-order number of a unit, 0-based.
  std::int32_t Pre(std::int64_t id) const;
  // Last pre-order number inside the unit's subtree (== Pre for a leaf).
  std::int32_t Last(std::int64_t id) const;
  // Store id of the unit with pre-order number `pre`.
  std::int64_t IdAt(std::int32_t pre) const { return id_at_pre_[pre]; }
  // Store ids of the unit and everything under it, in pre-order (a view into the tree).
  std::span<const std::int64_t> SubtreeIds(std::int64_t root) const {
    return std::span<const std::int64_t>(id_at_pre_)
        .subspan(static_cast<std::size_t>(Pre(root)),
                 static_cast<std::size_t>(Last(root) - Pre(root) + 1));
  }
  // Depth below the forest roots (a root is 0).
  std::int32_t Depth(std::int64_t id) const;
  bool IsInSubtree(std::int64_t id, std::int64_t root) const {
    std::int32_t p = Pre(id);
    return p >= Pre(root) && p <= Last(root);
  }
  std::int64_t Parent(std::int64_t id) const;
  const std::vector<std::int64_t>& Children(std::int64_t id) const;

 private:
  std::size_t Index(std::int64_t id) const;

  // Store ids are dense in practice (SQLite rowids), so lookups go through a vector indexed by id.
  std::vector<std::int32_t> index_of_id_;  // id → input index, -1 when absent
  std::vector<std::int32_t> pre_of_index_;
  std::vector<std::int32_t> last_of_index_;
  std::vector<std::int32_t> depth_of_index_;
  std::vector<std::int64_t> parent_of_index_;
  std::vector<std::vector<std::int64_t>> children_of_index_;
  std::vector<std::int64_t> id_at_pre_;
};

}  // namespace weijian
