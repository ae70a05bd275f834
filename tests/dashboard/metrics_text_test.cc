#include "dashboard/metrics_text.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

namespace mixlaw {
namespace {

TEST(MetricsTextTest, TheHistogramIsCumulativeWithItsCountInTheInfBucket) {
  LatencyHistogram h;
  for (double s : {0.00005, 0.0003, 0.0003, 0.002, 3.0}) h.Observe(s);
  const LatencyHistogram::Snapshot snap = h.Read();
  EXPECT_EQ(snap.count, 5u);
  EXPECT_EQ(snap.cumulative[0], 1u) << "<= 0.1 ms";
  EXPECT_EQ(snap.cumulative[2], 3u) << "<= 0.5 ms";
  EXPECT_EQ(snap.cumulative[4], 4u) << "<= 2.5 ms";
  EXPECT_EQ(snap.cumulative[LatencyHistogram::kBoundsS.size() - 1], 4u) << "<= 1 s";
  EXPECT_EQ(snap.cumulative.back(), 5u) << "+Inf";
  EXPECT_NEAR(snap.sum_s, 3.00265, 1e-9);
}

TEST(MetricsTextTest, EverySampleLineFollowsTheTextFormatAfterItsHelpAndType) {
  ServerMetrics metrics;
  metrics.leases_granted = 7;
  metrics.points_ingested = 1234;
  metrics.write_transaction.Observe(0.004);
  StoreGauges gauges;
  gauges.runs_by_state = {{"pending", 3}, {"succeeded", 4}};
  gauges.sweeps_by_state = {{"active", 1}};
  gauges.workers_connected = 2;
  gauges.store_bytes = 4096;
  const std::string text = MetricsText(metrics, gauges);
  EXPECT_NE(text.find("mixlaw_runs{state=\"pending\"} 3\n"), std::string::npos) << text;
  EXPECT_NE(text.find("mixlaw_leases_granted_total 7\n"), std::string::npos);
  EXPECT_NE(text.find("mixlaw_points_ingested_total 1234\n"), std::string::npos);
  EXPECT_NE(text.find("mixlaw_store_write_transaction_seconds_bucket{le=\"0.005\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("mixlaw_store_write_transaction_seconds_bucket{le=\"0.0025\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find("mixlaw_store_write_transaction_seconds_count 1\n"), std::string::npos);
  const std::regex sample(R"(^[a-z_]+(\{[a-z]+="[^"]*"\})? [0-9.e+-]+$)");
  const std::regex comment(R"(^# (HELP|TYPE) ([a-z_]+) .+$)");
  std::set<std::string> typed;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_match(line, m, comment)) {
      if (m[1] == "TYPE") typed.insert(m[2]);
      continue;
    }
    ASSERT_TRUE(std::regex_match(line, sample)) << "not a sample line: " << line;
    const std::string name = line.substr(0, line.find_first_of("{ "));
    const bool declared =
        typed.count(name) > 0 ||
        typed.count(std::regex_replace(name, std::regex("_(bucket|sum|count)$"), "")) > 0;
    EXPECT_TRUE(declared) << name << " has no TYPE line before it";
  }
  EXPECT_EQ(typed.size(), 9u);
}

}  // namespace
}  // namespace mixlaw
