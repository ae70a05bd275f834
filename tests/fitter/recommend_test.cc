// Recommend on a planted coupling law: the choice from a fit of noisy runs lands within tolerance
// of the choice the planted law makes, which itself matches a brute-force search.
#include "fitter/recommend.h"

#include <cmath>
#include <cstdio>
#include <filesystem>

#include "fitter/coupling_model.h"
#include "fitter/fit_json.h"
#include "fitter/recommend_checks.h"
#include "gtest/gtest.h"
#include "tests/fitter/synthetic_data.h"

namespace mixlaw {
namespace {

const std::vector<double> kSizes = {1e7, 3e7, 1e8, 3e8, 1e9};
const std::vector<double> kAlmrs = {0.05, 0.1, 0.2, 0.35, 0.5, 0.75};
constexpr double kTarget = 7e10;

// A LawFit holding the planted parameters, as if fitted exactly on the swept grid.
LawFit PlantedFit(const std::vector<double>& sizes) {
  LawFit fit;
  fit.law = "coupling";
  fit.data.sizes = sizes;
  fit.data.almrs = kAlmrs;
  for (double n : sizes) fit.data.lrs[n] = {1e-6, 1.0};
  for (auto [law, split, theta] :
       {std::tuple{"coupling/additional", kSplitAdditional, PlantedAdditional()},
        std::tuple{"coupling/base", kSplitBase, PlantedBase()}}) {
    ComponentFit c;
    c.law = law;
    c.split = split;
    for (double v : theta) {
      c.parameters.push_back({"p", v});
      // One token budget: the token terms are held, as a fit of such runs holds them.
      c.parameters.back().held = c.parameters.size() > kCouplingParametersWithoutTokens;
    }
    fit.components.push_back(c);
  }
  return fit;
}

const LawFit& FittedOnNoisyRuns() {
  static const LawFit* fit = [] {
    FitOptions options;
    options.bootstrap = 40;
    options.cross_validate = false;
    ObservationSet runs =
        CouplingRuns(PlantedAdditional(), PlantedBase(), kSizes, kAlmrs, 7, 0.003, 21);
    auto result = FitObservations(*FindLaw("coupling"), runs, "", options);
    EXPECT_TRUE(result.ok()) << result.status();
    return new LawFit(*result);
  }();
  return *fit;
}

RecommendOptions Budget(double x) {
  RecommendOptions o;
  o.target_params = kTarget;
  o.forgetting_budget = x;
  return o;
}

TEST(RecommendTest, PlantedChoiceMatchesBruteForce) {
  auto rec = Recommend(PlantedFit(kSizes), Budget(0.05));
  ASSERT_TRUE(rec.ok()) << rec.status();
  CouplingModel m(PlantedAdditional(), PlantedBase());
  const double reference = m.BaseReference(kTarget);
  double best = 1e9, best_r = 0, best_lr = 0;
  for (double r = 0.05; r <= 0.75; r += 0.0007) {
    for (double x = std::log(1e-6); x < std::log(1e-2); x += 0.002) {
      if (m.LossBase(r, std::exp(x), kTarget) - reference > 0.05) continue;
      double loss = m.LossAdditional(r, std::exp(x), kTarget);
      if (loss < best) {
        best = loss;
        best_r = r;
        best_lr = std::exp(x);
      }
    }
  }
  EXPECT_NEAR(rec->almr, best_r, 0.005);
  EXPECT_NEAR(std::log(rec->lr), std::log(best_lr), 0.01);
  EXPECT_NEAR(rec->loss_additional, best, 1e-4);
  EXPECT_LE(rec->forgetting, 0.05 + 1e-9);
  // Interior in r, and the budget pulls the LR from the additional optimum toward the base one.
  EXPECT_GT(rec->almr, 0.1);
  EXPECT_LT(rec->almr, 0.2);
  EXPECT_LT(rec->lr, std::exp(m.LnOptimalLrAdditional(rec->almr, kTarget)));
}

TEST(RecommendTest, FitOfNoisyRunsPicksThePlantedChoice) {
  for (RecommendOptions o : {Budget(0.05), Budget(0.1)}) {
    auto truth = Recommend(PlantedFit(kSizes), o);
    auto rec = Recommend(FittedOnNoisyRuns(), o);
    ASSERT_TRUE(truth.ok() && rec.ok());
    EXPECT_NEAR(rec->almr, truth->almr, 0.03);
    EXPECT_NEAR(std::log(rec->lr), std::log(truth->lr), std::log(1.25));
    EXPECT_NEAR(rec->loss_additional, truth->loss_additional, 0.01);
    EXPECT_EQ(rec->replicates, 40);
    EXPECT_LE(rec->almr_interval.lower, rec->almr);
    EXPECT_GE(rec->almr_interval.upper, rec->almr);
    EXPECT_LE(rec->lr_interval.lower, truth->lr);
    EXPECT_GE(rec->lr_interval.upper, truth->lr);
  }
  RecommendOptions weighted;
  weighted.target_params = kTarget;
  weighted.weight = 1.0;
  auto truth = Recommend(PlantedFit(kSizes), weighted);
  auto rec = Recommend(FittedOnNoisyRuns(), weighted);
  ASSERT_TRUE(truth.ok() && rec.ok());
  EXPECT_NEAR(rec->almr, truth->almr, 0.03);
  EXPECT_NEAR(std::log(rec->lr), std::log(truth->lr), std::log(1.25));
}

TEST(RecommendTest, OneProxySizeUsesTheNamedTransferRule) {
  ObservationSet runs =
      CouplingRuns(PlantedAdditional(), PlantedBase(), {1e8}, kAlmrs, 7, 0.003, 5);
  FitOptions options;
  options.cross_validate = false;
  auto fit = FitObservations(*FindLaw("coupling"), runs, "", options);
  ASSERT_TRUE(fit.ok()) << fit.status();
  for (const ComponentFit& c : fit->components) {
    for (const char* name : {"log_A", "alpha", "delta"}) {
      auto it = std::find_if(c.parameters.begin(), c.parameters.end(),
                             [&](const ParameterEstimate& p) { return p.name == name; });
      ASSERT_NE(it, c.parameters.end());
      EXPECT_TRUE(it->held) << name;
    }
  }
  auto as_is = Recommend(*fit, Budget(0.05));
  ASSERT_TRUE(as_is.ok()) << as_is.status();
  EXPECT_NE(as_is->transfer.find("one proxy size"), std::string::npos);
  EXPECT_NE(as_is->transfer.find("as is"), std::string::npos);
  // The proxy's own choice: the same as recommending for the proxy size.
  RecommendOptions at_proxy = Budget(0.05);
  at_proxy.target_params = 1e8;
  auto proxy = Recommend(*fit, at_proxy);
  ASSERT_TRUE(proxy.ok());
  EXPECT_DOUBLE_EQ(as_is->lr, proxy->lr);
  RecommendOptions scaled = Budget(0.05);
  scaled.lr_size_exponent = 0.3;
  auto transferred = Recommend(*fit, scaled);
  ASSERT_TRUE(transferred.ok());
  EXPECT_DOUBLE_EQ(transferred->almr, as_is->almr);
  EXPECT_NEAR(transferred->lr / as_is->lr, std::pow(kTarget / 1e8, -0.3), 1e-9);
  EXPECT_NE(transferred->transfer.find("--lr-size-exponent"), std::string::npos);
}

TEST(RecommendTest, ImpossibleBudgetIsRefusedWithTheSmallestRise) {
  auto rec = Recommend(PlantedFit(kSizes), Budget(0.001));
  ASSERT_FALSE(rec.ok());
  EXPECT_EQ(rec.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(rec.status().message().find("the smallest rise is 0.0125"), std::string::npos)
      << rec.status().message();  // F r at r = 0.05: 0.25 * 0.05
}

TEST(RecommendTest, WarnsWhenTheChoiceIsAtTheEdgeOfTheGrid) {
  auto rec = Recommend(PlantedFit(kSizes), Budget(10));
  ASSERT_TRUE(rec.ok());
  EXPECT_DOUBLE_EQ(rec->almr, 0.75);
  bool edge = false;
  for (const std::string& w : rec->warnings) {
    edge = edge || w.find("at the edge") != std::string::npos;
  }
  EXPECT_TRUE(edge);
}

TEST(RecommendTest, FitJsonRoundTripGivesTheSameRecommendation) {
  std::string path = testing::TempDir() + "/fit_roundtrip.json";
  ASSERT_TRUE(WriteFitFile(FittedOnNoisyRuns(), path).ok());
  auto read = ReadFitFile(path);
  ASSERT_TRUE(read.ok()) << read.status();
  auto a = Recommend(FittedOnNoisyRuns(), Budget(0.05));
  auto b = Recommend(*read, Budget(0.05));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_DOUBLE_EQ(a->almr, b->almr);
  EXPECT_DOUBLE_EQ(a->lr, b->lr);
  EXPECT_DOUBLE_EQ(a->lr_interval.upper, b->lr_interval.upper);
  std::filesystem::remove(path);
}

// Where the runs varied the token budget, the law's LR optimum reads the target's: given by
// --target-tokens, else the runs' one budget; a fit whose token terms are held does not read it.
// Found by fuzzing (tests/fuzz/corpus/fit_json): an optional field of another type than FIT.json
// writes ("held": "yes") escaped FitFromJson as an exception, and a count out of range ("runs":
// 1e30) was converted anyway. Such fields now read as absent.
TEST(RecommendTest, FitJsonFieldsOfAnotherTypeReadAsAbsentAndNeverThrow) {
  const nlohmann::json j = nlohmann::json::parse(R"({
    "format": "mixlaw-fit/1", "law": "coupling", "source": 5, "seed": 1,
    "data": {"runs": 1e30, "sizes": "many", "lrs": [{"params": 1, "lrs": 3}]},
    "runs": [{"name": 7, "params": 1e6}],
    "components": [{"law": "coupling", "split": "eval/base", "formula": [], "points": -3,
                    "parameters": [{"name": "E", "value": 1.5, "held": "yes", "at_bound": 0}],
                    "bootstrap": {"not": "a list"}, "bootstrap_failed": 1e300,
                    "cross_validation": [{"group": false, "points": 2.5}]}]})");
  absl::StatusOr<LawFit> fit = FitFromJson(j, "FIT.json");
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_EQ(fit->source, "");
  EXPECT_EQ(fit->data.runs, 0u);
  EXPECT_TRUE(fit->data.sizes.empty());
  EXPECT_EQ(fit->runs.at(0).name, "");
  const ComponentFit& c = fit->components.at(0);
  EXPECT_EQ(c.points, 0u);
  EXPECT_FALSE(c.parameters.at(0).held);
  EXPECT_FALSE(c.parameters.at(0).at_bound);
  EXPECT_TRUE(c.bootstrap.empty());
  EXPECT_EQ(c.bootstrap_failed, 0);
  EXPECT_EQ(c.cross_validation.at(0).group, "");
  EXPECT_EQ(c.cross_validation.at(0).points, 0u);
}

// A run's weights by split survive FIT.json; a weight outside (0, 1] reads as absent (1).
TEST(RecommendTest, FitJsonKeepsEachRunsWeights) {
  LawFit fit = PlantedFit(kSizes);
  fit.runs = CouplingRuns(PlantedAdditional(), PlantedBase(), kSizes, kAlmrs, 2, 0.003, 3).runs;
  ASSERT_GE(fit.runs.size(), 2u);
  fit.runs[0].weight = {{kSplitBase, 0.25}, {kSplitAdditional, 0.5}};
  nlohmann::json j = FitToJson(fit);
  EXPECT_FALSE(j["runs"][1].contains("weight"));
  absl::StatusOr<LawFit> read = FitFromJson(j, "FIT.json");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->runs[0].weight, fit.runs[0].weight);
  EXPECT_TRUE(read->runs[1].weight.empty());
  j["runs"][0]["weight"] = {{kSplitBase, 1.5}, {kSplitAdditional, "half"}};
  read = FitFromJson(j, "FIT.json");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(read->runs[0].weight.empty());
}

TEST(RecommendTest, TheTargetTokensAreReadWhereTheTokenTermsWereFitted) {
  LawFit fit = PlantedFit(kSizes);
  RecommendOptions options;
  options.target_params = kTarget;
  absl::StatusOr<CouplingFit> coupling = CheckCouplingFit(fit, options);
  ASSERT_TRUE(coupling.ok());
  EXPECT_EQ(*ResolveTargetTokens(fit, *coupling, options), 0.0) << "held: D is not read";

  for (ComponentFit& c : fit.components) {
    c.parameters[kZeta] = {"zeta", 0.3};  // free: fitted over two budgets
  }
  for (double d : {1e9, 4e9}) {
    Observation o;
    o.tokens = d;
    fit.runs.push_back(o);
  }
  coupling = CheckCouplingFit(fit, options);
  ASSERT_TRUE(coupling.ok());
  absl::StatusOr<double> tokens = ResolveTargetTokens(fit, *coupling, options);
  ASSERT_FALSE(tokens.ok());
  EXPECT_NE(tokens.status().message().find("--target-tokens: required"), std::string::npos);
  EXPECT_NE(tokens.status().message().find("2 budgets (1B to 4B)"), std::string::npos)
      << tokens.status().message();
  options.target_tokens = 1.5e12;
  absl::StatusOr<Recommendation> rec = Recommend(fit, options);
  ASSERT_TRUE(rec.ok()) << rec.status();
  EXPECT_EQ(rec->target_tokens, 1.5e12);
  // eta* grows as D^0.3: a budget 10 times larger moves the choice up by 10^0.3.
  RecommendOptions smaller = options;
  smaller.target_tokens = 1.5e11;
  absl::StatusOr<AlmrRow> at_large = RecommendAtAlmr(fit, options, 0.35);
  absl::StatusOr<AlmrRow> at_small = RecommendAtAlmr(fit, smaller, 0.35);
  ASSERT_TRUE(at_large.ok() && at_small.ok());
  EXPECT_NEAR(at_large->lr / at_small->lr, std::pow(10.0, 0.3), 1e-6);
}

}  // namespace
}  // namespace mixlaw
