// `mixlaw study run` as a user drives it: the adaptive study of examples/ on the synthetic
// trainer, through the embedded orchestrator and real trainer processes, SIGKILLed in its second
// round and run again.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cmath>
#include <map>
#include <sstream>
#include <thread>

#include "orchestrator/store.h"
#include "tests/e2e/cluster.h"
#include "tests/study/early_stop_study.h"
#include "trainer/synthetic_trainer.h"

namespace mixlaw {
namespace {

using testing_support::Mixlaw;
using testing_support::Result;
using testing_support::TestDir;
using testing_support::WriteFile;

// Two rounds with few resamples: the command's files, its JSON and its report, quickly (this one
// also runs in the sanitized build).
TEST(StudyE2ETest, TwoRoundsWriteTheirSpecsTheStudyAndItsReport) {
  const auto dir = TestDir();
  std::ifstream example(std::string(MIXLAW_SOURCE_DIR) + "/examples/study-synthetic.json");
  nlohmann::json spec = nlohmann::json::parse(example);
  spec["bootstrap"] = 20;
  spec["stop"]["max_rounds"] = 2;
  const std::string file = WriteFile(dir / "two.json", spec.dump());
  const std::string work = (dir / "two").string();
  Result run = Mixlaw({"study", "run", file, "--dir", work, "--workers", "2"});
  ASSERT_EQ(run.status.code, 0) << run.err;
  const std::string out = run.Out();
  EXPECT_NE(out.find("study study-synthetic (adaptive): the stop rule's 2 rounds are done"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("recommended at 40M: ALMR "), std::string::npos) << out;
  std::ifstream file_json(dir / "two" / "study.json");
  const nlohmann::json study = nlohmann::json::parse(file_json);
  ASSERT_EQ(study["rounds"].size(), 2u);
  EXPECT_EQ(study["rounds"][0]["runs"].size(), 18u);
  EXPECT_FALSE(study["converged"]);
  for (const char* round : {"study-synthetic-r1.json", "study-synthetic-r2.json"}) {
    std::ifstream in(dir / "two" / "rounds" / round);
    const nlohmann::json r = nlohmann::json::parse(in);
    EXPECT_EQ(r["study"]["name"], "study-synthetic") << round;
  }
  std::ifstream r2(dir / "two" / "rounds" / "study-synthetic-r2.json");
  EXPECT_TRUE(nlohmann::json::parse(r2).contains("init_checkpoints"))
      << "round 2 starts from round 1's pretraining";
  std::ifstream page(dir / "two" / "report" / "report.md");
  std::stringstream md;
  md << page.rdbuf();
  EXPECT_NE(md.str().find("\n## Study\n"), std::string::npos);
}

TEST(StudyE2ETest, AnAdaptiveStudySurvivesSigkillAndFindsThePlantedLrForAThirdOfTheGrid) {
  const auto dir = TestDir();
  const std::string spec = std::string(MIXLAW_SOURCE_DIR) + "/examples/study-synthetic.json";
  const std::string work = (dir / "st").string();
  SpawnOptions options;
  options.argv = {MIXLAW_BINARY, "study", "run", spec, "--dir", work, "--workers", "2"};
  auto first = ChildProcess::Spawn(options);
  ASSERT_TRUE(first.ok()) << first.status();
  const auto round2 = dir / "st" / "rounds" / "study-synthetic-r2.json";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  std::vector<std::string> lines;
  while (!std::filesystem::exists(round2) && std::chrono::steady_clock::now() < deadline &&
         !(*first)->TryWait().has_value()) {
    (*first)->Poll(100, &lines);
  }
  ASSERT_TRUE(std::filesystem::exists(round2)) << (*first)->stderr_tail();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // into the round's sweep
  (*first)->Signal(SIGKILL);
  (*first)->Wait(&lines);

  Result second = Mixlaw({"study", "run", spec, "--dir", work, "--workers", "2", "--json"});
  ASSERT_EQ(second.status.code, 0) << second.err;
  const std::string out = second.Out();
  const nlohmann::json study = nlohmann::json::parse(out);
  std::ifstream file(dir / "st" / "study.json");
  EXPECT_EQ(study, nlohmann::json::parse(file));
  EXPECT_NE(second.err.find("resuming sweep"), std::string::npos)
      << "round 1 and 2 from the store:\n"
      << second.err;
  EXPECT_LE(study["spent_fraction"].get<double>(), 1.0 / 3.0) << study["stop_reason"];
  const double planted = PlantedOptimum(DefaultSyntheticConfig(), 4e7, 0.1, 0.75).lr;
  const double lr = study["recommendation"]["lr"].get<double>();
  EXPECT_LE(std::fabs(std::log(lr / planted)), std::log(1.1)) << lr << " against " << planted;
  // Every round is a sweep of the study's store, each of its runs trained once.
  const size_t rounds = study["rounds"].size();
  ASSERT_GE(rounds, 2u);
  Result check = Mixlaw({"db", "check", "--db", work + "/study.db", "--json"});
  ASSERT_EQ(check.status.code, 0) << check.err << check.Out();
  const nlohmann::json store = nlohmann::json::parse(check.Out());
  EXPECT_EQ(store["sweeps"], rounds) << store.dump(2);
  EXPECT_TRUE(store["problems"].empty()) << store.dump(2);
  size_t cpt = 0;
  for (const nlohmann::json& r : study["rounds"]) cpt += r["runs"].size();
  EXPECT_EQ(study["runs_trained"], cpt);
  EXPECT_EQ(store["runs"].get<size_t>(), cpt + 3)
      << "and round 1's three pretraining runs, which later rounds start from";
  for (size_t k = 0; k < rounds; ++k) {
    EXPECT_TRUE(std::filesystem::exists(dir / "st" / "rounds" /
                                        ("study-synthetic-r" + std::to_string(k + 1) + ".json")));
  }

  // The report of the last fit, with the study's rounds and their reasons.
  std::ifstream page(dir / "st" / "report" / "report.html");
  std::stringstream html;
  html << page.rdbuf();
  EXPECT_NE(html.str().find("<section id=\"study\""), std::string::npos);
  EXPECT_NE(html.str().find("the runs that most narrow the target"), std::string::npos)
      << "round 2's reason";

  // Run once more: nothing left to train, the same outcome.
  Result third = Mixlaw({"study", "run", spec, "--dir", work, "--workers", "2", "--json"});
  ASSERT_EQ(third.status.code, 0) << third.err;
  const nlohmann::json again = nlohmann::json::parse(third.Out());
  EXPECT_EQ(again["rounds"].size(), rounds);
  EXPECT_EQ(again["recommendation"]["lr"], study["recommendation"]["lr"]);

  Result refused = Mixlaw({"study", "run", WriteFile(dir / "bad.json", R"({"name": "x"})")});
  EXPECT_EQ(refused.status.code, 2);
  EXPECT_NE(refused.err.find("proxies: is required"), std::string::npos) << refused.err;
}

// Early stopping on real trainer processes: the whole grid of three sizes, two ALMRs and five
// LRs, its curves read while they train. Runs far from their group's best are stopped through the
// orchestrator with their reason (the store says stopped), none is the group's planted best, each
// costs only what it trained, and the study, its JSON and its report say so.
TEST(StudyE2ETest, EarlyStoppingStopsFarRunsThroughTheOrchestratorAndSpendsLess) {
  const auto dir = TestDir();
  const std::string file = WriteFile(dir / "es.json", EarlyStopStudy().dump());
  const std::string work = (dir / "es").string();
  // Heartbeats every half second (a quarter of the lease timeout): a stop reaches its trainer
  // well before the run's end.
  Result run = Mixlaw(
      {"study", "run", file, "--dir", work, "--workers", "2", "--lease-timeout", "2", "--json"});
  ASSERT_EQ(run.status.code, 0) << run.err;
  const nlohmann::json study = nlohmann::json::parse(run.Out());
  ASSERT_EQ(study["rounds"].size(), 1u);
  const nlohmann::json& stopped = study["rounds"][0]["stopped"];
  ASSERT_GE(stopped.size(), 1u) << run.err;
  EXPECT_EQ(study["runs_stopped"], stopped.size());
  EXPECT_EQ(study["runs_trained"].get<size_t>() + stopped.size(), 30u);

  // The store: each stopped run ended stopped, with the reason the study gave and its points.
  auto store = Store::Open(work + "/study.db");
  ASSERT_TRUE(store.ok()) << store.status();
  std::map<std::string, v1::Run> runs;
  const std::vector<v1::Run> listed = (*store)->ListRuns(1).value();
  for (const v1::Run& r : listed) runs[r.name()] = r;
  const SyntheticConfig law = DefaultSyntheticConfig();
  double saved = 0, grid = 0;
  for (const auto& [name, r] : runs) {
    if (r.stage() == "cpt") grid += 6.0 * r.params() * static_cast<double>(r.tokens());
  }
  for (const nlohmann::json& st : stopped) {
    const std::string name = st["run"];
    ASSERT_EQ(runs.count(name), 1u) << name;
    const v1::Run& r = runs[name];
    EXPECT_EQ(r.state(), v1::RUN_STATE_STOPPED) << name;
    EXPECT_EQ(r.failure_reason(), st["reason"].get<std::string>());
    EXPECT_NE(r.failure_reason().find("above the group's best"), std::string::npos)
        << r.failure_reason();
    const double fraction = st["trained_fraction"];
    EXPECT_GE(fraction, 0.3) << name;
    // On a loaded machine a stop can reach the trainer after its last step and before it reports
    // the run's end: the run is stopped having trained all of it.
    EXPECT_LE(fraction, 1.0) << name;
    EXPECT_GE((*store)->RunPoints(r.id()).value().size(), 6u) << "its evaluations are kept";
    saved += (1.0 - fraction) * 6.0 * r.params() * static_cast<double>(r.tokens());
    // Never the planted best of its group (its size and ALMR, the grid's five LRs).
    double best_lr = 0, best = HUGE_VAL;
    for (const auto& [other, o] : runs) {
      if (o.stage() != "cpt" || o.params() != r.params() || o.almr() != r.almr()) continue;
      const double value = law.additional.FinalLoss(o.almr(), o.peak_lr(), o.params()) +
                           law.base.FinalLoss(o.almr(), o.peak_lr(), o.params());
      if (value < best) best = value, best_lr = o.peak_lr();
    }
    if (r.peak_lr() == best_lr) {
      std::string curve;
      const std::vector<v1::MetricPoint> points = (*store)->RunPoints(r.id()).value();
      for (const v1::MetricPoint& p : points) {
        curve += absl::StrCat(" ", p.split(), "@", p.step(), "=", p.loss());
      }
      ADD_FAILURE() << name << " is its group's planted best, stopped at " << fraction << ": "
                    << r.failure_reason() << "; its points:" << curve;
    }
  }
  EXPECT_NEAR(study["spent_flops"].get<double>(), grid - saved, 1e-9 * grid)
      << "stopped runs count to their stopping step";
  EXPECT_LT(study["spent_fraction"].get<double>(), 1.0);

  std::ifstream page(dir / "es" / "report" / "report.html");
  std::stringstream html;
  html << page.rdbuf();
  EXPECT_NE(html.str().find("study-stopped"), std::string::npos) << "the report lists them";
}

}  // namespace
}  // namespace mixlaw
