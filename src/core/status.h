// Errors as values at module boundaries.
//
// A Status carries a small code (mapped to an HTTP status in one table in src/http/), a message a
// user can act on, and optionally the field (and row) the problem was found in, so that a clerk
// can see "dataValues[3].period: 2024W54 does not exist" rather than "bad request".
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace weijian {

enum class StatusCode {
  kOk,
  kInvalidArgument,    // the caller sent something malformed or out of range
  kNotFound,           // the named object does not exist
  kConflict,           // well-formed, but clashes with what is stored (DHIS2 answers 409)
  kPermissionDenied,   // authenticated, but not allowed
  kUnauthenticated,    // no or bad credentials
  kResourceExhausted,  // too many attempts; wait and try again (HTTP 429)
  kUnavailable,        // the store is busy or the disk is full; trying later may work
  kInternal,           // a bug or a broken invariant
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message, std::string field = {})
      : code_(code), message_(std::move(message)), field_(std::move(field)) {}

  static Status Ok() { return {}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // The path of the offending field, e.g. "dataValues[3].period"; empty when not about one field.
  const std::string& field() const { return field_; }

  // Returns a copy whose field is prefixed by `outer` ("dataSets[2]" + "periodType").
  Status WithFieldPrefix(const std::string& outer) const;
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
  std::string field_;
};

inline Status InvalidArgument(std::string message, std::string field = {}) {
  return {StatusCode::kInvalidArgument, std::move(message), std::move(field)};
}
inline Status NotFound(std::string message, std::string field = {}) {
  return {StatusCode::kNotFound, std::move(message), std::move(field)};
}
inline Status Conflict(std::string message, std::string field = {}) {
  return {StatusCode::kConflict, std::move(message), std::move(field)};
}
inline Status PermissionDenied(std::string message) {
  return {StatusCode::kPermissionDenied, std::move(message)};
}
inline Status Unauthenticated(std::string message) {
  return {StatusCode::kUnauthenticated, std::move(message)};
}
inline Status ResourceExhausted(std::string message) {
  return {StatusCode::kResourceExhausted, std::move(message)};
}
inline Status Unavailable(std::string message) {
  return {StatusCode::kUnavailable, std::move(message)};
}
inline Status Internal(std::string message) { return {StatusCode::kInternal, std::move(message)}; }

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design, like absl::StatusOr
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    // An OK status carries no value; treat it as a programming error turned into kInternal.
    if (std::get<Status>(v_).ok()) v_ = Internal("Result constructed from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace weijian

#define WJ_CONCAT_INNER(a, b) a##b
#define WJ_CONCAT(a, b) WJ_CONCAT_INNER(a, b)

#define WJ_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::weijian::Status wj_status_ = (expr);   \
    if (!wj_status_.ok()) return wj_status_; \
  } while (0)

#define WJ_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()

#define WJ_ASSIGN_OR_RETURN(lhs, expr) \
  WJ_ASSIGN_OR_RETURN_IMPL(WJ_CONCAT(wj_result_, __LINE__), lhs, expr)
