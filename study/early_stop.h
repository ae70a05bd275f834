// Early stopping: which running runs of a group (one proxy size and ALMR, its LRs) to stop
// because their predicted final loss (fitter/curve_law.h) is worse than the group's best by more
// than the prediction's interval. A run that could still end best is never stopped.
#ifndef MIXLAW_STUDY_EARLY_STOP_H_
#define MIXLAW_STUDY_EARLY_STOP_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fitter/curve_law.h"
#include "fitter/observations.h"
#include "mixlaw/v1/mixlaw.pb.h"
#include "study/study_spec.h"

namespace mixlaw {

struct GroupRun {
  std::string name;
  bool finished = false;
  double final_loss = kNaN;  // a finished run's
  // A running run's loss now: the mean of its last few evaluations. Losses fall as a run trains,
  // so it is one its end will at least match.
  double current_loss = kNaN;
  std::optional<CurvePrediction> prediction;  // a running run's, once its curve can be read
};

struct StopDecision {
  std::string run;
  CurvePrediction prediction;
  double best = 0;       // the group's best: a finished run's final loss or a running run's now
  std::string best_run;  // whose it is
  std::string reason;    // in words, to store with the stopped run
};

// How many of a running run's last evaluations its current loss averages.
inline constexpr int kCurrentLossEvals = 3;

// How far below its predicted final loss, in the prediction's sds (the lower half of its 95%
// interval over 1.96), a run's loss must still lie above the group's best for it to be stopped. A
// run is judged at every check while it trains, some twenty times, and each look at 1.96 sd
// risks a miss of its own: on the end-to-end study's curves (12 groups) that stops two groups'
// best runs, at 3 sd none (tests/study/early_stop_test.cc).
inline constexpr double kStopSds = 3.0;

// The running runs of `group` to stop: those whose predicted final loss, less kStopSds of its sds,
// is above the group's best, the lowest of the finished runs' final losses and the running runs'
// current losses. The best is what runs have reached, never an extrapolation: a prediction that
// is wrong low cannot make it. Runs without a prediction (or without an interval) are kept.
std::vector<StopDecision> RunsToStop(const std::vector<GroupRun>& group);

// A prediction's loss less kStopSds of its sds (below it, from its interval's lower end); NaN
// without a finite interval.
double StopBound(const CurvePrediction& p);

// A run's evaluations, by run id, as the store gives them.
using PointsByRun = std::map<int64_t, std::vector<v1::MetricPoint>>;

// The criterion's value (fitter/recommend.h's CriterionValue) at each step where the run has
// both evaluations, eval/additional and eval/base: the curve early stopping judges.
std::vector<CurveSample> CriterionCurve(const std::vector<v1::MetricPoint>& points,
                                        const RecommendOptions& criterion);

// A run to stop, and why.
struct RunStop {
  int64_t run_id = 0;
  std::string run;
  std::string reason;
  CurvePrediction prediction;
};

// Early stopping in one round of a study: groups the round's CPT runs by size and ALMR, with the
// earlier rounds' runs of each group at their final losses, and stops those RunsToStop names.
// A run is judged once it has trained spec.early_stop.min_fraction of its steps and has
// min_evals evaluations; a run this monitor stopped is not judged again.
class RoundMonitor {
 public:
  RoundMonitor(const StudySpec& spec, const ObservationSet& earlier);

  // The runs to stop now, from the round's runs and the points of those still training.
  std::vector<RunStop> Check(const std::vector<v1::Run>& runs, const PointsByRun& points);

 private:
  const StudySpec& spec_;
  std::map<std::pair<double, double>, std::vector<GroupRun>> earlier_;  // by (N, ALMR)
  std::set<int64_t> stopped_;
};

// A run its round's early stopping ended.
struct StoppedRun {
  // Its coordinates, N and D (its whole budget); final_loss: each split's predicted final loss,
  // where its curve could be read, and weight its PredictionWeight.
  Observation run;
  double trained_fraction = 0;  // of its steps, when it stopped
  std::string reason;
};

// The stopped CPT runs of a round's sweep (state stopped), each at its predicted final losses
// (PredictSplits on its points); points: at least those of the stopped runs.
std::vector<StoppedRun> StoppedRuns(const StudySpec& spec, const std::vector<v1::Run>& runs,
                                    const PointsByRun& points);

// What a stopped run's predicted final loss counts for in a fit (Point::weight), against a
// finished run's last evaluation: (rmse / sd)^2, the fit's residual noise of one evaluation (in
// log space) over the prediction's sd there (from its 95% interval, which holds both that noise
// and the extrapolation's uncertainty), clamped to [kMinPredictionWeight, 1]. A prediction as sure
// as a measurement counts 1; one twice as wide, 1/4. 1 where either is not finite or positive.
inline constexpr double kMinPredictionWeight = 0.01;
double PredictionWeight(const CurvePrediction& p);

// The predicted final loss of each split of a stopped run, from its points (each split's own
// curve law fit); a split whose curve cannot be read is left out.
std::map<std::string, CurvePrediction> PredictSplits(const std::vector<v1::MetricPoint>& points,
                                                     const ScheduleAreas& areas,
                                                     const EarlyStopRule& rule);

}  // namespace mixlaw

#endif  // MIXLAW_STUDY_EARLY_STOP_H_
