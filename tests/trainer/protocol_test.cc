#include "trainer/protocol.h"

#include <gtest/gtest.h>

#include <cmath>

namespace mixlaw {
namespace {

TEST(ProtocolTest, MetricLinesRoundTrip) {
  std::string line = FormatMetricLine({"eval/additional", 40, 2.5, 81920, 0.003});
  TrainerLine parsed = ParseTrainerLine(line);
  auto* m = std::get_if<MetricLine>(&parsed);
  ASSERT_NE(m, nullptr) << line;
  EXPECT_EQ(m->split, "eval/additional");
  EXPECT_EQ(m->step, 40);
  EXPECT_EQ(m->loss, 2.5);
  EXPECT_EQ(m->tokens, 81920);
  EXPECT_EQ(m->lr, 0.003);
}

TEST(ProtocolTest, NonFiniteLossIsNullOnTheWireAndNanWhenRead) {
  std::string line = FormatMetricLine({"train", 3, std::nan(""), 10, 0.1});
  EXPECT_NE(line.find("\"loss\":null"), std::string::npos);
  auto parsed = ParseTrainerLine(line);
  ASSERT_TRUE(std::holds_alternative<MetricLine>(parsed));
  EXPECT_TRUE(std::isnan(std::get<MetricLine>(parsed).loss));
}

TEST(ProtocolTest, OtherLinesAreRecognisedOrExplained) {
  EXPECT_EQ(std::get<TotalStepsLine>(ParseTrainerLine(FormatTotalStepsLine(9))).total_steps, 9);
  auto artifact = std::get<ArtifactLine>(ParseTrainerLine(FormatArtifactLine("checkpoint", "/x")));
  EXPECT_EQ(artifact.path, "/x");
  EXPECT_TRUE(std::get<OtherLine>(ParseTrainerLine("step 3 loss 2.1")).error.empty());
  EXPECT_EQ(
      std::get<OtherLine>(ParseTrainerLine(R"({"split": "train", "step": -1, "loss": 1})")).error,
      "step must be an integer >= 0");
  EXPECT_EQ(std::get<OtherLine>(ParseTrainerLine("{broken")).error, "not a JSON object");
}

// A token count printed as a float is rounded; one no int64 holds, or a negative one, is refused
// (it once converted out of range: undefined behaviour the fuzzer found).
TEST(ProtocolTest, TokensAreAWholeCountThatFitsAnInteger) {
  auto whole = ParseTrainerLine(R"({"split": "train", "step": 1, "loss": 2, "tokens": 1024.0})");
  ASSERT_TRUE(std::holds_alternative<MetricLine>(whole));
  EXPECT_EQ(std::get<MetricLine>(whole).tokens, 1024);
  for (const char* tokens : {"8.19778e+22", "-5", "1e300"}) {
    const std::string line =
        std::string(R"({"split": "train", "step": 1, "loss": 2, "tokens": )") + tokens + "}";
    auto parsed = ParseTrainerLine(line);
    ASSERT_TRUE(std::holds_alternative<OtherLine>(parsed)) << tokens;
    EXPECT_EQ(std::get<OtherLine>(parsed).error, "tokens must be a number in [0, 9.2e18)");
  }
}

}  // namespace
}  // namespace mixlaw
