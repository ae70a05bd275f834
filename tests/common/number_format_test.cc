// The number formats every command and the report share.
#include "common/number_format.h"

#include <cmath>

#include "gtest/gtest.h"

namespace mixlaw {
namespace {

TEST(NumberFormatTest, EachQuantityHasOneFormat) {
  EXPECT_EQ(FormatLoss(2.34564), "2.3456");
  EXPECT_EQ(FormatLoss(NAN), "NaN");
  EXPECT_EQ(FormatLr(3e-3), "3.00e-03");
  EXPECT_EQ(FormatAlmr(0.25), "0.25");
  EXPECT_EQ(FormatAlmr(0.1), "0.1");
  EXPECT_EQ(FormatParams(4e7), "40M");
  EXPECT_EQ(FormatPercent(0.45), "45.0%");
}

TEST(NumberFormatTest, FittedParametersAsTheFitCommandPrintsThem) {
  EXPECT_EQ(FormatEstimate(0.123456789), "0.12346");
  EXPECT_EQ(FormatEstimate(-50), "-50");
  EXPECT_EQ(FormatEstimate(123456.7), "1.2346e+05");
  EXPECT_EQ(FormatStdError(0.0123456), "0.0123");
  EXPECT_EQ(FormatStdError(NAN), "-");
  EXPECT_EQ(FormatFactor(1.254), "x1.25");
}

}  // namespace
}  // namespace mixlaw
