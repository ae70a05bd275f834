// The loss surface at the target size: each cell holds the criterion's value where it sits, the
// cells over the forgetting budget are the ones the base loss rules out, and the SVG draws one
// rect a cell, the recommended point where it lies, and axes with round ticks.
#include "report/surface_svg.h"

#include <cmath>
#include <cstdlib>

#include "absl/strings/str_format.h"
#include "fitter/coupling_model.h"
#include "gtest/gtest.h"
#include "report/surface.h"
#include "tests/fitter/synthetic_data.h"
#include "tests/report/page_text.h"

namespace mixlaw::report {
namespace {

constexpr double kTarget = 1e9;

using testing_support::Count;

// The number in attribute `name` of the first element after `from`.
double Attribute(const std::string& svg, size_t from, const std::string& name) {
  const size_t at = svg.find(" " + name + "=\"", from);
  return at == std::string::npos ? NAN : std::atof(svg.c_str() + at + name.size() + 3);
}

struct Planted {
  CouplingModel model{PlantedAdditional(), PlantedBase()};
  Recommendation rec;
  Planted() {
    rec.almr = 0.3;
    rec.lr = std::exp(model.LnOptimalLrAdditional(0.3, kTarget));
    for (double r : {0.1, 0.3, 0.75}) {
      AlmrRow row;
      row.almr = r;
      row.lr = std::exp(model.LnOptimalLrBase(r, kTarget));
      rec.grid.push_back(row);
    }
  }
  // The criterion's options at the target size (the weight 1 unless set).
  static RecommendOptions Options() {
    RecommendOptions options;
    options.target_params = kTarget;
    return options;
  }
};

TEST(SurfaceTest, CellsHoldTheWeightedLossWhereTheySit) {
  Planted p;
  RecommendOptions options = Planted::Options();
  options.weight = 2;
  Surface s = PredictSurface(p.model, options, &p.rec, 0.1, 0.75, 12, 9);
  ASSERT_EQ(s.almrs.size(), 12u);
  ASSERT_EQ(s.lrs.size(), 9u);
  EXPECT_NEAR(s.almrs.front(), 0.1 + 0.65 / 24, 1e-12) << "cell centres";
  EXPECT_NEAR(std::log(s.lrs[1] / s.lrs[0]), std::log(s.lrs[8] / s.lrs[7]), 1e-9) << "log spaced";
  EXPECT_LT(s.lr_lo, p.rec.lr);
  EXPECT_GT(s.lr_hi, p.rec.lr);
  for (size_t j = 0; j < s.lrs.size(); ++j) {
    for (size_t i = 0; i < s.almrs.size(); ++i) {
      EXPECT_DOUBLE_EQ(s.value[j][i], p.model.LossAdditional(s.almrs[i], s.lrs[j], kTarget) +
                                          2 * p.model.LossBase(s.almrs[i], s.lrs[j], kTarget));
      EXPECT_FALSE(s.over_budget[j][i]) << "no budget, nothing ruled out";
    }
  }
  EXPECT_EQ(s.value_title, "predicted L_additional + 2 L_base (nats/token)");
}

TEST(SurfaceTest, CellsOverTheBudgetAreTheOnesTheBaseLossRulesOut) {
  Planted p;
  RecommendOptions options = Planted::Options();
  options.forgetting_budget = 0.05;
  Surface s = PredictSurface(p.model, options, &p.rec, 0.1, 0.75, 12, 9);
  const double reference = p.model.BaseReference(kTarget);
  size_t over = 0;
  for (size_t j = 0; j < s.lrs.size(); ++j) {
    for (size_t i = 0; i < s.almrs.size(); ++i) {
      const double rise = p.model.LossBase(s.almrs[i], s.lrs[j], kTarget) - reference;
      EXPECT_EQ(s.over_budget[j][i], rise > 0.05);
      EXPECT_DOUBLE_EQ(s.value[j][i], p.model.LossAdditional(s.almrs[i], s.lrs[j], kTarget));
      over += s.over_budget[j][i] ? 1 : 0;
    }
  }
  EXPECT_GT(over, 0u);
  EXPECT_LT(over, 12u * 9u);
  const std::string svg = SurfaceSvg(s);
  EXPECT_EQ(Count(svg, "<rect class=\"over-budget\""), over);
}

TEST(SurfaceSvgTest, OneRectACellAndTheMarkerAtTheRecommendedPoint) {
  Planted p;
  RecommendOptions options = Planted::Options();
  Surface s = PredictSurface(p.model, options, &p.rec, 0.1, 0.75, 12, 9);
  const SvgFrame frame;
  const std::string svg = SurfaceSvg(s, frame);
  EXPECT_EQ(svg.rfind("<svg class=\"surface\" data-chart=\"surface\"", 0), 0u);
  EXPECT_EQ(Count(svg, "<rect class=\"cell\""), 12u * 9u);
  const size_t marker = svg.find("<g id=\"recommended\"");
  ASSERT_NE(marker, std::string::npos);
  EXPECT_NE(svg.find("data-almr=\"0.3\"", marker), std::string::npos);
  const double cx = Attribute(svg, marker, "cx"), cy = Attribute(svg, marker, "cy");
  EXPECT_NEAR(cx, SurfaceX(s, frame, 0.3), 0.06);
  EXPECT_NEAR(cy, SurfaceY(s, frame, p.rec.lr), 0.06);
  EXPECT_GT(cx, frame.left);
  EXPECT_LT(cx, frame.left + frame.PlotWidth());
  EXPECT_GT(cy, frame.top);
  EXPECT_LT(cy, frame.top + frame.PlotHeight());
  EXPECT_NE(svg.find("recommended: ALMR 0.3, LR "), std::string::npos);
  EXPECT_NE(svg.find(">ALMR</text>"), std::string::npos);
  EXPECT_NE(svg.find(">peak LR (log scale)</text>"), std::string::npos);
  EXPECT_NE(svg.find("class=\"chosen\""), std::string::npos);
  EXPECT_NE(svg.find(">1.00e-03</text>"), std::string::npos) << "a decade tick on the LR axis";
  // The bottom-left cell is at the smallest ALMR and LR.
  const size_t first = svg.find("<rect class=\"cell\"");
  EXPECT_NEAR(Attribute(svg, first, "x"), frame.left, 0.06);
  EXPECT_NEAR(Attribute(svg, first, "y") + Attribute(svg, first, "height") - 0.5,
              frame.top + frame.PlotHeight(), 0.11);
}

TEST(SurfaceSvgTest, WithoutARecommendationThereIsNoMarker) {
  Planted p;
  RecommendOptions options = Planted::Options();
  const std::string svg = SurfaceSvg(PredictSurface(p.model, options, nullptr, 0.1, 0.75, 4, 3));
  EXPECT_EQ(Count(svg, "<rect class=\"cell\""), 12u);
  EXPECT_EQ(svg.find("id=\"recommended\""), std::string::npos);
  EXPECT_EQ(svg.find("class=\"chosen\""), std::string::npos);
}

TEST(SurfaceSvgTest, TicksAreRoundNumbers) {
  std::vector<double> linear = LinearTicks(0.1, 0.75, 6);
  ASSERT_EQ(linear.size(), 7u);
  for (size_t i = 0; i < linear.size(); ++i) EXPECT_NEAR(linear[i], 0.1 * (i + 1), 1e-12);
  std::vector<double> fine = LinearTicks(2.41, 2.49, 4);
  ASSERT_EQ(fine.size(), 4u);
  for (size_t i = 0; i < fine.size(); ++i) EXPECT_NEAR(fine[i], 2.42 + 0.02 * i, 1e-12);
  std::vector<double> log = LogTicks(3e-4, 2e-2);
  std::vector<double> expected = {5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2};
  ASSERT_EQ(log.size(), expected.size());
  for (size_t i = 0; i < log.size(); ++i) EXPECT_NEAR(log[i] / expected[i], 1, 1e-12);
}

}  // namespace
}  // namespace mixlaw::report
