// The coupling law on measured runs (tests/fitter/data/probe_bpe.csv: 48 tiny CPT runs on the demo
// corpora, from two probe sweeps; see data/README.md).
// The loss is asymmetric in ln LR there, which the law's parabola is not: what matters is that it
// still places the optimum under cross-validation, and keeps the measured coupling.
#include <algorithm>

#include "fitter/fit.h"
#include "fitter/laws/coupling.h"
#include "fitter/recommend.h"
#include "gtest/gtest.h"

namespace mixlaw {
namespace {

const LawFit& ProbeFit() {
  static const LawFit* fit = [] {
    auto set = ReadObservationsCsv(MIXLAW_SOURCE_DIR "/tests/fitter/data/probe_bpe.csv");
    EXPECT_TRUE(set.ok()) << set.status();
    FitOptions options;
    options.bootstrap = 30;
    auto result = FitObservations(*FindLaw("coupling"), *set, "", options);
    EXPECT_TRUE(result.ok()) << result.status();
    return new LawFit(*result);
  }();
  return *fit;
}

TEST(ProbeTest, CouplingLawDescribesTheMeasuredRuns) {
  // Measured: R^2 (log) 0.88 additional, 0.77 base; RMSE 0.018 and 0.031. The base loss's
  // asymmetric rise at the largest LR is what the parabola misses.
  for (const ComponentFit& c : ProbeFit().components) {
    SCOPED_TRACE(c.split);
    EXPECT_GT(c.r2_log, 0.7);
    EXPECT_LT(c.rmse_log, 0.04);
  }
}

TEST(ProbeTest, HeldOutSizesGetTheirOptimalLrWithinTheGridSpacing) {
  // The grid's LRs are 2.4-2.5 apart; a held-out size's optimum placed within a factor 2
  // (median over its ALMRs) is as good as the data can check.
  for (const ComponentFit& c : ProbeFit().components) {
    size_t folds = 0;
    for (const CvFold& f : c.cross_validation) {
      if (f.group != "params" || f.optima == 0) continue;
      ++folds;
      SCOPED_TRACE(c.split + " without " + std::to_string(f.held_out));
      EXPECT_LT(f.lr_factor_median, 2.0);
      EXPECT_LT(f.rmse_log, 0.07);
    }
    EXPECT_GE(folds, 2u) << c.split;
  }
}

TEST(ProbeTest, TheBaseLanguagesBestLrFallsAsAlmrRises) {
  // Finding 4 of cpt-probe.md: gamma_base < 0, and a forgetting budget lands below the
  // additional language's own optimum.
  const ComponentFit& base = ProbeFit().components[1];
  ASSERT_EQ(base.split, kSplitBase);
  EXPECT_LT(base.parameters[kGamma].value, 0);
  RecommendOptions o;
  o.target_params = 1500288;  // the largest probe size: no extrapolation
  o.forgetting_budget = 0.15;
  auto rec = Recommend(ProbeFit(), o);
  ASSERT_TRUE(rec.ok()) << rec.status();
  const AlmrRow& row = *std::min_element(
      rec->grid.begin(), rec->grid.end(), [&](const AlmrRow& a, const AlmrRow& b) {
        return std::fabs(a.almr - rec->almr) < std::fabs(b.almr - rec->almr);
      });
  EXPECT_LE(rec->lr, row.lr_additional);
  EXPECT_LE(rec->forgetting, 0.15 + 1e-9);
}

}  // namespace
}  // namespace mixlaw
