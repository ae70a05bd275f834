// Reads typed fields out of a parsed JSON document and collects every problem with its JSON path
// ("grid.almr[2]: 1.3 is outside [0, 1]"), so that a bad file is refused with all its faults at
// once.
#ifndef MIXLAW_COMMON_JSON_FIELDS_H_
#define MIXLAW_COMMON_JSON_FIELDS_H_

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace mixlaw {

// Bounds on a number; a missing side is unbounded.
// 2^53: every whole number up to it is exact in a double. Counts
// and seeds read as doubles (JSON numbers, CSV cells) are converted to integers only up to it.
inline constexpr double kLargestExactInteger = 9007199254740992.0;

struct Bounds {
  std::optional<double> min;
  std::optional<double> max;
  bool min_exclusive = false;
  bool max_exclusive = false;
  static Bounds Positive() { return {0.0, std::nullopt, true, false}; }
  static Bounds Above(double v) { return {v, std::nullopt, true, false}; }
  static Bounds NonNegative() { return {0.0, std::nullopt, false, false}; }
  static Bounds AtLeast(double v) { return {v, std::nullopt, false, false}; }
  static Bounds Closed(double lo, double hi) { return {lo, hi, false, false}; }
};

// "a.b", "a[3]": the path of a child field.
std::string JoinPath(const std::string& parent, const std::string& key);
std::string IndexPath(const std::string& parent, size_t index);

// A short, exact rendering of a number for messages (1e-04 stays 0.0001, 1.3 stays 1.3).
std::string FormatNumber(double value);

// `text` as JSON; InvalidArgument "SOURCE: not valid JSON: ..." (with the position) when it is not.
absl::StatusOr<nlohmann::json> ParseJsonDocument(std::string_view text, const std::string& source);

// True for 1 to `max_size` letters, digits, '-', '_' or '.': a name that is safe in a path and a
// run name (sweeps, studies).
bool IsPlainName(const std::string& name, size_t max_size);

// A number for a JSON document: JSON has no NaN or infinity, so a non-finite value is null.
nlohmann::json JsonNumber(double value);

class FieldReader {
 public:
  // `source` prefixes every problem (a file name, say).
  explicit FieldReader(std::string source) : source_(std::move(source)) {}

  // Records a problem at `path`.
  void Problem(const std::string& path, const std::string& message);

  // True when `value` is an object whose keys are all in `allowed`; each other key is a problem.
  bool CheckObject(const nlohmann::json& value, const std::string& path,
                   std::initializer_list<const char*> allowed);

  // Each returns the field `key` of `object` (an object), or nullopt when it is absent (a problem
  // if `required`) or invalid (always a problem).
  std::optional<double> Number(const nlohmann::json& object, const std::string& path,
                               const char* key, bool required, Bounds bounds = {});
  std::optional<int64_t> Integer(const nlohmann::json& object, const std::string& path,
                                 const char* key, bool required, Bounds bounds = {});
  std::optional<std::string> String(const nlohmann::json& object, const std::string& path,
                                    const char* key, bool required);
  std::optional<bool> Bool(const nlohmann::json& object, const std::string& path, const char* key,
                           bool required);

  // Checks a number already extracted (an array element, say) against `bounds`.
  bool CheckBounds(double value, const std::string& path, Bounds bounds);

  bool ok() const { return problems_.empty(); }
  const std::vector<std::string>& problems() const { return problems_; }

  // OK, or InvalidArgument listing every problem, one a line.
  absl::Status ToStatus() const;

 private:
  std::string source_;
  std::vector<std::string> problems_;
};

}  // namespace mixlaw

#endif  // MIXLAW_COMMON_JSON_FIELDS_H_
