// The coupling model by split name gives what the split's own functions give.
#include "fitter/coupling_model.h"

#include <cmath>

#include "fitter/observations.h"
#include "gtest/gtest.h"
#include "tests/fitter/synthetic_data.h"

namespace mixlaw {
namespace {

TEST(CouplingModelTest, BySplitNameIsTheSplitsOwnFunction) {
  const CouplingModel m(PlantedAdditional(), PlantedBase());
  for (double r : {0.0, 0.1, 0.5}) {
    for (double lr : {1e-4, 3e-3}) {
      EXPECT_DOUBLE_EQ(m.LossOn(kSplitAdditional, r, lr, 1e9), m.LossAdditional(r, lr, 1e9));
      EXPECT_DOUBLE_EQ(m.LossOn(kSplitBase, r, lr, 1e9), m.LossBase(r, lr, 1e9));
    }
    EXPECT_DOUBLE_EQ(m.LnOptimalLrOn(kSplitAdditional, r, 1e8), m.LnOptimalLrAdditional(r, 1e8));
    EXPECT_DOUBLE_EQ(m.LnOptimalLrOn(kSplitBase, r, 1e8), m.LnOptimalLrBase(r, 1e8));
  }
  // The optimum is where the loss is lowest in LR.
  const double lr = std::exp(m.LnOptimalLrOn(kSplitBase, 0.25, 1e8));
  EXPECT_LT(m.LossOn(kSplitBase, 0.25, lr, 1e8), m.LossOn(kSplitBase, 0.25, lr * 1.1, 1e8));
  EXPECT_LT(m.LossOn(kSplitBase, 0.25, lr, 1e8), m.LossOn(kSplitBase, 0.25, lr / 1.1, 1e8));
}

}  // namespace
}  // namespace mixlaw
