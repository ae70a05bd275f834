#include "fitter/validation.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/number_format.h"
#include "fitter/target_check.h"

namespace mixlaw {

namespace {

// x to three significant digits, as the nearest double to its decimal form (so that 3.06e-3 is
// written "0.00306" in run names, not 0.0030600000000000002).
double ThreeDigits(double x) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2e", x);
  return std::strtod(text, nullptr);
}

bool Near(double a, double b, double relative) {
  return std::fabs(a - b) <= relative * std::max(std::fabs(a), std::fabs(b));
}

std::string Where(double params, double almr) {
  return absl::StrCat(FormatParams(params), ", ALMR ", FormatAlmr(almr));
}

}  // namespace

std::vector<double> CheckLrs(double predicted, double transfer, double spacing, int each_side) {
  std::vector<double> lrs;
  for (int k = -each_side; k <= each_side; ++k) {
    lrs.push_back(ThreeDigits(predicted * std::pow(spacing, k)));
  }
  if (transfer < lrs.front() / 1.01 || transfer > lrs.back() * 1.01) {
    lrs.push_back(ThreeDigits(transfer));
  }
  std::sort(lrs.begin(), lrs.end());
  return lrs;
}

std::vector<double> BeyondLrs(const std::vector<double>& lrs, bool upward, double spacing,
                              int count) {
  const double end = upward ? *std::max_element(lrs.begin(), lrs.end())
                            : *std::min_element(lrs.begin(), lrs.end());
  std::vector<double> beyond;
  for (int k = 1; k <= count; ++k) {
    beyond.push_back(ThreeDigits(end * std::pow(spacing, upward ? k : -k)));
  }
  std::sort(beyond.begin(), beyond.end());
  return beyond;
}

absl::StatusOr<GroupOptimum> OptimumAt(const ObservationSet& runs, const std::string& split,
                                       double params, double almr) {
  std::vector<Point> points;
  for (const Point& p : LossPoints(runs, split)) {
    if (Near(p.params, params, 1e-6) && Near(p.almr, almr, 1e-9)) points.push_back(p);
  }
  for (Point& p : points) p.params = params, p.almr = almr, p.tokens = 0;  // one group
  std::vector<GroupOptimum> optima = ObservedOptima(points);
  if (optima.empty()) {
    return absl::NotFoundError(
        absl::StrCat(split, ": fewer than two LRs measured at ", Where(params, almr)));
  }
  return optima.front();
}

absl::StatusOr<double> MeanLossAt(const ObservationSet& runs, const std::string& split,
                                  double params, double almr, double lr) {
  double sum = 0;
  int count = 0;
  for (const Point& p : LossPoints(runs, split)) {
    if (Near(p.params, params, 1e-6) && Near(p.almr, almr, 1e-9) && Near(p.lr, lr, 1e-6)) {
      sum += p.value;
      ++count;
    }
  }
  if (count == 0) {
    return absl::NotFoundError(
        absl::StrCat(split, ": no run at ", Where(params, almr), ", LR ", FormatLr(lr)));
  }
  return sum / count;
}

absl::StatusOr<double> LossAt(const ObservationSet& runs, const std::string& split, double params,
                              double almr, double lr) {
  absl::StatusOr<SeedCurves> curves = CurvesAt(runs, split, params, almr);
  if (!curves.ok()) return curves.status();
  const double value = CurveReading(*curves).LossAt(lr);
  if (std::isnan(value)) {
    return absl::OutOfRangeError(absl::StrCat(
        split, ": ", FormatLr(lr), " is outside the LRs measured at ", Where(params, almr)));
  }
  return value;
}

}  // namespace mixlaw
