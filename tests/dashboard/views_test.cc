#include "dashboard/views.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "tests/dashboard/store_fixture.h"

namespace mixlaw {
namespace {

using ViewsTest = testing_support::StoreFixture;

TEST_F(ViewsTest, ASweepsViewCarriesEachRunsLatestPointOnEachSplit) {
  const int64_t id = Submit();
  Views views(store_.get(), 0);
  const int64_t trained = Train(3, 0.25, /*complete=*/false);
  auto body = views.Sweep(id);
  ASSERT_TRUE(body.ok()) << body.status();
  const nlohmann::json view = nlohmann::json::parse((*body)->json);
  EXPECT_EQ(view["version"].get<uint64_t>(), store_->version());
  EXPECT_EQ((*body)->etag, "\"v" + std::to_string(store_->version()) + "\"");
  ASSERT_EQ(view["runs"].size(), 4u);
  ASSERT_EQ(view["columns"].size(), view["runs"][0].size());
  for (const nlohmann::json& row : view["runs"]) {
    nlohmann::json run;
    for (size_t c = 0; c < row.size(); ++c) run[view["columns"][c].get<std::string>()] = row[c];
    if (run["id"] != trained) {
      EXPECT_TRUE(run["latest"].empty()) << run.dump();
      continue;
    }
    EXPECT_EQ(run["state"], "running");
    EXPECT_EQ(run["latest"]["train"][0], 3);
    EXPECT_DOUBLE_EQ(run["latest"]["train"][1].get<double>(), 3.25) << "step 3, not step 1";
    EXPECT_DOUBLE_EQ(run["latest"]["eval/additional"][1].get<double>(), 2.25);
  }
  auto points = views.RunPoints(trained);
  ASSERT_TRUE(points.ok()) << points.status();
  const nlohmann::json curve = nlohmann::json::parse((*points)->json);
  EXPECT_EQ(curve["splits"]["train"], nlohmann::json::parse("[[1, 3.75], [2, 3.5], [3, 3.25]]"));
  EXPECT_EQ(views.Sweep(99).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(ViewsTest, AViewIsReadAgainOnlyWhenTheStoreChangedAndItsRefreshIntervalPassed) {
  const int64_t id = Submit();
  Views slow(store_.get(), 60000);
  Views fast(store_.get(), 0);
  auto before_slow = slow.Sweep(id);
  auto before_fast = fast.Sweep(id);
  ASSERT_TRUE(before_slow.ok() && before_fast.ok());
  EXPECT_EQ((*fast.Sweep(id))->etag, (*before_fast)->etag) << "unchanged store, the same view";
  Train(2, 0.5, /*complete=*/true);
  EXPECT_EQ((*slow.Sweep(id))->json, (*before_slow)->json)
      << "a minute's refresh interval: the view read before the change is served";
  // Twenty times the read's own time (a millisecond, tens under a sanitizer) has passed.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  auto after = fast.Sweep(id);
  ASSERT_TRUE(after.ok());
  EXPECT_NE((*after)->etag, (*before_fast)->etag);
  EXPECT_NE((*after)->json.find("\"succeeded\""), std::string::npos) << (*after)->json;
}

TEST_F(ViewsTest, ConcurrentAskersWhileRunsTrainEachGetAWholeViewNoOlderThanTheirLast) {
  const int64_t id = Submit();
  Views views(store_.get(), 0);
  std::vector<std::thread> askers;
  std::atomic<int> bad{0};
  for (int t = 0; t < 8; ++t) {
    askers.emplace_back([&, t] {
      uint64_t last = 0;
      for (int i = 0; i < 50; ++i) {
        auto body = t % 2 == 0 ? views.Sweep(id) : views.Sweeps();
        if (!body.ok()) {
          ++bad;
          continue;
        }
        const nlohmann::json view = nlohmann::json::parse((*body)->json);
        const uint64_t version = view["version"].get<uint64_t>();
        if (t % 2 == 0 && (version < last || view["runs"].size() != 4)) ++bad;
        last = t % 2 == 0 ? version : last;
      }
    });
  }
  for (int run = 0; run < 4; ++run) Train(3, 0.1 * (run + 1), /*complete=*/true);
  for (auto& a : askers) a.join();
  EXPECT_EQ(bad.load(), 0);
  auto final_view = views.Sweep(id);
  ASSERT_TRUE(final_view.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  final_view = views.Sweep(id);
  EXPECT_NE((*final_view)->json.find("succeeded"), std::string::npos)
      << "the last read saw the end";
}

}  // namespace
}  // namespace mixlaw
