#include "common/json_fields.h"

#include <cctype>
#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mixlaw {

std::string JoinPath(const std::string& parent, const std::string& key) {
  if (parent.empty()) return std::string(key);
  return absl::StrCat(parent, ".", key);
}

std::string IndexPath(const std::string& parent, size_t index) {
  return absl::StrCat(parent, "[", index, "]");
}

nlohmann::json JsonNumber(double value) {
  return std::isfinite(value) ? nlohmann::json(value) : nlohmann::json();
}

std::string FormatNumber(double value) {
  if (std::isnan(value)) return "NaN";
  char buffer[32];
  // Whole numbers print whole (1000000, not 1e+06), as CSV readers and people expect.
  if (std::floor(value) == value && std::fabs(value) < 1e15) {
    std::snprintf(buffer, sizeof(buffer), "%.0f", value);
    return buffer;
  }
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buffer, sizeof(buffer), "%.*g", precision, value);
    if (std::strtod(buffer, nullptr) == value) break;
  }
  return buffer;
}

absl::StatusOr<nlohmann::json> ParseJsonDocument(std::string_view text, const std::string& source) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {  // a syntax error, or a number out of range
    return absl::InvalidArgumentError(absl::StrCat(source, ": not valid JSON: ", e.what()));
  }
}

bool IsPlainName(const std::string& name, size_t max_size) {
  if (name.empty() || name.size() > max_size) return false;
  for (char c : name) {
    if (!(isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')) return false;
  }
  return true;
}

void FieldReader::Problem(const std::string& path, const std::string& message) {
  std::string where =
      path.empty() ? source_
                   : (source_.empty() ? std::string(path) : absl::StrCat(source_, ": ", path));
  problems_.push_back(where.empty() ? std::string(message) : absl::StrCat(where, ": ", message));
}

bool FieldReader::CheckObject(const nlohmann::json& value, const std::string& path,
                              std::initializer_list<const char*> allowed) {
  if (!value.is_object()) {
    Problem(path, absl::StrCat("must be an object, not ", value.type_name()));
    return false;
  }
  for (const auto& item : value.items()) {
    bool known = false;
    for (const char* a : allowed) known = known || a == item.key();
    if (!known) {
      Problem(JoinPath(path, item.key()),
              absl::StrCat("unknown field (expected one of: ", absl::StrJoin(allowed, ", "), ")"));
    }
  }
  return true;
}

bool FieldReader::CheckBounds(double value, const std::string& path, Bounds b) {
  if (!std::isfinite(value)) {
    Problem(path, absl::StrCat(FormatNumber(value), " is not a finite number"));
    return false;
  }
  if (b.min && b.max && (value < *b.min || value > *b.max)) {
    Problem(path, absl::StrCat(FormatNumber(value), " is outside [", FormatNumber(*b.min), ", ",
                               FormatNumber(*b.max), "]"));
    return false;
  }
  if (b.min && (b.min_exclusive ? value <= *b.min : value < *b.min)) {
    Problem(path, absl::StrCat(FormatNumber(value), " must be ", b.min_exclusive ? ">" : ">=", " ",
                               FormatNumber(*b.min)));
    return false;
  }
  if (b.max && (b.max_exclusive ? value >= *b.max : value > *b.max)) {
    Problem(path, absl::StrCat(FormatNumber(value), " must be ", b.max_exclusive ? "<" : "<=", " ",
                               FormatNumber(*b.max)));
    return false;
  }
  return true;
}

std::optional<double> FieldReader::Number(const nlohmann::json& object, const std::string& path,
                                          const char* key, bool required, Bounds bounds) {
  std::string field = JoinPath(path, key);
  auto it = object.find(key);
  if (it == object.end()) {
    if (required) Problem(field, "is required");
    return std::nullopt;
  }
  if (!it->is_number()) {
    Problem(field, absl::StrCat("must be a number, not ", it->type_name()));
    return std::nullopt;
  }
  double value = it->get<double>();
  if (!CheckBounds(value, field, bounds)) return std::nullopt;
  return value;
}

std::optional<int64_t> FieldReader::Integer(const nlohmann::json& object, const std::string& path,
                                            const char* key, bool required, Bounds bounds) {
  std::string field = JoinPath(path, key);
  auto it = object.find(key);
  if (it == object.end()) {
    if (required) Problem(field, "is required");
    return std::nullopt;
  }
  // 1e6 is accepted as an integer when it is one exactly.
  if (!it->is_number() ||
      (it->is_number_float() && (std::floor(it->get<double>()) != it->get<double>() ||
                                 std::fabs(it->get<double>()) > 9.007199254740992e15))) {
    Problem(field, absl::StrCat("must be an integer, not ", it->is_number()
                                                                ? FormatNumber(it->get<double>())
                                                                : std::string(it->type_name())));
    return std::nullopt;
  }
  int64_t value =
      it->is_number_float() ? static_cast<int64_t>(it->get<double>()) : it->get<int64_t>();
  if (!CheckBounds(static_cast<double>(value), field, bounds)) return std::nullopt;
  return value;
}

std::optional<std::string> FieldReader::String(const nlohmann::json& object,
                                               const std::string& path, const char* key,
                                               bool required) {
  std::string field = JoinPath(path, key);
  auto it = object.find(key);
  if (it == object.end()) {
    if (required) Problem(field, "is required");
    return std::nullopt;
  }
  if (!it->is_string()) {
    Problem(field, absl::StrCat("must be a string, not ", it->type_name()));
    return std::nullopt;
  }
  return it->get<std::string>();
}

std::optional<bool> FieldReader::Bool(const nlohmann::json& object, const std::string& path,
                                      const char* key, bool required) {
  std::string field = JoinPath(path, key);
  auto it = object.find(key);
  if (it == object.end()) {
    if (required) Problem(field, "is required");
    return std::nullopt;
  }
  if (!it->is_boolean()) {
    Problem(field, absl::StrCat("must be true or false, not ", it->type_name()));
    return std::nullopt;
  }
  return it->get<bool>();
}

absl::Status FieldReader::ToStatus() const {
  if (problems_.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(problems_, "\n"));
}

}  // namespace mixlaw
