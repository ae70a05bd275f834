#include "common/json_fields.h"

#include <gtest/gtest.h>

namespace mixlaw {
namespace {

TEST(FieldReaderTest, CollectsEveryProblemWithItsPath) {
  nlohmann::json j = nlohmann::json::parse(R"({"a": -1, "b": "x", "c": 1.5, "extra": 1})");
  FieldReader reader("spec.json");
  reader.CheckObject(j, "", {"a", "b", "c", "d"});
  EXPECT_FALSE(reader.Number(j, "", "a", true, Bounds::Positive()).has_value());
  EXPECT_FALSE(reader.Number(j, "", "b", true).has_value());
  EXPECT_FALSE(reader.Integer(j, "", "c", true).has_value());
  EXPECT_FALSE(reader.String(j, "", "d", true).has_value());
  ASSERT_EQ(reader.problems().size(), 5u);
  EXPECT_EQ(reader.problems()[0], "spec.json: extra: unknown field (expected one of: a, b, c, d)");
  EXPECT_EQ(reader.problems()[1], "spec.json: a: -1 must be > 0");
  EXPECT_EQ(reader.problems()[2], "spec.json: b: must be a number, not string");
  EXPECT_EQ(reader.problems()[3], "spec.json: c: must be an integer, not 1.5");
  EXPECT_EQ(reader.problems()[4], "spec.json: d: is required");
}

TEST(FieldReaderTest, AcceptsExactFloatIntegersAndReportsRanges) {
  nlohmann::json j = nlohmann::json::parse(R"({"tokens": 1e6, "almr": 1.3})");
  FieldReader reader("");
  EXPECT_EQ(reader.Integer(j, "training", "tokens", true).value(), 1000000);
  EXPECT_FALSE(reader.Number(j, "grid", "almr", true, Bounds::Closed(0, 1)).has_value());
  ASSERT_EQ(reader.problems().size(), 1u);
  EXPECT_EQ(reader.problems()[0], "grid.almr: 1.3 is outside [0, 1]");
}

TEST(FormatNumberTest, IsShortAndExact) {
  EXPECT_EQ(FormatNumber(1e-4), "0.0001");
  EXPECT_EQ(FormatNumber(0.1), "0.1");
  EXPECT_EQ(FormatNumber(3e-3), "0.003");
  EXPECT_EQ(FormatNumber(70e9), "70000000000");
  EXPECT_EQ(FormatNumber(1.5e-7), "1.5e-07");
}

}  // namespace
}  // namespace mixlaw
