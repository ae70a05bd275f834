#include "dashboard/fit_view.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/dashboard/store_fixture.h"

namespace mixlaw {
namespace {

using FitViewTest = testing_support::StoreFixture;

// Polls the view until a fit has ended and none is in progress (30 s at most).
nlohmann::json Settled(FitView& view, int64_t id) {
  nlohmann::json j;
  for (int i = 0; i < 300; ++i) {
    auto got = view.Get(id, false);
    EXPECT_TRUE(got.ok()) << got.status();
    if (!got.ok()) return j;
    j = *got;
    if (j["state"] != "fitting" && j["state"] != "waiting") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return j;
}

TEST_F(FitViewTest, AFitStartsOnceASizesRunsHaveAllEndedAndAgainOnlyWhenAsked) {
  const int64_t id = Submit();
  FitOptions options;
  options.bootstrap = 0;
  FitView view(store_.get(), options);
  EXPECT_EQ(view.Get(77, false).status().code(), absl::StatusCode::kNotFound);
  Train(4, 0.1, true);
  Train(4, 0.2, true);
  const int64_t running = Train(4, 0.3, false);  // still training: its size has not finished
  auto waiting = view.Get(id, /*refit=*/true);
  ASSERT_TRUE(waiting.ok()) << waiting.status();
  EXPECT_EQ((*waiting)["state"], "waiting") << "no size finished: nothing to fit, even when asked";
  EXPECT_TRUE((*waiting)["finished_sizes"].empty());

  Train(4, 0.4, true);
  Complete(running);
  const nlohmann::json first = Settled(view, id);
  EXPECT_EQ(first["finished_sizes"], nlohmann::json({1e6}));
  EXPECT_EQ(first["fitted_sizes"], nlohmann::json({1e6}));
  ASSERT_TRUE(first["state"] == "ready" || first["state"] == "failed") << first.dump();
  const int64_t fitted_at = first["fitted_unix_ms"].get<int64_t>();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(Settled(view, id)["fitted_unix_ms"].get<int64_t>(), fitted_at)
      << "nothing finished since: the fit is not repeated";
  auto asked = view.Get(id, /*refit=*/true);
  ASSERT_TRUE(asked.ok());
  EXPECT_EQ((*asked)["state"], "fitting");
  EXPECT_GT(Settled(view, id)["fitted_unix_ms"].get<int64_t>(), fitted_at);
}

}  // namespace
}  // namespace mixlaw
