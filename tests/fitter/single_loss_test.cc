// The single-loss CSV form (one `loss` column, no ALMR): read and refused as the other forms are,
// fitted by every law that needs no mixture, and a planted Step-Law-like surface over N, D and LR
// recovered by the coupling law with its mixture terms held, D's exponent inside its interval.
#include <cmath>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "fitter/fit.h"
#include "fitter/laws/coupling.h"
#include "fitter/laws/registry.h"
#include "fitter/observations.h"
#include "gtest/gtest.h"

namespace mixlaw {
namespace {

FitOptions Options(int bootstrap) {
  FitOptions options;
  options.bootstrap = bootstrap;
  options.seed = 3;
  options.cross_validate = false;
  return options;
}

const ParameterEstimate& Parameter(const ComponentFit& c, const std::string& name) {
  for (const ParameterEstimate& p : c.parameters) {
    if (p.name == name) return p;
  }
  ADD_FAILURE() << "no parameter " << name;
  static const ParameterEstimate none;
  return none;
}

TEST(SingleLossTest, ReadsOneLossColumnWithoutAnAlmr) {
  auto set = ParseObservationsCsv(
      "name,params,lr,loss,tokens,batch_size,seed\n"
      "a,1e8,3e-3,2.91,2e9,256,0\n"
      "b,1e8,6e-3,2.88,2e9,256,1\n",
      "sweep.csv");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_TRUE(set->single_loss);
  EXPECT_FALSE(set->has_almr);
  EXPECT_TRUE(set->has_lr);
  ASSERT_EQ(set->runs.size(), 2u);
  const Observation& b = set->runs[1];
  EXPECT_EQ(b.name, "b");
  EXPECT_EQ(b.params, 1e8);
  EXPECT_EQ(b.peak_lr, 6e-3);
  EXPECT_EQ(b.tokens, 2e9);
  EXPECT_EQ(b.batch_size, 256);
  EXPECT_EQ(b.seed, 1);
  EXPECT_EQ(b.almr, 0.0);
  EXPECT_EQ(b.final_loss.at(kSplitLoss), 2.88);
  EXPECT_EQ(b.final_loss.size(), 1u);
  // Without lr too: a Chinchilla sweep.
  set = ParseObservationsCsv("params,tokens,loss\n1e8,2e9,2.9\n", "chinchilla.csv");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_FALSE(set->has_lr);
}

TEST(SingleLossTest, BadFilesAreRefusedByLineAndColumn) {
  auto set = ParseObservationsCsv(
      "params,lr,loss,tokens\n"
      "1e8,3e-3,2.9,2e9\n"
      "-5,3e-3,2.9,2e9\n"
      "1e8,fast,2.9,2e9\n"
      "1e8,3e-3,,2e9\n"
      "1e8,3e-3,2.9\n",
      "sweep.csv");
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
  const std::string message(set.status().message());
  EXPECT_NE(message.find("sweep.csv: line 3, column params: "), std::string::npos) << message;
  EXPECT_NE(message.find("sweep.csv: line 4, column lr: 'fast' is not a number"), std::string::npos)
      << message;
  EXPECT_NE(message.find("sweep.csv: line 5, column loss: missing value"), std::string::npos)
      << message;
  EXPECT_NE(message.find("sweep.csv: line 6: 3 fields, the header has 4"), std::string::npos)
      << message;
  // No params column: named.
  set = ParseObservationsCsv("lr,loss\n3e-3,2.9\n", "sweep.csv");
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().message(), "sweep.csv: line 1, column params: missing column");
  // Neither form's losses: both are offered.
  set = ParseObservationsCsv("params,almr,lr,final_loss\n1e8,0.1,3e-3,2.9\n", "sweep.csv");
  ASSERT_FALSE(set.ok());
  EXPECT_NE(set.status().message().find("or give one `loss` column"), std::string::npos);
}

TEST(SingleLossTest, ALawThatNeedsAMissingColumnIsRefusedByName) {
  auto no_almr = ParseObservationsCsv("params,lr,loss,tokens\n1e8,3e-3,2.9,2e9\n2e8,3e-3,2.8,2e9\n",
                                      "sweep.csv");
  ASSERT_TRUE(no_almr.ok());
  for (const char* law : {"dcpt", "mixing"}) {
    auto fit = FitObservations(*FindLaw(law), *no_almr, kSplitAdditional, Options(0));
    ASSERT_FALSE(fit.ok()) << law;
    EXPECT_EQ(fit.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(fit.status().message(),
              absl::StrCat("sweep.csv: law ", law, " needs the column almr, which the file lacks"));
  }
  auto no_lr = ParseObservationsCsv("params,tokens,loss\n1e8,2e9,2.9\n2e8,2e9,2.8\n", "sweep.csv");
  ASSERT_TRUE(no_lr.ok());
  for (const char* law : {"coupling", "optimal-lr", "optimal-lr-compute"}) {
    auto fit = FitObservations(*FindLaw(law), *no_lr, kSplitAdditional, Options(0));
    ASSERT_FALSE(fit.ok()) << law;
    EXPECT_EQ(fit.status().message(),
              absl::StrCat("sweep.csv: law ", law, " needs the column lr, which the file lacks"));
  }
  auto no_tokens = ParseObservationsCsv("params,lr,loss\n1e8,3e-3,2.9\n2e8,3e-3,2.8\n", "s.csv");
  ASSERT_TRUE(no_tokens.ok());
  auto fit = FitObservations(*FindLaw("chinchilla"), *no_tokens, kSplitAdditional, Options(0));
  ASSERT_FALSE(fit.ok());
  EXPECT_EQ(fit.status().message(),
            "s.csv: law chinchilla needs the column tokens (the budget D), and 2 runs have none");
}

// L = E + A N^-alpha + T D^-tau + K (ln eta - ln eta*)^2, eta* = exp(c) N^-delta D^zeta: Step
// Law's exponents for the optimum, Chinchilla-like ones for the level.
struct Planted {
  double E = 1.7, A = 400, alpha = 0.34, T = 410, tau = 0.28, K = 0.08;
  double a = 1.79, delta = 0.713, zeta = 0.307;
  double OptimalLr(double n, double d) const { return a * std::pow(n, -delta) * std::pow(d, zeta); }
  double Loss(double n, double d, double lr) const {
    const double x = std::log(lr / OptimalLr(n, d));
    return E + A * std::pow(n, -alpha) + T * std::pow(d, -tau) + K * x * x;
  }
};

TEST(SingleLossTest, APlantedStepLawSurfaceIsRecoveredFromALossCsv) {
  const Planted planted;
  std::mt19937_64 rng(11);
  std::normal_distribution<double> noise(0.0, 0.002);
  std::string csv = "name,params,tokens,lr,loss,seed\n";
  int run = 0;
  for (double n : {6e7, 1.5e8, 4e8, 1e9}) {
    for (double d : {2e9, 6e9, 1.8e10, 5.4e10}) {
      const double best = planted.OptimalLr(n, d);
      for (int k = -2; k <= 2; ++k) {
        const double lr = best * std::pow(1.7, k) * 1.08;  // the grid misses the optimum
        const double loss = planted.Loss(n, d, lr) * std::exp(noise(rng));
        absl::StrAppend(&csv, "r", run++, ",", n, ",", d, ",", lr, ",", loss, ",0\n");
      }
    }
  }
  auto set = ParseObservationsCsv(csv, "step.csv");
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_TRUE(set->single_loss);
  auto fit = FitObservations(*FindLaw("coupling"), *set, kSplitAdditional, Options(200));
  ASSERT_TRUE(fit.ok()) << fit.status();
  ASSERT_EQ(fit->components.size(), 1u) << "one loss: one component";
  const ComponentFit& c = fit->components[0];
  EXPECT_EQ(c.split, kSplitLoss);
  EXPECT_GT(c.r2_log, 0.99);
  for (const char* mixture : {"log_B", "beta", "gamma"}) {
    EXPECT_TRUE(Parameter(c, mixture).held) << mixture << ": no ALMR, no mixture terms";
  }
  const ParameterEstimate& zeta = Parameter(c, "zeta");
  ASSERT_FALSE(zeta.held) << "the budgets vary: D's exponent is fitted";
  EXPECT_LE(zeta.lower, planted.zeta);
  EXPECT_GE(zeta.upper, planted.zeta);
  EXPECT_NEAR(zeta.value, planted.zeta, 0.05);
  const ParameterEstimate& delta = Parameter(c, "delta");
  EXPECT_LE(delta.lower, planted.delta);
  EXPECT_GE(delta.upper, planted.delta);
  // The optimum at an unseen (N, D) follows: within 10% of the planted one.
  const std::vector<double> theta = c.Values();
  const double n = 3e9, d = 1e11;
  const double ln_opt =
      CouplingLnOptimalLr(theta.data(), std::log(n), std::log(kCouplingEps), std::log(d));
  EXPECT_NEAR(ln_opt, std::log(planted.OptimalLr(n, d)), std::log(1.1));
}

TEST(SingleLossTest, ChinchillaAndTheOptimalLrLawsFitTheSingleForm) {
  std::string csv = "params,tokens,lr,loss\n";
  const Planted planted;
  for (double n : {6e7, 1.5e8, 4e8, 1e9}) {
    for (double d : {2e9, 6e9, 1.8e10}) {
      for (int k = -2; k <= 2; ++k) {
        const double lr = planted.OptimalLr(n, d) * std::pow(1.7, k) * 1.08;
        absl::StrAppend(&csv, n, ",", d, ",", lr, ",", planted.Loss(n, d, lr), "\n");
      }
    }
  }
  auto set = ParseObservationsCsv(csv, "sweep.csv");
  ASSERT_TRUE(set.ok()) << set.status();
  for (const char* law : {"chinchilla", "optimal-lr", "optimal-lr-compute"}) {
    auto fit = FitObservations(*FindLaw(law), *set, kSplitAdditional, Options(0));
    ASSERT_TRUE(fit.ok()) << law << ": " << fit.status();
    EXPECT_EQ(fit->components[0].split, kSplitLoss) << law;
  }
  auto fit = FitObservations(*FindLaw("optimal-lr"), *set, kSplitAdditional, Options(0));
  ASSERT_TRUE(fit.ok());
  EXPECT_NEAR(Parameter(fit->components[0], "z").value, planted.zeta, 0.03);
  EXPECT_NEAR(Parameter(fit->components[0], "b").value, -planted.delta, 0.03);
}

}  // namespace
}  // namespace mixlaw
