#include "dashboard/views.h"

#include <gtest/gtest.h>

#include <thread>

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
  const nlohmann::json view = nlohmann::json::parse(body->json);
  EXPECT_EQ(view["version"].get<uint64_t>(), store_->version());
  EXPECT_EQ(body->etag, "\"v" + std::to_string(store_->version()) + "\"");
  ASSERT_EQ(view["runs"].size(), 4u);
  for (const nlohmann::json& run : view["runs"]) {
    if (run["id"] != trained) {
      EXPECT_TRUE(run["latest"].empty()) << run.dump();
      continue;
    }
    EXPECT_EQ(run["state"], "running");
    EXPECT_EQ(run["latest"]["train"]["step"], 3);
    EXPECT_DOUBLE_EQ(run["latest"]["train"]["loss"].get<double>(), 3.25) << "step 3, not step 1";
    EXPECT_DOUBLE_EQ(run["latest"]["eval/additional"]["loss"].get<double>(), 2.25);
  }
  auto points = views.RunPoints(trained);
  ASSERT_TRUE(points.ok()) << points.status();
  const nlohmann::json curve = nlohmann::json::parse(points->json);
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
  EXPECT_EQ(fast.Sweep(id)->etag, before_fast->etag) << "unchanged store, the same view";
  Train(2, 0.5, /*complete=*/true);
  EXPECT_EQ(slow.Sweep(id)->json, before_slow->json)
      << "a minute's refresh interval: the view read before the change is served";
  auto after = fast.Sweep(id);
  ASSERT_TRUE(after.ok());
  EXPECT_NE(after->etag, before_fast->etag);
  EXPECT_NE(after->json.find("\"succeeded\""), std::string::npos) << after->json;
}

}  // namespace
}  // namespace mixlaw
