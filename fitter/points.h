// What a law is fitted to: points with the coordinates a law may read (N, D, r, eta) and one
// observed value, a final loss or an optimal learning rate; and the ranges the data span.
#ifndef MIXLAW_FITTER_POINTS_H_
#define MIXLAW_FITTER_POINTS_H_

#include <string>
#include <vector>

#include "fitter/observations.h"

namespace mixlaw {

struct Point {
  double params = 0;  // N
  double tokens = 0;  // D; 0 when unknown
  double almr = 0;    // r
  double lr = 0;      // eta, the peak learning rate
  double value = 0;   // observed: a final loss (nats per token) or an optimal LR
  int unit = 0;       // the run (or group of runs) it came from; the bootstrap resamples units
  // What the point counts for in a fit, in (0, 1]: its Huber loss is multiplied by it (a stopped
  // run's predicted loss counts less than a measured one, study/early_stop.h).
  double weight = 1;
};

// The spread of a data set: what multi-start grids are scaled by and what decides which
// parameters the data can identify.
struct DataRange {
  size_t points = 0;
  size_t sizes = 0, almrs = 0, token_budgets = 0, lrs = 0;  // distinct values
  double min_value = 0, max_value = 0;
  double min_params = 0, max_params = 0, geo_params = 0;  // geo_: geometric mean
  double geo_tokens = 0;
  double min_lr = 0, max_lr = 0, geo_lr = 0;
  double min_almr = 0, max_almr = 0, median_almr = 0;
};

DataRange RangeOf(const std::vector<Point>& points);

// One point a run with a final loss on `split`; unit = the run's index in `set.runs`, weight its
// weight on the split (1 where it has none).
std::vector<Point> LossPoints(const ObservationSet& set, const std::string& split);

// The best learning rate of one (N, D, r) group of loss points.
struct GroupOptimum {
  double params = 0, tokens = 0, almr = 0;
  double lr = 0;          // the best swept LR, refined by a parabola in ln LR when interior
  double loss = 0;        // the lowest loss (mean over seeds at that LR)
  bool interior = false;  // false: the lowest loss is at the smallest or largest LR swept
  size_t lrs = 0;         // distinct LRs swept in the group
};

// Groups loss points by (N, D, r) and finds each group's optimum over ln LR. Groups with fewer
// than two LRs are left out.
std::vector<GroupOptimum> ObservedOptima(const std::vector<Point>& loss_points);

// One point an interior group optimum (value = the optimal LR; unit = the group).
std::vector<Point> OptimalLrPoints(const std::vector<GroupOptimum>& optima);

}  // namespace mixlaw

#endif  // MIXLAW_FITTER_POINTS_H_
