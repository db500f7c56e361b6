#include "core/status.h"

namespace weijian {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kInvalidArgument:
      return "InvalidArgument";
    case StatusCode::kNotFound:
      return "NotFound";
    case StatusCode::kConflict:
      return "Conflict";
    case StatusCode::kPermissionDenied:
      return "PermissionDenied";
    case StatusCode::kUnauthenticated:
      return "Unauthenticated";
    case StatusCode::kResourceExhausted:
      return "ResourceExhausted";
    case StatusCode::kUnavailable:
      return "Unavailable";
    case StatusCode::kInternal:
      return "Internal";
  }
  return "Unknown";
}

Status Status::WithFieldPrefix(const std::string& outer) const {
  if (ok() || outer.empty()) return *this;
  std::string field = outer;
  if (!field_.empty()) {
    if (field_.front() != '[') field += '.';
    field += field_;
  }
  return {code_, message_, std::move(field)};
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  std::string s = StatusCodeName(code_);
  s += ": ";
  if (!field_.empty()) s += field_ + ": ";
  s += message_;
  return s;
}

}  // namespace weijian
