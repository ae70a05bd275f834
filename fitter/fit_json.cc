#include "fitter/fit_json.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/file_io.h"
#include "common/json_fields.h"
#include "fitter/laws/coupling.h"

namespace mixlaw {

namespace {

using nlohmann::json;

json Numbers(const std::vector<double>& values) {
  json array = json::array();
  for (double v : values) array.push_back(JsonNumber(v));
  return array;
}

json ComponentJson(const ComponentFit& c) {
  json parameters = json::array();
  for (const ParameterEstimate& p : c.parameters) {
    parameters.push_back({{"name", p.name},
                          {"value", JsonNumber(p.value)},
                          {"std_error", JsonNumber(p.std_error)},
                          {"lower", JsonNumber(p.lower)},
                          {"upper", JsonNumber(p.upper)},
                          {"held", p.held},
                          {"at_bound", p.at_bound}});
  }
  json starts = json::array();
  for (const StartOutcome& s : c.starts) {
    starts.push_back({{"cost", JsonNumber(s.cost)},
                      {"termination", s.termination},
                      {"iterations", s.iterations},
                      {"initial", Numbers(s.initial)},
                      {"parameters", Numbers(s.parameters)}});
  }
  json bootstrap = json::array();
  for (const std::vector<double>& r : c.bootstrap) {
    bootstrap.push_back(r.empty() ? json() : Numbers(r));
  }
  json folds = json::array();
  for (const CvFold& f : c.cross_validation) {
    folds.push_back({{"group", f.group},
                     {"held_out", f.held_out},
                     {"points", f.points},
                     {"rmse_log", JsonNumber(f.rmse_log)},
                     {"optima", f.optima},
                     {"lr_factor_median", JsonNumber(f.optima > 0 ? f.lr_factor_median : kNaN)},
                     {"lr_factor_max", JsonNumber(f.optima > 0 ? f.lr_factor_max : kNaN)}});
  }
  return {{"law", c.law},
          {"split", c.split},
          {"formula", c.formula},
          {"parameters", parameters},
          {"points", c.points},
          {"cost", JsonNumber(c.cost)},
          {"r2_log", JsonNumber(c.r2_log)},
          {"rmse_log", JsonNumber(c.rmse_log)},
          {"covariance_note", c.covariance_note},
          {"starts", starts},
          {"bootstrap", bootstrap},
          {"bootstrap_failed", c.bootstrap_failed},
          {"cross_validation", folds},
          {"warnings", c.warnings}};
}

double NumberOr(const json& j, const char* key, double fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : fallback;
}

// The optional fields below fall back when absent or of another type; none may throw.
std::string StringOr(const json& j, const char* key, const std::string& fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : fallback;
}

bool BoolOr(const json& j, const char* key, bool fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

// The array at `key`, or an empty one.
const json& ArrayOr(const json& j, const char* key) {
  static const json kEmpty = json::array();
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? *it : kEmpty;
}

// A count: a whole number in [0, 2^53] (exact in a double), else 0.
size_t CountOr(const json& j, const char* key) {
  const double v = NumberOr(j, key, 0);
  return v >= 0 && v <= kLargestExactInteger && std::floor(v) == v ? static_cast<size_t>(v) : 0;
}

std::vector<double> NumberArray(const json& j) {
  std::vector<double> values;
  if (!j.is_array()) return values;
  for (const json& v : j) values.push_back(v.is_number() ? v.get<double>() : kNaN);
  return values;
}

std::vector<std::string> StringArray(const json& j, const char* key) {
  std::vector<std::string> values;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return values;
  for (const json& v : *it) {
    if (v.is_string()) values.push_back(v.get<std::string>());
  }
  return values;
}

// A run of FIT.json's "runs" or "above_best": its name, size, point and losses.
json RunJson(const Observation& o) {
  json losses = json::object();
  for (const auto& [split, loss] : o.final_loss) losses[split] = JsonNumber(loss);
  json run = {{"name", o.name},       {"params", o.params}, {"tokens", o.tokens},  {"almr", o.almr},
              {"peak_lr", o.peak_lr}, {"seed", o.seed},     {"final_loss", losses}};
  if (!o.weight.empty()) run["weight"] = o.weight;  // only a stopped run's predictions
  return run;
}

Observation RunFromJson(const json& o) {
  Observation run;
  run.name = StringOr(o, "name", "");
  run.params = NumberOr(o, "params", kNaN);
  run.tokens = NumberOr(o, "tokens", 0);
  run.almr = NumberOr(o, "almr", kNaN);
  run.peak_lr = NumberOr(o, "peak_lr", kNaN);
  run.seed = o.contains("seed") && o["seed"].is_number_integer() ? o["seed"].get<int64_t>() : 0;
  if (o.contains("final_loss") && o["final_loss"].is_object()) {
    for (const auto& [split, loss] : o["final_loss"].items()) {
      run.final_loss[split] = loss.is_number() ? loss.get<double>() : kNaN;
    }
  }
  if (o.contains("weight") && o["weight"].is_object()) {  // a weight outside (0, 1] reads as 1
    for (const auto& [split, w] : o["weight"].items()) {
      if (w.is_number() && w.get<double>() > 0 && w.get<double>() <= 1) {
        run.weight[split] = w.get<double>();
      }
    }
  }
  return run;
}

}  // namespace

json FitToJson(const LawFit& fit) {
  json lrs = json::array();
  for (const auto& [n, values] : fit.data.lrs) lrs.push_back({{"params", n}, {"lrs", values}});
  json components = json::array();
  for (const ComponentFit& c : fit.components) components.push_back(ComponentJson(c));
  json runs = json::array();
  for (const Observation& o : fit.runs) runs.push_back(RunJson(o));
  json above_best = json::array();
  for (const Observation& o : fit.above_best) above_best.push_back(RunJson(o));
  return {{"format", kFitFormat},
          {"law", fit.law},
          {"source", fit.source},
          {"huber_delta", fit.huber_delta},
          {"seed", fit.seed},
          {"constants", {{"eps", kCouplingEps}}},
          {"data",
           {{"runs", fit.data.runs},
            {"sizes", fit.data.sizes},
            {"almrs", fit.data.almrs},
            {"lrs", lrs}}},
          {"runs", runs},
          {"diverged", fit.diverged},
          {"max_lr_over_best", fit.max_lr_over_best},
          {"above_best", above_best},
          {"notes", fit.notes},
          {"warnings", fit.warnings},
          {"components", components}};
}

absl::StatusOr<LawFit> FitFromJson(const json& j, const std::string& source) {
  FieldReader r(source);
  LawFit fit;
  if (!j.is_object()) {
    r.Problem("", "must be a JSON object");
    return r.ToStatus();
  }
  if (auto format = r.String(j, "", "format", true); format && *format != kFitFormat) {
    r.Problem("format", absl::StrCat("'", *format, "' is not ", kFitFormat));
  }
  if (auto law = r.String(j, "", "law", true)) fit.law = *law;
  fit.source = StringOr(j, "source", "");
  fit.huber_delta = NumberOr(j, "huber_delta", kNaN);
  fit.seed = j.contains("seed") && j["seed"].is_number_unsigned() ? j["seed"].get<uint64_t>() : 0;
  fit.diverged = StringArray(j, "diverged");
  fit.max_lr_over_best = NumberOr(j, "max_lr_over_best", 0);
  fit.notes = StringArray(j, "notes");
  fit.warnings = StringArray(j, "warnings");
  if (j.contains("data") && j["data"].is_object()) {
    const json& data = j["data"];
    fit.data.runs = CountOr(data, "runs");
    fit.data.sizes = NumberArray(ArrayOr(data, "sizes"));
    fit.data.almrs = NumberArray(ArrayOr(data, "almrs"));
    for (const json& g : ArrayOr(data, "lrs")) {
      if (g.is_object()) fit.data.lrs[NumberOr(g, "params", 0)] = NumberArray(ArrayOr(g, "lrs"));
    }
  } else {
    r.Problem("data", "missing object");
  }
  for (const json& o : ArrayOr(j, "runs")) {  // absent in older files
    if (o.is_object()) fit.runs.push_back(RunFromJson(o));
  }
  for (const json& o : ArrayOr(j, "above_best")) {  // names alone in older files
    if (o.is_object()) fit.above_best.push_back(RunFromJson(o));
    if (o.is_string()) {
      Observation named;
      named.name = o.get<std::string>();
      fit.above_best.push_back(std::move(named));
    }
  }
  if (!j.contains("components") || !j["components"].is_array() || j["components"].empty()) {
    r.Problem("components", "missing, or not a non-empty array");
    return r.ToStatus();
  }
  for (size_t i = 0; i < j["components"].size(); ++i) {
    const json& cj = j["components"][i];
    std::string path = IndexPath("components", i);
    if (!cj.is_object()) {
      r.Problem(path, "must be an object");
      continue;
    }
    ComponentFit c;
    if (auto v = r.String(cj, path, "law", true)) c.law = *v;
    if (auto v = r.String(cj, path, "split", true)) c.split = *v;
    c.formula = StringOr(cj, "formula", "");
    c.points = CountOr(cj, "points");
    c.cost = NumberOr(cj, "cost", kNaN);
    c.r2_log = NumberOr(cj, "r2_log", kNaN);
    c.rmse_log = NumberOr(cj, "rmse_log", kNaN);
    c.covariance_note = StringOr(cj, "covariance_note", "");
    c.warnings = StringArray(cj, "warnings");
    const json& parameters = ArrayOr(cj, "parameters");
    for (size_t k = 0; k < parameters.size(); ++k) {
      std::string ppath = IndexPath(JoinPath(path, "parameters"), k);
      if (!parameters[k].is_object()) {
        r.Problem(ppath, "must be an object");
        continue;
      }
      ParameterEstimate p;
      if (auto v = r.String(parameters[k], ppath, "name", true)) p.name = *v;
      if (auto v = r.Number(parameters[k], ppath, "value", true)) p.value = *v;
      p.std_error = NumberOr(parameters[k], "std_error", kNaN);
      p.lower = NumberOr(parameters[k], "lower", kNaN);
      p.upper = NumberOr(parameters[k], "upper", kNaN);
      p.held = BoolOr(parameters[k], "held", false);
      p.at_bound = BoolOr(parameters[k], "at_bound", false);
      c.parameters.push_back(p);
    }
    for (const json& b : ArrayOr(cj, "bootstrap")) {
      c.bootstrap.push_back(NumberArray(b));
    }
    c.bootstrap_failed =
        static_cast<int>(std::min<size_t>(CountOr(cj, "bootstrap_failed"), 1 << 30));
    for (const json& f : ArrayOr(cj, "cross_validation")) {
      if (!f.is_object()) continue;
      CvFold fold;
      fold.group = StringOr(f, "group", "");
      fold.held_out = NumberOr(f, "held_out", kNaN);
      fold.points = CountOr(f, "points");
      fold.rmse_log = NumberOr(f, "rmse_log", kNaN);
      fold.optima = CountOr(f, "optima");
      fold.lr_factor_median = NumberOr(f, "lr_factor_median", kNaN);
      fold.lr_factor_max = NumberOr(f, "lr_factor_max", kNaN);
      c.cross_validation.push_back(fold);
    }
    fit.components.push_back(std::move(c));
  }
  if (!r.ok()) return r.ToStatus();
  return fit;
}

absl::Status WriteFitFile(const LawFit& fit, const std::string& path) {
  return WriteFileAtomically(path, FitToJson(fit).dump(2) + "\n");
}

absl::StatusOr<LawFit> ReadFitFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) return text.status();
  json j = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError(absl::StrCat(path, ": not valid JSON"));
  return FitFromJson(j, path);
}

}  // namespace mixlaw
