// Each law recovers planted parameters from noisy synthetic data: the planted values lie inside
// the fit's 95% bootstrap intervals, and the fit explains the data.
#include <cmath>
#include <memory>

#include "fitter/fit.h"
#include "fitter/laws/chinchilla.h"
#include "fitter/laws/dcpt.h"
#include "fitter/laws/mixing.h"
#include "fitter/laws/optimal_lr.h"
#include "gtest/gtest.h"
#include "tests/fitter/synthetic_data.h"

namespace mixlaw {
namespace {

FitOptions Options(int bootstrap) {
  FitOptions options;
  options.bootstrap = bootstrap;
  options.seed = 7;
  options.cross_validate = false;
  return options;
}

void ExpectRecovered(const ComponentFit& fit, const std::vector<double>& planted) {
  ASSERT_EQ(fit.parameters.size(), planted.size());
  for (size_t i = 0; i < planted.size(); ++i) {
    const ParameterEstimate& p = fit.parameters[i];
    SCOPED_TRACE(fit.law + " " + p.name);
    if (p.held) {  // the data lack what it needs (one token budget): held where it was planted
      EXPECT_EQ(p.value, planted[i]);
      continue;
    }
    EXPECT_LE(p.lower, planted[i]);
    EXPECT_GE(p.upper, planted[i]);
    EXPECT_LE(p.lower, p.value);
    EXPECT_GE(p.upper, p.value);
  }
  EXPECT_GT(fit.r2_log, 0.99);
}

TEST(LawsTest, CouplingRecoversBothSplits) {
  ObservationSet runs = CouplingRuns(PlantedAdditional(), PlantedBase(), {1e7, 3e7, 1e8, 3e8, 1e9},
                                     {0.05, 0.1, 0.2, 0.35, 0.5, 0.75}, 7, 0.003, 11);
  auto fit = FitObservations(*FindLaw("coupling"), runs, "", Options(60));
  ASSERT_TRUE(fit.ok()) << fit.status();
  ASSERT_EQ(fit->components.size(), 2u);
  EXPECT_EQ(fit->components[0].split, kSplitAdditional);
  EXPECT_EQ(fit->components[1].split, kSplitBase);
  ExpectRecovered(fit->components[0], PlantedAdditional());
  ExpectRecovered(fit->components[1], PlantedBase());
  EXPECT_TRUE(fit->warnings.empty()) << fit->warnings[0];
}

TEST(LawsTest, ChinchillaRecovers) {
  ChinchillaLaw law;
  const std::vector<double> planted = {std::log(1.69), std::log(406.4), 0.34, std::log(410.7),
                                       0.28};
  std::vector<Point> at;
  for (int i = 0; i < 8; ++i) {
    for (int j = 0; j < 8; ++j) {
      at.push_back({1e7 * std::pow(2.0, i), 1e8 * std::pow(2.7, j), 0, 0, 0, 0});
    }
  }
  auto fit = FitComponent(law, LawPoints(law, planted, at, 0.003, 3), 64, Options(60));
  ASSERT_TRUE(fit.ok()) << fit.status();
  ExpectRecovered(*fit, planted);
}

// The Chinchilla law's hand-derived, vectorised block and the autodiff block of its functor give
// the same Huber-rooted residuals and Jacobian, inside and outside the Huber threshold.
TEST(LawsTest, ChinchillaVectorBlockMatchesAutodiff) {
  ChinchillaLaw law;
  const std::vector<double> planted = {std::log(1.69), std::log(406.4), 0.34, std::log(410.7),
                                       0.28};
  std::vector<Point> at;
  for (int i = 0; i < 37; ++i) {  // not a multiple of the vector width
    at.push_back({1e7 * std::pow(1.3, i), 1e8 * std::pow(1.7, i % 11), 0, 0, 0, 0});
  }
  std::vector<Point> points = LawPoints(law, planted, at, 0.01, 5);
  // Two points on the law itself: inside the Huber threshold at the planted parameters.
  for (int i : {1, 2}) points[i].value = law.Predict(planted.data(), points[i]);
  std::vector<int> rows = {0, 3, 3, 36};  // repeats, as a bootstrap resample has
  for (int i = 0; i < 37; ++i) rows.push_back(i);
  const double delta = 1e-3;
  std::unique_ptr<ceres::CostFunction> fast(law.NewHuberBlock(points, rows, delta));
  std::unique_ptr<ceres::CostFunction> reference(
      new HuberLogResidualBlock<ChinchillaResidual, 5>(points, rows, delta));
  for (const std::vector<double>& theta : {planted, std::vector<double>{0.1, 3.0, 0.5, 12.0, 0.9},
                                           std::vector<double>{-1, 20, 1.5, 0, 0}}) {
    const size_t n = rows.size();
    std::vector<double> r_fast(n), r_ref(n), j_fast(n * 5), j_ref(n * 5);
    const double* parameters[] = {theta.data()};
    double* jacobian_fast[] = {j_fast.data()};
    double* jacobian_ref[] = {j_ref.data()};
    ASSERT_TRUE(fast->Evaluate(parameters, r_fast.data(), jacobian_fast));
    ASSERT_TRUE(reference->Evaluate(parameters, r_ref.data(), jacobian_ref));
    int outside = 0, inside = 0;
    for (size_t i = 0; i < n; ++i) {
      EXPECT_NEAR(r_fast[i], r_ref[i], 1e-12 * (1 + std::fabs(r_ref[i]))) << i;
      ++(std::fabs(r_ref[i]) > delta ? outside : inside);
    }
    if (theta == planted) {
      EXPECT_GT(inside, 0);
    }
    for (size_t i = 0; i < n * 5; ++i) {
      EXPECT_NEAR(j_fast[i], j_ref[i], 1e-11 * (1 + std::fabs(j_ref[i]))) << i;
    }
    EXPECT_GT(outside, 0);
  }
}

TEST(LawsTest, DcptRecovers) {
  DcptLaw law;
  const std::vector<double> planted = {std::log(1.5), std::log(300), 0.3,           std::log(500),
                                       0.5,           0.35,          std::log(0.2), 0.5};
  std::vector<Point> at;
  for (double n : {1e7, 4e7, 1.6e8, 6.4e8}) {
    for (double d : {1e8, 4e8, 1.6e9, 6.4e9}) {
      for (double r : {0.05, 0.15, 0.3, 0.5, 0.8}) at.push_back({n, d, r, 0, 0, 0});
    }
  }
  auto fit = FitComponent(law, LawPoints(law, planted, at, 0.002, 5), static_cast<int>(at.size()),
                          Options(60));
  ASSERT_TRUE(fit.ok()) << fit.status();
  ExpectRecovered(*fit, planted);
}

TEST(LawsTest, MixingRecovers) {
  MixingLaw law;
  const std::vector<double> planted = {2.0, std::log(1.5), -3.0};
  std::vector<Point> at;
  for (int i = 0; i <= 10; ++i) at.push_back({1e8, 0, 0.1 * i, 1e-3, 0, 0});
  auto fit = FitComponent(law, LawPoints(law, planted, at, 0.003, 9), 11, Options(100));
  ASSERT_TRUE(fit.ok()) << fit.status();
  ExpectRecovered(*fit, planted);
}

TEST(LawsTest, OptimalLrRecoversFromGroupOptima) {
  // The law sees each (N, r) group's best LR, refined between grid points; the planted optimum
  // eta* = 0.3 N^-0.3 sits in a loss bowl sampled every factor 1.5.
  const std::vector<double> planted = {std::log(0.3), -0.3};
  std::vector<Point> loss_points;
  int unit = 0;
  for (double n : {1e6, 4e6, 1.6e7, 6.4e7, 2.56e8, 1e9}) {
    const double best = 0.3 * std::pow(n, -0.3);
    for (double r : {0.1, 0.5}) {
      for (int i = -3; i <= 3; ++i) {
        double x = i * std::log(1.5) + 0.07 * r;  // the grid is off the optimum by a little
        loss_points.push_back({n, 0, r, best * std::exp(x), 3.0 + 0.1 * x * x, unit++});
      }
    }
  }
  std::vector<GroupOptimum> optima = ObservedOptima(loss_points);
  ASSERT_EQ(optima.size(), 12u);
  std::vector<Point> points = OptimalLrPoints(optima);
  ASSERT_EQ(points.size(), 12u);
  // Noise on the optima the parabola found.
  for (size_t i = 0; i < points.size(); ++i) points[i].value *= std::exp(0.02 * std::sin(7.0 * i));
  auto fit = FitComponent(*FindLaw("optimal-lr")->components[0].law, points, 12, Options(200));
  ASSERT_TRUE(fit.ok()) << fit.status();
  ASSERT_EQ(fit->parameters.size(), 3u);
  EXPECT_EQ(fit->parameters[2].name, "z");
  EXPECT_TRUE(fit->parameters[2].held) << "one token budget: D's exponent is held";
  EXPECT_EQ(fit->parameters[2].value, 0.0);
  fit->parameters.pop_back();
  ExpectRecovered(*fit, planted);
}

TEST(LawsTest, OptimalLrTakesInTheTokenBudget) {
  // Step Law's fit for pretraining, eta* = 1.79 N^-0.713 D^0.307, planted over sizes and budgets
  // with 3% noise on each group's optimum.
  const std::vector<double> planted = {std::log(1.79), -0.713, 0.307};
  std::vector<Point> points;
  int unit = 0;
  for (double n : {6e7, 2e8, 6e8, 2e9}) {
    for (double d : {2e9, 8e9, 3.2e10, 1.28e11}) {
      const double best = 1.79 * std::pow(n, -0.713) * std::pow(d, 0.307);
      const double noisy = best * std::exp(0.03 * std::sin(3.7 * unit));
      points.push_back({n, d, 0, noisy, noisy, unit++});
    }
  }
  auto fit = FitComponent(*FindLaw("optimal-lr")->components[0].law, points, unit, Options(200));
  ASSERT_TRUE(fit.ok()) << fit.status();
  ExpectRecovered(*fit, planted);
  EXPECT_NEAR(fit->parameters[2].value, 0.307, 0.03);
}

}  // namespace
}  // namespace mixlaw
