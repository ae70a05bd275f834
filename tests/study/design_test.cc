// The study's design: the initial runs, and rounds planned from a bootstrap on planted laws.
#include "study/design.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "fitter/laws/registry.h"
#include "study/compute.h"
#include "study/study_spec.h"
#include "tests/study/planted_rounds.h"

namespace mixlaw {
namespace {

CandidateGrid DemoGrid() {
  CandidateGrid grid;
  grid.sizes = {{"p1m", 1e6, 204800}, {"p3m", 3e6, 204800}, {"p10m", 1e7, 204800}};
  grid.almrs = {0.1, 0.25, 0.5, 0.75};
  for (int i = 0; i < 7; ++i) grid.lrs.push_back(1e-3 * std::pow(30.0, i / 6.0));
  grid.seeds = {0, 1};
  return grid;
}

TEST(DesignTest, RunsAreNamedAsTheSweepNamesThemAndCost6ND) {
  CandidateRun run{"p1m", 1e6, 204800, 0.25, 0.003, 1};
  EXPECT_EQ(run.RunName(), "p1m/almr0.25/lr0.003/seed1");
  EXPECT_DOUBLE_EQ(run.Flops(), 6.0 * 1e6 * 204800);
  const CandidateGrid grid = DemoGrid();
  EXPECT_EQ(grid.All().size(), 3u * 4 * 7 * 2);
  EXPECT_DOUBLE_EQ(grid.Flops(), 4 * 7 * 2 * 6.0 * (1e6 + 3e6 + 1e7) * 204800);
}

TEST(DesignTest, InitialDesignSpreadsLrsAroundThePriorAtEverySize) {
  const CandidateGrid grid = DemoGrid();
  std::vector<CandidateRun> runs = InitialDesign(grid, {});
  // 3 sizes x the two ends of the ALMRs x 3 LRs two rungs apart around the ladder's middle.
  ASSERT_EQ(runs.size(), 3u * 2 * 3);
  std::set<double> almrs, lrs;
  for (const CandidateRun& r : runs) {
    almrs.insert(r.almr);
    lrs.insert(r.lr);
    EXPECT_EQ(r.seed, 0) << "the first seed only";
  }
  EXPECT_EQ(almrs, (std::set<double>{0.1, 0.75}));
  EXPECT_EQ(lrs, (std::set<double>{grid.lrs[1], grid.lrs[3], grid.lrs[5]}));

  // A prior at the ladder's top end: the three LRs shift inward to stay on the grid.
  InitialDesignOptions at_top;
  at_top.prior_lr = 0.05;
  at_top.almrs = 3;
  lrs.clear();
  almrs.clear();
  for (const CandidateRun& r : InitialDesign(grid, at_top)) {
    lrs.insert(r.lr);
    almrs.insert(r.almr);
  }
  EXPECT_EQ(lrs, (std::set<double>{grid.lrs[2], grid.lrs[4], grid.lrs[6]}));
  EXPECT_EQ(almrs.size(), 3u);
  // A ratio instead of a stride: on a ladder of x1.41 rungs a ratio of 2 is 2 rungs, of 2.9 is 3
  // (the nearest), of 1.1 is 1 (at least one).
  CandidateGrid fine = grid;
  fine.lrs.clear();
  for (int k = 0; k < 9; ++k) fine.lrs.push_back(8e-3 * std::pow(std::sqrt(2.0), k));
  for (auto [ratio, rungs] : {std::pair{2.0, 2}, {2.9, 3}, {1.1, 1}}) {
    InitialDesignOptions by_ratio;
    by_ratio.stride = 1;
    by_ratio.lr_ratio = ratio;
    lrs.clear();
    for (const CandidateRun& r : InitialDesign(fine, by_ratio)) lrs.insert(r.lr);
    EXPECT_EQ(lrs, (std::set<double>{fine.lrs[4 - rungs], fine.lrs[4], fine.lrs[4 + rungs]}))
        << "ratio " << ratio;
  }
  // A ladder too short for the stride: adjacent rungs.
  CandidateGrid short_grid = grid;
  short_grid.lrs = {1e-3, 2e-3, 4e-3};
  lrs.clear();
  for (const CandidateRun& r : InitialDesign(short_grid, {})) lrs.insert(r.lr);
  EXPECT_EQ(lrs, (std::set<double>{1e-3, 2e-3, 4e-3}));
}

// The synthetic trainer's law on the initial design, fitted with a bootstrap.
struct Fitted {
  ObservationSet set;
  LawFit fit;
  std::vector<ReplicateChoice> replicates;
  double noise[2] = {0, 0};
};

RecommendOptions Target() {
  RecommendOptions options;
  options.target_params = 4e7;
  return options;
}

Fitted FitRuns(const ObservationSet& set) {
  Fitted f;
  f.set = set;
  FitOptions options;
  options.bootstrap = 100;
  auto fit = FitObservations(*FindLaw("coupling"), set, kSplitAdditional, options);
  EXPECT_TRUE(fit.ok()) << fit.status();
  f.fit = *fit;
  auto replicates = RecommendReplicates(f.fit, Target());
  EXPECT_TRUE(replicates.ok()) << replicates.status();
  f.replicates = *replicates;
  for (const ComponentFit& c : f.fit.components)
    f.noise[c.split == kSplitAdditional ? 0 : 1] = c.rmse_log;
  return f;
}

// Trains `runs` (as one round of the planted rounds) and adds them to `set`.
ObservationSet Train(const std::vector<CandidateRun>& runs, ObservationSet set,
                     PlantedRounds& planted, int round) {
  nlohmann::json spec = nlohmann::json::parse(R"({"name": "d",
    "trainer": {"kind": "synthetic", "synthetic": {"noise": 0.01}},
    "training": {"tokens": 204800, "batch_size": 16, "seq_len": 128},
    "models": [{"name": "p1m", "params": 1e6}, {"name": "p3m", "params": 3e6},
               {"name": "p10m", "params": 1e7}]})");
  spec["name"] = "d" + std::to_string(round);
  spec["points"] = nlohmann::json::array();
  for (const CandidateRun& r : runs) {
    spec["points"].push_back(
        {{"almr", r.almr}, {"lr", r.lr}, {"models", {r.model}}, {"seeds", {r.seed}}});
  }
  auto trained = planted.Run(spec, round, nullptr);
  EXPECT_TRUE(trained.ok()) << trained.status();
  set.runs.insert(set.runs.end(), trained->observations.runs.begin(),
                  trained->observations.runs.end());
  return set;
}

double LrIntervalFactor(const LawFit& fit) {
  auto rec = Recommend(fit, Target());
  EXPECT_TRUE(rec.ok()) << rec.status();
  return rec->lr_interval.upper / rec->lr_interval.lower;
}

std::vector<CandidateRun> Untrained(const CandidateGrid& grid, const ObservationSet& set) {
  std::set<std::string> trained;
  for (const Observation& o : set.runs) trained.insert(o.name);
  std::vector<CandidateRun> candidates;
  for (const CandidateRun& r : grid.All()) {
    if (trained.count(r.RunName()) == 0) candidates.push_back(r);
  }
  return candidates;
}

// The demo grid with one seed, its initial design trained and fitted, and the runs left.
struct InitialRound {
  ObservationSet set;
  Fitted fit;
  std::vector<CandidateRun> candidates;
};

InitialRound TrainInitialRound(PlantedRounds& planted) {
  CandidateGrid grid = DemoGrid();
  grid.seeds = {0};
  InitialRound start;
  start.set = Train(InitialDesign(grid, {}), {}, planted, 1);
  start.fit = FitRuns(start.set);
  start.candidates = Untrained(grid, start.set);
  return start;
}

// The planned round narrows the recommended LR's interval more than runs drawn at random from the
// same candidates for the same compute: it spends where the resamples disagree about the target.
TEST(DesignTest, APlannedRoundNarrowsTheIntervalMoreThanRandomRunsOfTheSameCompute) {
  PlantedRounds planted;
  const InitialRound start = TrainInitialRound(planted);
  const ObservationSet& initial = start.set;
  const Fitted& before = start.fit;
  const std::vector<CandidateRun>& candidates = start.candidates;
  const double factor_before = LrIntervalFactor(before.fit);
  RoundOptions options;
  options.max_runs = 8;
  auto plan = PlanRound(before.replicates, candidates, before.noise, options);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_FALSE(plan->choices.empty());
  double planned_flops = 0;
  std::vector<CandidateRun> planned_runs;
  for (size_t i = 0; i < plan->choices.size(); ++i) {
    planned_runs.push_back(plan->choices[i].run);
    planned_flops += plan->choices[i].run.Flops();
    EXPECT_GT(plan->choices[i].gain, 0);
    if (i > 0) {
      EXPECT_LE(plan->choices[i].sd_after, plan->choices[i - 1].sd_after)
          << "each run observed lowers the predicted sd";
    }
  }
  EXPECT_LT(plan->choices.back().sd_after, plan->sd_before);
  const double factor_planned =
      LrIntervalFactor(FitRuns(Train(planned_runs, initial, planted, 2)).fit);

  // Random rounds of at least the planned compute, three draws.
  std::vector<double> random_factors;
  std::mt19937_64 rng(11);
  for (int draw = 0; draw < 3; ++draw) {
    std::vector<CandidateRun> pool = candidates, chosen;
    std::shuffle(pool.begin(), pool.end(), rng);
    double flops = 0;
    for (const CandidateRun& r : pool) {
      if (flops >= planned_flops) break;
      chosen.push_back(r);
      flops += r.Flops();
    }
    random_factors.push_back(
        LrIntervalFactor(FitRuns(Train(chosen, initial, planted, 3 + draw)).fit));
  }
  std::sort(random_factors.begin(), random_factors.end());
  EXPECT_LT(factor_planned, factor_before);
  EXPECT_LT(std::log(factor_planned), std::log(random_factors[1]))
      << "planned x" << factor_planned << ", random x" << random_factors[0] << " x"
      << random_factors[1] << " x" << random_factors[2] << ", before x" << factor_before;
}

TEST(DesignTest, APlanStaysWithinItsBudgetAndNeedsResamples) {
  PlantedRounds planted;
  const InitialRound start = TrainInitialRound(planted);
  const Fitted& before = start.fit;
  const std::vector<CandidateRun>& candidates = start.candidates;
  RoundOptions options;
  options.max_runs = 100;
  options.budget_flops = 3.5 * TrainingFlops(1e6, 204800);
  auto plan = PlanRound(before.replicates, candidates, before.noise, options);
  ASSERT_TRUE(plan.ok()) << plan.status();
  double flops = 0;
  for (const DesignChoice& c : plan->choices) flops += c.run.Flops();
  EXPECT_LE(flops, options.budget_flops);
  EXPECT_FALSE(plan->choices.empty()) << "three runs of the smallest size fit the budget";

  std::vector<ReplicateChoice> few(before.replicates.begin(), before.replicates.begin() + 5);
  auto refused = PlanRound(few, candidates, before.noise, options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("at least 8"), std::string::npos) << refused.status();
}

}  // namespace
}  // namespace mixlaw
