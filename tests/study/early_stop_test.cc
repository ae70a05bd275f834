// Early stopping on planted curves: a group of runs at seven LRs whose evaluations follow the
// curve law with noise, ending at final losses with an optimum in LR. The prediction from part of
// a curve must land near the planted end, and no run that ends best may be stopped.
#include "study/early_stop.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "orchestrator/sweep_spec.h"
#include "tests/study/early_stop_study.h"
#include "trainer/protocol.h"
#include "trainer/synthetic_trainer.h"

namespace mixlaw {
namespace {

constexpr int64_t kSteps = 400;
constexpr int64_t kEvalEvery = 10;

// Linear warmup over 5% of the steps, then cosine down to a tenth of the peak.
std::vector<double> Cosine(double peak) {
  std::vector<double> lrs;
  const int64_t warmup = kSteps / 20;
  for (int64_t s = 1; s <= kSteps; ++s) {
    if (s <= warmup) {
      lrs.push_back(peak * static_cast<double>(s) / warmup);
    } else {
      const double p = static_cast<double>(s - warmup) / (kSteps - warmup);
      lrs.push_back(peak * (0.1 + 0.45 * (1 + std::cos(M_PI * p))));
    }
  }
  return lrs;
}

struct PlantedRun {
  std::string name;
  double lr = 0;
  ScheduleAreas areas;
  CurveParameters truth;
  std::vector<CurveSample> evals;  // every evaluation to the end, with noise
  double final_loss = 0;           // the planted curve's last value, without noise
};

// Final losses 2.5 + 0.05 (ln(lr / 3e-3))^2: best at 3e-3; the curve reaches it through the law
// with alpha 0.5 and an annealing term.
std::vector<PlantedRun> Group(double noise, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, noise);
  std::vector<PlantedRun> runs;
  for (int i = 0; i < 7; ++i) {
    PlantedRun r;
    r.lr = 3e-3 * std::pow(2.0, i - 3);
    r.name = absl::StrCat("lr", r.lr);
    r.areas = AreasOf(Cosine(r.lr));
    r.final_loss = 2.5 + 0.05 * std::pow(std::log(r.lr / 3e-3), 2);
    r.truth.alpha = 0.5;
    r.truth.a = 0.4;
    r.truth.c = 0.4;
    // L0 so that the curve ends at the planted final loss.
    r.truth.l0 = 0;
    r.truth.l0 = r.final_loss - r.truth.LossAt(r.areas, kSteps);
    for (int64_t s = kEvalEvery; s <= kSteps; s += kEvalEvery) {
      r.evals.push_back({s, r.truth.LossAt(r.areas, s) * std::exp(normal(rng))});
    }
    runs.push_back(std::move(r));
  }
  return runs;
}

std::vector<CurveSample> Until(const PlantedRun& r, double progress) {
  std::vector<CurveSample> part;
  for (const CurveSample& s : r.evals) {
    if (s.step <= progress * kSteps) part.push_back(s);
  }
  return part;
}

TEST(CurveLawTest, AreasFollowTheSchedule) {
  const ScheduleAreas constant = AreasOf(std::vector<double>(10, 0.01));
  EXPECT_DOUBLE_EQ(constant.forward.back(), 0.1);
  EXPECT_DOUBLE_EQ(constant.annealing.back(), 0.0) << "a constant LR anneals nothing";
  const ScheduleAreas step = AreasOf({0.02, 0.02, 0.01, 0.01}, 0.5);
  // m = 0, 0, 0.01, 0.005: S2 = 0, 0, 0.01, 0.015.
  EXPECT_DOUBLE_EQ(step.annealing[2], 0.01);
  EXPECT_DOUBLE_EQ(step.annealing[3], 0.015);
  EXPECT_DOUBLE_EQ(step.forward[3], 0.06);
  const ScheduleAreas warmup = AreasOf({0.01, 0.02, 0.03});
  EXPECT_DOUBLE_EQ(warmup.annealing.back(), 0.0) << "rises are left out";
}

TEST(CurveLawTest, HalfACurvePredictsItsEndWithinItsInterval) {
  const std::vector<PlantedRun> runs = Group(0.003, 3);
  int covered = 0;
  for (const PlantedRun& r : runs) {
    auto p = PredictFinalLoss(r.areas, Until(r, 0.5));
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_NEAR(p->loss, r.final_loss, 0.05 * r.final_loss)
        << r.name << " fitted " << p->parameters.l0 << " " << p->parameters.a << " "
        << p->parameters.alpha << " " << p->parameters.c << " truth " << r.truth.l0 << " "
        << r.truth.a << " " << r.truth.alpha << " " << r.truth.c << " interval "
        << p->interval.lower << " " << p->interval.upper << " rmse " << p->rmse_log;
    EXPECT_LT(p->interval.lower, p->loss);
    EXPECT_GT(p->interval.upper, p->loss);
    covered += r.final_loss >= p->interval.lower && r.final_loss <= p->interval.upper;
  }
  EXPECT_GE(covered, 6) << "the 95% interval holds the planted end";
}

TEST(CurveLawTest, TooLittleCurveOrABadSampleIsRefused) {
  const std::vector<PlantedRun> runs = Group(0.003, 3);
  auto few = PredictFinalLoss(runs[0].areas, Until(runs[0], 0.1));
  ASSERT_FALSE(few.ok());
  EXPECT_EQ(few.status().code(), absl::StatusCode::kFailedPrecondition);
  std::vector<CurveSample> bad = Until(runs[0], 0.5);
  bad.push_back({kSteps + 5, 2.0});
  auto outside = PredictFinalLoss(runs[0].areas, bad);
  ASSERT_FALSE(outside.ok());
  EXPECT_NE(outside.status().message().find("step 405 is outside the schedule's 400 steps"),
            std::string::npos)
      << outside.status();
  bad.back() = {100, std::nan("")};
  EXPECT_EQ(PredictFinalLoss(runs[0].areas, bad).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// At 30%, 60% and 80% of the runs, all training at once, over three noise draws: the run that
// ends best is never stopped; by 80% the run at an eighth of the optimal LR is (the best is what
// the runs have reached so far, and mid-run the high LRs, with their annealing still to come,
// are the highest).
TEST(EarlyStopTest, NoRunThatEndsBestIsStoppedAndFarOnesAre) {
  for (uint64_t seed : {1, 2, 3}) {
    const std::vector<PlantedRun> runs = Group(0.003, seed);
    size_t best = 0;
    for (size_t i = 1; i < runs.size(); ++i) {
      if (runs[i].final_loss < runs[best].final_loss) best = i;
    }
    for (double progress : {0.3, 0.6, 0.8}) {
      std::vector<GroupRun> group;
      for (const PlantedRun& r : runs) {
        GroupRun g;
        g.name = r.name;
        const std::vector<CurveSample> part = Until(r, progress);
        auto p = PredictFinalLoss(r.areas, part);
        if (p.ok()) g.prediction = *p;
        g.current_loss = 0;
        for (size_t k = part.size() - kCurrentLossEvals; k < part.size(); ++k) {
          g.current_loss += part[k].loss / kCurrentLossEvals;
        }
        group.push_back(g);
      }
      const std::vector<StopDecision> stop = RunsToStop(group);
      for (const StopDecision& d : stop) {
        EXPECT_NE(d.run, runs[best].name) << "seed " << seed << " at " << progress;
        EXPECT_GT(d.prediction.interval.lower, d.best);
        EXPECT_NE(d.reason.find("above the group's best"), std::string::npos) << d.reason;
      }
      if (progress > 0.7) {
        bool far_stopped = false;
        for (const StopDecision& d : stop) far_stopped = far_stopped || d.run == runs[0].name;
        EXPECT_TRUE(far_stopped) << "the LR 8 times below the optimum, seed " << seed;
      }
    }
  }
  // A finished run sets the best; one without a prediction is kept.
  std::vector<GroupRun> group(3);
  group[0] = {"done", true, 2.5, kNaN, std::nullopt};
  group[1].name = "unread";
  group[2].name = "worse";
  CurvePrediction worse;
  worse.loss = 2.7;
  worse.interval = {2.6, 2.8};
  group[2].prediction = worse;
  const std::vector<StopDecision> stop = RunsToStop(group);
  ASSERT_EQ(stop.size(), 1u);
  EXPECT_EQ(stop[0].run, "worse");
  EXPECT_EQ(stop[0].best_run, "done");
}

// The example study with early stopping on: 100 steps of a cosine schedule per CPT run.
StudySpec EarlyStopSpec() {
  std::ifstream in(std::string(MIXLAW_SOURCE_DIR) + "/examples/study-synthetic.json");
  nlohmann::json j = nlohmann::json::parse(in);
  j["early_stop"] = {{"min_fraction", 0.3}, {"min_evals", 5}, {"bootstrap", 60}};
  auto spec = ParseStudySpec(j.dump(), "study-synthetic.json",
                             std::string(MIXLAW_SOURCE_DIR) + "/examples");
  EXPECT_TRUE(spec.ok()) << spec.status();
  return *spec;
}

// A round's CPT run of size 1e6 at ALMR 0.25, as the store lists it once `step` of 100 steps are
// trained, and its evaluations every 4 steps: eval/additional ends at 2.5 + 0.05 ln(lr / 3e-3)^2
// and eval/base at 2.0, each along the curve law on the run's own schedule.
struct StoredRun {
  v1::Run run;
  std::vector<v1::MetricPoint> points;
};

StoredRun Stored(const StudySpec& spec, int64_t id, double lr, int64_t step, uint64_t seed) {
  StoredRun s;
  s.run.set_id(id);
  s.run.set_name(absl::StrCat("p1m/almr0.25/lr", lr, "/seed0"));
  s.run.set_stage("cpt");
  s.run.set_model("p1m");
  s.run.set_params(1e6);
  s.run.set_almr(0.25);
  s.run.set_peak_lr(lr);
  s.run.set_tokens(204800);
  s.run.set_state(v1::RUN_STATE_RUNNING);
  s.run.set_step(step);
  s.run.set_total_steps(100);
  const ScheduleAreas areas = AreasOf(spec.proxy_sweep.training.schedule, 100, lr);
  std::mt19937_64 rng(seed + static_cast<uint64_t>(id));
  std::normal_distribution<double> normal(0.0, 0.003);
  for (const auto& [split, final_loss] :
       {std::pair<const char*, double>{kSplitAdditional,
                                       2.5 + 0.05 * std::pow(std::log(lr / 3e-3), 2)},
        {kSplitBase, 2.0}}) {
    CurveParameters law{0, 0.4, 0.5, 0.4};
    law.l0 = final_loss - law.LossAt(areas, 100);
    for (int64_t t = 4; t <= step; t += 4) {
      v1::MetricPoint p;
      p.set_split(split);
      p.set_step(t);
      p.set_loss(law.LossAt(areas, t) * std::exp(normal(rng)));
      s.points.push_back(p);
    }
  }
  return s;
}

// Seven LRs of one group read while they train: nothing is judged before 30% of the steps; at
// 80% the runs far from the optimum are stopped and the best never; a stopped run is not named
// again; a run of an earlier round sets the best for the ones now training.
TEST(RoundMonitorTest, StopsFarRunsOnceTheyHaveTrainedEnoughAndNeverTheBest) {
  const StudySpec spec = EarlyStopSpec();
  for (uint64_t seed : {1, 2}) {
    RoundMonitor monitor(spec, ObservationSet{});
    const auto read = [&](int64_t step) {
      std::vector<v1::Run> runs;
      PointsByRun points;
      for (int i = 0; i < 7; ++i) {
        StoredRun s = Stored(spec, i + 1, 3e-3 * std::pow(2.0, i - 3), step, seed);
        points[s.run.id()] = s.points;
        runs.push_back(s.run);
      }
      return monitor.Check(runs, points);
    };
    EXPECT_TRUE(read(24).empty()) << "24 of 100 steps is under min_fraction 0.3";
    const std::vector<RunStop> stops = read(80);
    bool far = false;
    for (const RunStop& stop : stops) {
      EXPECT_NE(stop.run_id, 4) << "the best LR, 3e-3";
      EXPECT_NE(stop.reason.find("above the group's best"), std::string::npos) << stop.reason;
      far = far || stop.run_id == 1 || stop.run_id == 7;
    }
    EXPECT_TRUE(far) << "an LR 8 times off the optimum, seed " << seed;
    for (const RunStop& again : read(84)) {
      for (const RunStop& stop : stops) EXPECT_NE(again.run_id, stop.run_id);
    }
  }

  // One run training, and the optimum finished in an earlier round.
  ObservationSet earlier;
  Observation best;
  best.name = "p1m/almr0.25/lr0.003/seed1";
  best.params = 1e6;
  best.almr = 0.25;
  best.peak_lr = 3e-3;
  best.final_loss = {{kSplitAdditional, 2.5}, {kSplitBase, 2.0}};
  earlier.runs.push_back(best);
  RoundMonitor with_earlier(spec, earlier);
  StoredRun alone = Stored(spec, 9, 3e-3 * 8, 80, 5);
  const std::vector<RunStop> stops = with_earlier.Check({alone.run}, {{9, alone.points}});
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_NE(stops[0].reason.find("p1m/almr0.25/lr0.003/seed1"), std::string::npos)
      << stops[0].reason;
  // Another size is another group: the earlier run does not judge it.
  alone.run.set_params(3e6);
  EXPECT_TRUE(RoundMonitor(spec, earlier).Check({alone.run}, {{9, alone.points}}).empty());
}

// A prediction's weight: the fit's residual variance over the prediction's, from its interval.
TEST(RoundMonitorTest, APredictionWeighsTheFitsNoiseOverItsOwnSpread) {
  CurvePrediction p;
  p.loss = 3.0;
  p.rmse_log = 0.01;
  const double z = 1.959963984540054;
  p.interval = {3.0 * std::exp(-z * 0.02), 3.0 * std::exp(z * 0.02)};  // sd 0.02 in log
  EXPECT_NEAR(PredictionWeight(p), 0.25, 1e-12);
  p.interval = {3.0 * std::exp(-z * 0.005), 3.0 * std::exp(z * 0.005)};  // surer than a run
  EXPECT_DOUBLE_EQ(PredictionWeight(p), 1.0);
  p.interval = {3.0 * std::exp(-z * 0.5), 3.0 * std::exp(z * 0.5)};  // (0.01 / 0.5)^2 = 0.0004
  EXPECT_DOUBLE_EQ(PredictionWeight(p), kMinPredictionWeight);
  p.interval = {kNaN, kNaN};  // nothing to weigh by
  EXPECT_DOUBLE_EQ(PredictionWeight(p), 1.0);
}

// A stopped run as the study reads it after its round: each split predicted from its own curve,
// its trained share, and the reason the store kept.
TEST(RoundMonitorTest, AStoppedRunIsReadAtItsPredictedFinalLosses) {
  const StudySpec spec = EarlyStopSpec();
  StoredRun s = Stored(spec, 3, 3e-3 / 4, 56, 1);
  s.run.set_state(v1::RUN_STATE_STOPPED);
  s.run.set_failure_reason("predicted final loss above the group's best");
  StoredRun done = Stored(spec, 4, 3e-3, 100, 1);
  done.run.set_state(v1::RUN_STATE_SUCCEEDED);
  const std::vector<StoppedRun> stopped =
      StoppedRuns(spec, {s.run, done.run}, {{3, s.points}, {4, done.points}});
  ASSERT_EQ(stopped.size(), 1u);
  EXPECT_EQ(stopped[0].run.name, s.run.name());
  EXPECT_DOUBLE_EQ(stopped[0].trained_fraction, 0.56);
  EXPECT_EQ(stopped[0].reason, "predicted final loss above the group's best");
  EXPECT_DOUBLE_EQ(stopped[0].run.tokens, 204800);
  ASSERT_EQ(stopped[0].run.final_loss.size(), 2u);
  const double planted = 2.5 + 0.05 * std::pow(std::log(4.0), 2);
  EXPECT_NEAR(stopped[0].run.final_loss.at(kSplitAdditional), planted, 0.03 * planted);
  EXPECT_NEAR(stopped[0].run.final_loss.at(kSplitBase), 2.0, 0.03 * 2.0);
  ASSERT_EQ(stopped[0].run.weight.size(), 2u);
  for (const auto& [split, w] : stopped[0].run.weight) {
    EXPECT_GE(w, kMinPredictionWeight) << split;
    EXPECT_LE(w, 1.0) << split;
  }

  // The criterion's curve: L_additional + 1 x L_base where a step has both.
  std::vector<v1::MetricPoint> points = s.points;
  points.pop_back();  // the last eval/base
  const std::vector<CurveSample> curve = CriterionCurve(points, spec.criterion);
  ASSERT_EQ(curve.size(), 13u);
  EXPECT_EQ(curve.back().step, 52);
  EXPECT_NEAR(curve.front().loss, points[0].loss() + points[14].loss(), 1e-12);
}

// The criterion's curve of one run of the synthetic trainer, as it prints it.
std::vector<CurveSample> TrainedCurve(const RunConfig& config, const RecommendOptions& criterion) {
  std::stringstream out, err;
  EXPECT_EQ(RunSyntheticTrainer(config, out, err), kTrainerExitSuccess) << err.str();
  std::vector<v1::MetricPoint> points;
  std::string line;
  while (std::getline(out, line)) {
    const TrainerLine parsed = ParseTrainerLine(line);
    const auto* m = std::get_if<MetricLine>(&parsed);
    if (m == nullptr) continue;
    v1::MetricPoint p;
    p.set_split(m->split);
    p.set_step(m->step);
    p.set_loss(m->loss);
    points.push_back(p);
  }
  return CriterionCurve(points, criterion);
}

// The end-to-end early-stopping study's runs (early_stop_study.h) for two noise draws, trained in
// process without the trainer's sleep, each judged at every look from 30% of its steps against the
// harshest best its group can show, the other runs' noisy final losses. The run whose noiseless end
// is its group's best is never stopped; the 95% interval holds the noiseless end at nine looks in
// ten or more; far runs are still stopped.
TEST(EarlyStopTest, NoLookAtTheSyntheticStudysCurvesStopsAGroupsBest) {
  nlohmann::json j = EarlyStopStudy();
  j["proxies"]["seeds"] = {0, 1};
  j["proxies"]["trainer"]["synthetic"]["step_delay_ms"] = 0;
  auto spec = ParseStudySpec(j.dump(), "study-synthetic.json",
                             std::string(MIXLAW_SOURCE_DIR) + "/examples");
  ASSERT_TRUE(spec.ok()) << spec.status();
  struct Trained {
    std::string name;
    double lr = 0;
    int64_t total = 0;
    std::vector<CurveSample> curve;
    double end = 0;  // noiseless
  };
  std::map<std::tuple<double, double, int64_t>, std::vector<Trained>> groups;
  for (const PlannedRun& r : ExpandSweep(spec->proxy_sweep)) {
    if (r.stage != "cpt") continue;
    Trained t{r.name, r.peak_lr, r.total_steps, TrainedCurve(r.config, spec->criterion), 0};
    if (t.curve.empty() || t.curve.back().step < r.total_steps) continue;  // diverged
    RunConfig quiet = r.config;
    quiet.synthetic["noise"] = 0.0;
    t.end = TrainedCurve(quiet, spec->criterion).back().loss;
    groups[{r.params, r.almr, r.seed}].push_back(std::move(t));
  }
  ASSERT_EQ(groups.size(), 12u);
  int looks = 0, covered = 0, far_stopped = 0;
  for (const auto& [key, runs] : groups) {
    size_t best = 0;
    for (size_t i = 1; i < runs.size(); ++i) {
      if (runs[i].end < runs[best].end) best = i;
    }
    for (size_t i = 0; i < runs.size(); ++i) {
      const Trained& r = runs[i];
      std::vector<GroupRun> group;
      for (size_t k = 0; k < runs.size(); ++k) {
        if (k != i) group.push_back({runs[k].name, true, runs[k].curve.back().loss, kNaN, {}});
      }
      group.push_back({r.name, false, kNaN, kNaN, {}});
      bool stopped = false;
      for (auto n = static_cast<size_t>(spec->early_stop.min_evals); n < r.curve.size() && !stopped;
           ++n) {
        const std::vector<CurveSample> part(r.curve.begin(), r.curve.begin() + n);
        if (part.back().step < spec->early_stop.min_fraction * r.total) continue;
        CurveFitOptions options;
        options.min_samples = spec->early_stop.min_evals;
        options.bootstrap = spec->early_stop.bootstrap;
        auto p = PredictFinalLoss(AreasOf(spec->proxy_sweep.training.schedule, r.total, r.lr), part,
                                  options);
        if (!p.ok()) continue;
        ++looks;
        covered += p->interval.lower <= r.end && r.end <= p->interval.upper;
        group.back().prediction = *p;
        stopped = !RunsToStop(group).empty();
        EXPECT_FALSE(stopped && i == best)
            << r.name << " ends its group's best (" << r.end << ") and is stopped from " << n
            << " evaluations: " << RunsToStop(group)[0].reason;
      }
      far_stopped += stopped && r.end > 1.05 * runs[best].end;
    }
  }
  EXPECT_GE(covered, 0.9 * looks) << covered << " of " << looks;
  EXPECT_GE(far_stopped, 10) << "runs ending 5% or more above their group's best";
}

}  // namespace
}  // namespace mixlaw
