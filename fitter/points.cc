#include "fitter/points.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <tuple>

namespace mixlaw {

namespace {

double GeoMean(const std::vector<double>& v) {
  double sum = 0;
  for (double x : v) sum += std::log(x);
  return v.empty() ? 0.0 : std::exp(sum / static_cast<double>(v.size()));
}

}  // namespace

DataRange RangeOf(const std::vector<Point>& points) {
  DataRange range;
  range.points = points.size();
  if (points.empty()) return range;
  std::set<double> sizes, almrs, tokens, lrs;
  std::vector<double> params, token_values, lr_values, almr_values;
  range.min_value = range.max_value = points[0].value;
  for (const Point& p : points) {
    sizes.insert(p.params);
    almrs.insert(p.almr);
    lrs.insert(p.lr);
    if (p.tokens > 0) {
      tokens.insert(p.tokens);
      token_values.push_back(p.tokens);
    }
    params.push_back(p.params);
    lr_values.push_back(p.lr);
    almr_values.push_back(p.almr);
    range.min_value = std::min(range.min_value, p.value);
    range.max_value = std::max(range.max_value, p.value);
  }
  range.sizes = sizes.size();
  range.almrs = almrs.size();
  range.token_budgets = tokens.size();
  range.lrs = lrs.size();
  range.min_params = *sizes.begin();
  range.max_params = *sizes.rbegin();
  range.geo_params = GeoMean(params);
  range.geo_tokens = GeoMean(token_values);
  range.min_lr = *lrs.begin();
  range.max_lr = *lrs.rbegin();
  range.geo_lr = GeoMean(lr_values);
  range.min_almr = *almrs.begin();
  range.max_almr = *almrs.rbegin();
  std::nth_element(almr_values.begin(), almr_values.begin() + almr_values.size() / 2,
                   almr_values.end());
  range.median_almr = almr_values[almr_values.size() / 2];
  return range;
}

std::vector<Point> LossPoints(const ObservationSet& set, const std::string& split) {
  std::vector<Point> points;
  for (size_t i = 0; i < set.runs.size(); ++i) {
    const Observation& o = set.runs[i];
    auto it = o.final_loss.find(split);
    if (it == o.final_loss.end()) continue;
    auto weight = o.weight.find(split);
    points.push_back({o.params, o.tokens, o.almr, o.peak_lr, it->second, static_cast<int>(i),
                      weight == o.weight.end() ? 1.0 : weight->second});
  }
  return points;
}

std::vector<GroupOptimum> ObservedOptima(const std::vector<Point>& loss_points) {
  // (N, D, r) -> LR -> (sum of losses, count): seeds at one LR are averaged.
  std::map<std::tuple<double, double, double>, std::map<double, std::pair<double, int>>> groups;
  for (const Point& p : loss_points) {
    auto& cell = groups[{p.params, p.tokens, p.almr}][p.lr];
    cell.first += p.value;
    cell.second += 1;
  }
  std::vector<GroupOptimum> optima;
  for (const auto& [key, by_lr] : groups) {
    if (by_lr.size() < 2) continue;
    std::vector<double> x, y;
    for (const auto& [lr, sum] : by_lr) {
      x.push_back(std::log(lr));
      y.push_back(sum.first / sum.second);
    }
    size_t i = static_cast<size_t>(std::min_element(y.begin(), y.end()) - y.begin());
    GroupOptimum g{
        std::get<0>(key),          std::get<1>(key), std::get<2>(key), std::exp(x[i]), y[i],
        i > 0 && i + 1 < x.size(), x.size()};
    if (g.interior) {
      // The vertex of the parabola through the minimum and its neighbours, kept between them.
      double x0 = x[i - 1], x1 = x[i], x2 = x[i + 1];
      double d01 = (y[i] - y[i - 1]) / (x1 - x0), d12 = (y[i + 1] - y[i]) / (x2 - x1);
      double curvature = (d12 - d01) / (x2 - x0);
      if (curvature > 0) {
        double vertex = 0.5 * (x0 + x1) - d01 / (2 * curvature);
        g.lr = std::exp(std::clamp(vertex, x0, x2));
      }
    }
    optima.push_back(g);
  }
  return optima;
}

std::vector<Point> OptimalLrPoints(const std::vector<GroupOptimum>& optima) {
  std::vector<Point> points;
  for (size_t i = 0; i < optima.size(); ++i) {
    const GroupOptimum& g = optima[i];
    if (!g.interior) continue;
    points.push_back({g.params, g.tokens, g.almr, g.lr, g.lr, static_cast<int>(i)});
  }
  return points;
}

}  // namespace mixlaw
