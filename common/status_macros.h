// Early returns for absl::Status and absl::StatusOr.
#ifndef MIXLAW_COMMON_STATUS_MACROS_H_
#define MIXLAW_COMMON_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define MIXLAW_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::absl::Status mixlaw_status_ = (expr);          \
    if (!mixlaw_status_.ok()) return mixlaw_status_; \
  } while (0)

#define MIXLAW_CONCAT_INNER(a, b) a##b
#define MIXLAW_CONCAT(a, b) MIXLAW_CONCAT_INNER(a, b)

// MIXLAW_ASSIGN_OR_RETURN(auto x, F()): x is F()'s value, or the function returns F()'s error.
#define MIXLAW_ASSIGN_OR_RETURN(lhs, expr) \
  MIXLAW_ASSIGN_OR_RETURN_IMPL(MIXLAW_CONCAT(mixlaw_statusor_, __LINE__), lhs, expr)
#define MIXLAW_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(*tmp)

#endif  // MIXLAW_COMMON_STATUS_MACROS_H_
