// The mixlaw command line as a user drives it: exit codes, refusals that name the problem,
// CSV and JSON out, the embedded sweep and its resume, and an external trainer from examples/.
#include <gtest/gtest.h>

#include "tests/e2e/cluster.h"
#include "trainer/protocol.h"

namespace mixlaw {
namespace {

using testing_support::Cluster;
using testing_support::Mixlaw;
using testing_support::Result;
using testing_support::SyntheticPoints;
using testing_support::SyntheticSpec;
using testing_support::TestDir;
using testing_support::WriteFile;

TEST(CliE2ETest, BadSpecIsRefusedWithItsPathsAndNothingIsStored) {
  auto dir = TestDir();
  Cluster cluster(dir);
  cluster.StartServer();
  auto spec = SyntheticSpec("bad", {0.1, 1.3}, {1e-3, -1e-4}, 10, 0);
  spec["unknown"] = true;
  std::string path = WriteFile(dir / "bad.json", spec.dump(2));
  Result r = Mixlaw({"sweep", "submit", path, "--orchestrator", cluster.address()});
  EXPECT_EQ(r.status.code, 2) << r.err;
  EXPECT_NE(r.err.find(path + ": grid.almr[1]: 1.3 is outside [0, 1]"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(path + ": grid.lr[1]: -0.0001 must be > 0"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(path + ": unknown: unknown field"), std::string::npos) << r.err;
  Result list = Mixlaw({"sweep", "list", "--json", "--orchestrator", cluster.address()});
  ASSERT_EQ(list.status.code, 0) << list.err;
  EXPECT_EQ(nlohmann::json::parse(list.Out()).size(), 0u);
  // The embedded sweep refuses it the same way, before any store file exists.
  const std::filesystem::path db = dir / "never.db";
  Result run = Mixlaw({"sweep", "run", path, "--db", db.string()});
  EXPECT_EQ(run.status.code, 2) << run.err;
  EXPECT_NE(run.err.find(path + ": grid.almr[1]: 1.3 is outside [0, 1]"), std::string::npos)
      << run.err;
  EXPECT_FALSE(std::filesystem::exists(db)) << "a refused spec creates no store";
}

TEST(CliE2ETest, SubmitWatchStatusAndExportAsAUserWould) {
  auto dir = TestDir();
  Cluster cluster(dir);
  cluster.StartServer();
  cluster.StartWorker();
  cluster.StartWorker();
  std::string spec =
      WriteFile(dir / "s.json", SyntheticSpec("cli", {0.1, 0.5}, {1e-3, 1e-2}, 20, 5).dump());
  Result submit = Mixlaw({"sweep", "submit", spec, "--orchestrator", cluster.address()});
  ASSERT_EQ(submit.status.code, 0) << submit.err;
  ASSERT_EQ(submit.out.size(), 1u);
  std::string id = submit.out[0];
  EXPECT_EQ(id, "1");

  Result watch = Mixlaw({"sweep", "watch", id, "--orchestrator", cluster.address()});
  EXPECT_EQ(watch.status.code, 0) << watch.err;
  EXPECT_NE(watch.Out().find("4 succeeded"), std::string::npos) << watch.Out();

  Result status = Mixlaw({"sweep", "status", id, "--json", "--orchestrator", cluster.address()});
  ASSERT_EQ(status.status.code, 0);
  auto j = nlohmann::json::parse(status.Out());
  EXPECT_EQ(j["state"], "finished");
  EXPECT_EQ(j["counts"]["succeeded"], 4);
  EXPECT_EQ(j["runs"].size(), 4u);

  Result runs =
      Mixlaw({"sweep", "export", id, "--format", "csv", "--orchestrator", cluster.address()});
  ASSERT_EQ(runs.status.code, 0) << runs.err;
  ASSERT_EQ(runs.out.size(), 5u);
  EXPECT_EQ(runs.out[0],
            "run_id,sweep_id,name,stage,model,params,almr,peak_lr,seed,tokens,state,attempts,"
            "failure_reason,final_eval/additional,final_eval/base");
  EXPECT_NE(
      runs.out[1].find("s1/almr0.1/lr0.001/seed0,cpt,s1,1000000,0.1,0.001,0,40960,succeeded,1,"),
      std::string::npos)
      << runs.out[1];

  std::string points_file = (dir / "points.csv").string();
  Result points = Mixlaw({"sweep", "export", id, "--table", "points", "-o", points_file,
                          "--orchestrator", cluster.address()});
  ASSERT_EQ(points.status.code, 0) << points.err;
  std::ifstream in(points_file);
  int64_t lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  EXPECT_EQ(lines, 1 + 4 * SyntheticPoints(20));

  Result json = Mixlaw({"sweep", "export", id, "--format", "json", "--table", "points",
                        "--orchestrator", cluster.address()});
  ASSERT_EQ(json.status.code, 0);
  EXPECT_EQ(nlohmann::json::parse(json.Out()).size(), static_cast<size_t>(4 * SyntheticPoints(20)));
}

TEST(CliE2ETest, UnreachableOrchestratorAndUnknownSweepHaveTheirExitCodes) {
  Result unreachable = Mixlaw({"sweep", "list", "--orchestrator", "127.0.0.1:1"});
  EXPECT_EQ(unreachable.status.code, 3) << unreachable.err;
  EXPECT_NE(unreachable.err.find("UNAVAILABLE"), std::string::npos) << unreachable.err;
  auto dir = TestDir();
  Cluster cluster(dir);
  cluster.StartServer();
  Result missing = Mixlaw({"sweep", "status", "42", "--orchestrator", cluster.address()});
  EXPECT_EQ(missing.status.code, 1);
  EXPECT_NE(missing.err.find("sweep 42 does not exist"), std::string::npos) << missing.err;
  Result usage = Mixlaw({"sweep", "export", "1", "--table", "everything"});
  EXPECT_EQ(usage.status.code, 2);

  // An export that fails leaves the file it would have replaced as it was.
  std::string kept = WriteFile(dir / "runs.csv", "an earlier export\n");
  Result failed =
      Mixlaw({"sweep", "export", "42", "-o", kept, "--orchestrator", cluster.address()});
  EXPECT_EQ(failed.status.code, 1) << failed.err;
  EXPECT_NE(failed.err.find("sweep 42 does not exist"), std::string::npos) << failed.err;
  std::ifstream in(kept);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "an earlier export");
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    EXPECT_EQ(entry.path().filename().string().find("runs.csv.tmp"), std::string::npos)
        << entry.path();
  }
  Result unwritable = Mixlaw({"sweep", "export", "42", "-o", (dir / "no" / "such.csv").string(),
                              "--orchestrator", cluster.address()});
  EXPECT_EQ(unwritable.status.code, 2) << unwritable.err;
  EXPECT_NE(unwritable.err.find("such.csv: cannot be written"), std::string::npos)
      << unwritable.err;
}

TEST(CliE2ETest, ExternalTrainerFromExamplesRunsInTheEmbeddedSweep) {
  auto dir = TestDir();
  std::filesystem::path example =
      std::filesystem::path(MIXLAW_SOURCE_DIR) / "examples" / "exec-trainer-sweep.json";
  Result r =
      Mixlaw({"sweep", "run", example.string(), "--db", (dir / "x.db").string(), "--json"}, dir);
  ASSERT_EQ(r.status.code, 0) << r.err;
  // The last JSON document on stdout is the result; the lines before are progress.
  auto result =
      nlohmann::json::parse(r.out.back().empty() ? r.out.end()[-2] : r.out.back(), nullptr, false);
  if (result.is_discarded()) {
    std::string all = r.Out();
    result = nlohmann::json::parse(all.substr(all.rfind("\n{\n") + 1));
  }
  EXPECT_EQ(result["counts"]["succeeded"], 4);
  EXPECT_EQ(result["counts"]["diverged"], 2) << "LR 1.0 makes the example trainer exit 3";
  for (const auto& run : result["runs"]) {
    if (run["state"] == "succeeded") {
      EXPECT_TRUE(run["final_loss"].contains("eval/additional"));
      std::string checkpoint = run["artifacts"]["checkpoint"];
      EXPECT_EQ(checkpoint.rfind((dir / "runs").string(), 0), 0u)
          << "runs go beside the store: " << checkpoint;
      EXPECT_TRUE(std::filesystem::exists(checkpoint));
    } else {
      EXPECT_NE(run["failure_reason"].get<std::string>().find("NaN"), std::string::npos);
    }
  }
}

// A run on a GPU this machine does not have fails before it reads its data, with the trainer
// protocol's usage code and what is missing; so do a device that is not one and a precision the
// device cannot train in.
TEST(CliE2ETest, TrainingOnAMissingGpuOrInAMissingPrecisionFailsAtOnceWithTheUsageCode) {
  if (std::filesystem::exists("/dev/nvidia0")) GTEST_SKIP() << "this machine has a GPU";
  auto dir = TestDir();
  nlohmann::json config = {
      {"protocol", 1},
      {"run_name", "gpu"},
      {"stage", "pretrain"},
      {"almr", 0.0},
      {"peak_lr", 1e-3},
      {"seed", 0},
      {"model",
       {{"name", "t"},
        {"dim", 32},
        {"n_layers", 1},
        {"n_heads", 4},
        {"n_kv_heads", 4},
        {"ffn_dim", 64},
        {"vocab_size", 258},
        {"max_seq_len", 64}}},
      {"data", {{"base", "/nonexistent/base"}, {"additional", "/nonexistent/additional"}}},
      {"training", {{"tokens", 4096}, {"batch_size", 4}, {"seq_len", 32}}},
      {"output_dir", (dir / "out").string()},
      {"device", "cuda"}};
  const std::string path = WriteFile(dir / "RUN.json", config.dump());
  Result r = Mixlaw({"train", "--config", path});
  EXPECT_EQ(r.status.code, kTrainerExitUsage) << r.err;
  EXPECT_NE(r.err.find("mixlaw train: device cuda: no GPU to train on ("), std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("/nonexistent"), std::string::npos) << "the device is checked first";
  r = Mixlaw({"train", "--config", path, "--device", "cuda:1"});
  EXPECT_EQ(r.status.code, kTrainerExitUsage);
  EXPECT_NE(r.err.find("device cuda:1: no GPU to train on"), std::string::npos) << r.err;
  r = Mixlaw({"train", "--config", path, "--device", "tpu"});
  EXPECT_EQ(r.status.code, kTrainerExitUsage);
  EXPECT_NE(r.err.find("'tpu' is not a device"), std::string::npos) << r.err;
  config["device"] = "cpu";
  config["training"]["precision"] = "bf16";
  WriteFile(dir / "RUN.json", config.dump());
  r = Mixlaw({"train", "--config", path});
  EXPECT_EQ(r.status.code, kTrainerExitUsage);
  EXPECT_NE(r.err.find("training.precision bf16 needs a cuda device"), std::string::npos) << r.err;
  config["training"]["precision"] = "fp16";
  WriteFile(dir / "RUN.json", config.dump());
  r = Mixlaw({"train", "--config", path});
  EXPECT_EQ(r.status.code, kTrainerExitUsage);
  EXPECT_NE(r.err.find("RUN.json: training.precision: 'fp16' is not a precision"),
            std::string::npos)
      << r.err;
  config["training"].erase("precision");
  config["device"] = "gpu";
  WriteFile(dir / "RUN.json", config.dump());
  r = Mixlaw({"train", "--config", path});
  EXPECT_EQ(r.status.code, kTrainerExitUsage);
  EXPECT_NE(r.err.find("RUN.json: device: 'gpu' is not a device"), std::string::npos) << r.err;
}

// `fit SWEEP` and `recommend SWEEP` read the runs from a store file or from the orchestrator
// serving it, fit exactly what `sweep export` gives `fit --csv`, and agree with `recommend --fit`.
TEST(CliE2ETest, FitAndRecommendReadASweepFromItsStoreOrItsOrchestrator) {
  auto dir = TestDir();
  std::filesystem::path example =
      std::filesystem::path(MIXLAW_SOURCE_DIR) / "examples" / "demo-synthetic.json";
  std::string db = (dir / "store.db").string();
  Result run = Mixlaw({"sweep", "run", example.string(), "--db", db}, dir);
  ASSERT_EQ(run.status.code, 0) << run.err;

  std::string fit_file = (dir / "fit.json").string();
  Result fit = Mixlaw({"fit", "1", "--db", db, "--no-cv", "--out", fit_file, "--json"});
  ASSERT_EQ(fit.status.code, 0) << fit.err;
  auto fitted = nlohmann::json::parse(fit.Out());
  EXPECT_EQ(fitted["data"]["runs"], 84) << "3 sizes x 4 ALMRs x 7 LRs; pretraining runs skipped";
  EXPECT_EQ(fitted["source"], "sweep 1");
  ASSERT_EQ(fitted["runs"].size(), 84u);

  // --last-evals 3: each run's loss is the mean of its last three evaluations, as exported.
  Result averaged = Mixlaw({"fit", "1", "--db", db, "--no-cv", "--last-evals", "3", "--json"});
  ASSERT_EQ(averaged.status.code, 0) << averaged.err;
  auto averaged_runs = nlohmann::json::parse(averaged.Out())["runs"];
  ASSERT_EQ(averaged_runs.size(), 84u);
  const std::string name = averaged_runs[5]["name"];

  Result from_store = Mixlaw(
      {"recommend", "1", "--db", db, "--target-params", "4e7", "--bootstrap", "20", "--json"});
  ASSERT_EQ(from_store.status.code, 0) << from_store.err;
  auto store_rec = nlohmann::json::parse(from_store.Out());
  Result from_file = Mixlaw({"recommend", "--fit", fit_file, "--target-params", "4e7", "--json"});
  ASSERT_EQ(from_file.status.code, 0) << from_file.err;
  auto file_rec = nlohmann::json::parse(from_file.Out());
  EXPECT_DOUBLE_EQ(store_rec["lr"].get<double>(), file_rec["lr"].get<double>());
  EXPECT_DOUBLE_EQ(store_rec["almr"].get<double>(), file_rec["almr"].get<double>());
  EXPECT_EQ(store_rec["bootstrap_replicates"], 20);
  EXPECT_LE(store_rec["lr_interval"][0].get<double>(), store_rec["lr"].get<double>());
  EXPECT_GE(store_rec["lr_interval"][1].get<double>(), store_rec["lr"].get<double>());
  EXPECT_EQ(store_rec["fit"]["runs"], 84);
  EXPECT_EQ(store_rec["fit"]["runs_above_best"], 0) << "the spec sets no fit.max_lr_over_best";

  // --max-lr-over-best 2: the runs above twice their group's best LR are counted, not fitted.
  Result cliff = Mixlaw({"recommend", "1", "--db", db, "--target-params", "4e7", "--bootstrap",
                         "20", "--max-lr-over-best", "2", "--json"});
  ASSERT_EQ(cliff.status.code, 0) << cliff.err;
  auto cliff_rec = nlohmann::json::parse(cliff.Out());
  EXPECT_EQ(cliff_rec["fit"]["max_lr_over_best"], 2);
  EXPECT_GT(cliff_rec["fit"]["runs_above_best"].get<int>(), 0);
  EXPECT_EQ(cliff_rec["fit"]["runs"].get<int>() + cliff_rec["fit"]["runs_above_best"].get<int>(),
            84);
  Result cliff_fit =
      Mixlaw({"recommend", "--fit", fit_file, "--target-params", "4e7", "--max-lr-over-best", "2"});
  EXPECT_EQ(cliff_fit.status.code, 2);
  EXPECT_NE(cliff_fit.err.find("--max-lr-over-best needs a sweep"), std::string::npos)
      << cliff_fit.err;
  Result cliff_bad = Mixlaw({"recommend", "1", "--db", db, "--max-lr-over-best", "0.5"});
  EXPECT_EQ(cliff_bad.status.code, 2);
  EXPECT_NE(cliff_bad.err.find("0 (every run) or a factor above 1"), std::string::npos)
      << cliff_bad.err;

  Cluster cluster(dir);
  cluster.StartServer();
  Result points = Mixlaw({"sweep", "export", "1", "--table", "points", "--format", "json",
                          "--orchestrator", cluster.address()});
  ASSERT_EQ(points.status.code, 0) << points.err;
  std::vector<double> evals;  // in step order
  for (const auto& p : nlohmann::json::parse(points.Out())) {
    if (p["run"] == name && p["split"] == "eval/additional") evals.push_back(p["loss"]);
  }
  ASSERT_GE(evals.size(), 3u);
  const double mean = (evals.end()[-1] + evals.end()[-2] + evals.end()[-3]) / 3;
  EXPECT_NEAR(averaged_runs[5]["final_loss"]["eval/additional"].get<double>(), mean, 1e-12);
  EXPECT_DOUBLE_EQ(fitted["runs"][5]["final_loss"]["eval/additional"].get<double>(), evals.back());
  EXPECT_NE(evals.back(), mean) << "the synthetic trainer's evaluations are noisy";

  Result busy = Mixlaw({"recommend", "1", "--db", db, "--target-params", "4e7"});
  EXPECT_EQ(busy.status.code, 1) << "the store is in use by the orchestrator";
  EXPECT_NE(busy.err.find("in use"), std::string::npos) << busy.err;
  Result served = Mixlaw({"recommend", "1", "--orchestrator", cluster.address(), "--target-params",
                          "4e7", "--bootstrap", "20", "--json"});
  ASSERT_EQ(served.status.code, 0) << served.err;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(served.Out())["lr"].get<double>(),
                   store_rec["lr"].get<double>());
  Result missing =
      Mixlaw({"recommend", "9", "--orchestrator", cluster.address(), "--target-params", "4e7"});
  EXPECT_EQ(missing.status.code, 1);
  EXPECT_NE(missing.err.find("sweep 9 does not exist"), std::string::npos) << missing.err;
  Result both = Mixlaw({"recommend", "1", "--fit", fit_file, "--target-params", "4e7"});
  EXPECT_EQ(both.status.code, 2) << both.err;
  // The spec's fit.target_params (4e7) is the default target with a sweep, and required with --fit.
  Result from_spec = Mixlaw(
      {"recommend", "1", "--orchestrator", cluster.address(), "--bootstrap", "20", "--json"});
  ASSERT_EQ(from_spec.status.code, 0) << from_spec.err;
  EXPECT_EQ(nlohmann::json::parse(from_spec.Out())["target_params"], 4e7);
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(from_spec.Out())["lr"].get<double>(),
                   store_rec["lr"].get<double>());
  Result no_target = Mixlaw({"recommend", "--fit", fit_file});
  EXPECT_EQ(no_target.status.code, 2);
  EXPECT_NE(no_target.err.find("--target-params"), std::string::npos) << no_target.err;
}

// The whole study on the synthetic trainer: proxies, fit, a target 4 times the largest proxy
// trained at LRs around the prediction, the comparison with direct transfer; again resumes.
TEST(CliE2ETest, SyntheticDemoChecksItsPredictionAtAHeldOutSizeAndResumes) {
  auto dir = TestDir();
  Result first = Mixlaw({"demo", "--preset", "synthetic", "--dir", (dir / "d").string(),
                         "--bootstrap", "20", "--json"});
  ASSERT_EQ(first.status.code, 0) << first.err;
  const std::string out = first.Out();
  // The last JSON document is the study's outcome, as in DIR/study.json.
  auto document = nlohmann::json::parse(out.substr(out.rfind("\n{\n") + 1));
  std::ifstream study_file(dir / "d" / "study.json");
  EXPECT_EQ(document, nlohmann::json::parse(study_file));
  // The demo is a study of the whole grid, with its target check.
  EXPECT_EQ(document["design"], "grid");
  EXPECT_EQ(document["spent_fraction"], 1.0);
  EXPECT_EQ(document["rounds"].size(), 1u);
  const nlohmann::json& study = document["target_check"];
  EXPECT_EQ(study["target"]["params"], 4e7);
  EXPECT_EQ(study["seeds"].size(), 3u);
  EXPECT_GT(study["resamples"].get<int>(), 1000) << "three seeds: intervals from resamples";
  EXPECT_TRUE(study["measured"]["bracketed"]);
  EXPECT_EQ(study["split"], "criterion") << "the check measures what the recommendation minimises";
  // The synthetic trainer draws from the coupling law itself: the law must find its optimum, and
  // its regret must be resolved as small, below the direct transfer's.
  EXPECT_EQ(study["goals"]["lr_factor"]["verdict"], "met") << study.dump(2);
  EXPECT_EQ(study["goals"]["regret"]["verdict"], "met") << study.dump(2);
  EXPECT_EQ(study["goals"]["below_direct_transfer"]["verdict"], "met") << study.dump(2);
  EXPECT_NEAR(study["law"]["lr_over_measured"]["value"].get<double>(), 1.0, 0.25) << study.dump(2);
  const nlohmann::json& regret = study["law"]["regret"];
  EXPECT_LE(regret["interval"][0].get<double>(), regret["value"].get<double>());
  EXPECT_GE(regret["interval"][1].get<double>(), regret["value"].get<double>());
  EXPECT_EQ(study["law"]["regret_by_seed"].size(), 3u);
  EXPECT_NE(out.find("sweep 1 (demo-synthetic-r1): 87 succeeded"), std::string::npos) << out;
  EXPECT_NE(out.find("(40M parameters, 4.0x the largest proxy)"), std::string::npos) << out;
  EXPECT_NE(out.find("direct transfer"), std::string::npos) << out;
  EXPECT_NE(out.find("the law's regret at most 0.1%: met"), std::string::npos) << out;

  std::ifstream target_file(dir / "d" / "rounds" / "demo-synthetic-target.json");
  auto target = nlohmann::json::parse(target_file);
  ASSERT_EQ(target["grid"]["almr"].size(), 1u);
  std::vector<double> lrs = target["grid"]["lr"];
  ASSERT_GE(lrs.size(), 5u);
  for (size_t i = 1; i < lrs.size(); ++i) EXPECT_LE(lrs[i] / lrs[i - 1], 1.41) << i;
  EXPECT_EQ(target["models"][0]["params"], 4e7);
  EXPECT_TRUE(std::filesystem::exists(dir / "d" / "fit.json"));
  // The ALMR check trains in the same sweep: the swept ALMRs either side, at the law's LR.
  ASSERT_EQ(target["points"].size(), 2u) << target.dump(2);
  for (const auto& p : target["points"]) {
    EXPECT_EQ(p["lr"], study["almr_check"]["lr"]);
    EXPECT_NE(p["almr"], study["almr"]);
  }
  ASSERT_EQ(study["almr_check"]["neighbours"].size(), 2u) << study.dump(2);
  EXPECT_EQ(study["sweeps"].size(), 1u) << "one base model, one sweep";
  // 3 seeds per LR and per ALMR point plus the pretraining run, all succeeded.
  const std::string expected =
      "sweep 2 (demo-synthetic-target): " + std::to_string(3 * (lrs.size() + 2) + 1) + " succeeded";
  EXPECT_NE(out.find(expected), std::string::npos) << out;
  EXPECT_TRUE(std::filesystem::exists(dir / "d" / "report" / "report.html"));

  Result again =
      Mixlaw({"demo", "--preset", "synthetic", "--dir", (dir / "d").string(), "--bootstrap", "20"});
  ASSERT_EQ(again.status.code, 0) << again.err;
  EXPECT_NE(again.err.find("resumed sweep 2"), std::string::npos) << again.err;
  auto comparison = [](const std::string& text) {
    const size_t from = text.find("At the held-out");
    return text.substr(from, text.find("Report:") - from);
  };
  EXPECT_EQ(comparison(again.Out()), comparison(out)) << "the same study, read back from the store";
}

// A target whose optimum lies beyond the predicted ladder (its synthetic law's optimal LR is 3.5
// times the proxies'): the demo widens the ladder in later sweeps until the optimum is bracketed.
TEST(CliE2ETest, DemoWidensTheLadderUntilTheTargetsOptimumIsBracketed) {
  auto dir = TestDir();
  std::ifstream in(std::filesystem::path(MIXLAW_SOURCE_DIR) / "examples" /
                   "demo-synthetic-target.json");
  auto target = nlohmann::json::parse(in);
  target["trainer"]["synthetic"]["additional"] = {{"c", -0.7 + std::log(3.5)}};
  target["trainer"]["synthetic"]["diverge_lr_factor"] = 0;
  std::string target_path = WriteFile(dir / "target.json", target.dump());
  std::filesystem::path proxies =
      std::filesystem::path(MIXLAW_SOURCE_DIR) / "examples" / "demo-synthetic.json";
  Result r = Mixlaw({"demo", "--preset", "synthetic", "--dir", (dir / "d").string(), "--spec",
                     proxies.string(), "--target-spec", target_path, "--bootstrap", "0", "--json"});
  ASSERT_EQ(r.status.code, 0) << r.err;
  const std::string out = r.Out();
  EXPECT_NE(out.find("widening the ladder upward (round 2)"), std::string::npos) << out;
  auto study = nlohmann::json::parse(out.substr(out.rfind("\n{\n") + 1))["target_check"];
  EXPECT_GE(study["sweeps"].size(), 2u);
  EXPECT_TRUE(study["measured"]["bracketed"]) << study.dump(2);
  EXPECT_LT(study["law"]["lr_over_measured"]["value"].get<double>(), 1 / 1.5) << study.dump(2);
  EXPECT_EQ(study["goals"]["lr_factor"]["verdict"], "not met") << study.dump(2);
}

// The demo's adaptive design: rounds of the proxy grid up to 40% of its compute, then the same
// target check, on the law's recommendation from those rounds.
TEST(CliE2ETest, AdaptiveDemoSpendsAtMostTwoFifthsOfTheGridAndChecksItsRecommendation) {
  auto dir = TestDir();
  Result r = Mixlaw({"demo", "--preset", "synthetic", "--design", "adaptive", "--dir",
                     (dir / "d").string(), "--bootstrap", "50", "--json"});
  ASSERT_EQ(r.status.code, 0) << r.err;
  const std::string out = r.Out();
  auto study = nlohmann::json::parse(out.substr(out.rfind("\n{\n") + 1));
  EXPECT_EQ(study["design"], "adaptive");
  EXPECT_LE(study["spent_fraction"].get<double>(), 0.4 + 1e-9) << study.dump(2);
  EXPECT_GE(study["rounds"].size(), 2u);
  EXPECT_LT(study["runs_trained"].get<int>(), 84);
  const nlohmann::json& check = study["target_check"];
  EXPECT_EQ(check["target"]["params"], 4e7);
  EXPECT_TRUE(check["measured"]["bracketed"]) << check.dump(2);
  EXPECT_NEAR(check["law"]["lr_over_measured"]["value"].get<double>(), 1.0, 0.25) << check.dump(2);
  EXPECT_EQ(check["goals"]["lr_factor"]["verdict"], "met") << check.dump(2);
  EXPECT_EQ(check["goals"]["below_direct_transfer"]["verdict"], "met") << check.dump(2);
  EXPECT_LE(check["law"]["regret"]["value"].get<double>(), 0.001) << check.dump(2);
  EXPECT_NE(out.find("sweep 2 (demo-synthetic-r2)"), std::string::npos) << out;
  EXPECT_NE(out.find("At the held-out target p40m"), std::string::npos) << out;
  EXPECT_TRUE(std::filesystem::exists(dir / "d" / "report" / "report.html"));
}

// A plain LR sweep from another tool (params, lr, loss: no ALMR, no second split) is fitted by
// the laws that need no mixture; one that needs a missing column is refused by name, exit 2.
TEST(CliE2ETest, FitReadsASingleLossSweep) {
  auto dir = TestDir();
  std::string csv = "params,lr,loss,seed\n";
  for (double n : {1e7, 4e7, 1.6e8}) {
    const double best = 0.5 * std::pow(n, -0.35);
    for (int k = -2; k <= 2; ++k) {
      const double x = k * std::log(1.8) + 0.1;
      csv += std::to_string(n) + "," + std::to_string(best * std::exp(x)) + "," +
             std::to_string(2.0 + 30 * std::pow(n, -0.25) + 0.05 * x * x) + ",0\n";
    }
  }
  const std::string path = WriteFile(dir / "lr-sweep.csv", csv);
  Result fit = Mixlaw({"fit", "--csv", path, "--law", "optimal-lr", "--json", "--no-cv"});
  ASSERT_EQ(fit.status.code, 0) << fit.err;
  auto j = nlohmann::json::parse(fit.Out().substr(fit.Out().find("\n{\n") + 1));
  ASSERT_EQ(j["components"].size(), 1u);
  EXPECT_EQ(j["components"][0]["split"], "loss");
  EXPECT_NEAR(j["components"][0]["parameters"][1]["value"].get<double>(), -0.35, 0.02);
  Result coupling = Mixlaw({"fit", "--csv", path, "--no-cv"});
  EXPECT_EQ(coupling.status.code, 0) << coupling.err;
  Result chinchilla = Mixlaw({"fit", "--csv", path, "--law", "chinchilla"});
  EXPECT_EQ(chinchilla.status.code, 2);
  EXPECT_NE(chinchilla.err.find(path + ": law chinchilla needs the column tokens"),
            std::string::npos)
      << chinchilla.err;
  Result mixing = Mixlaw({"fit", "--csv", path, "--law", "mixing"});
  EXPECT_EQ(mixing.status.code, 2);
  EXPECT_NE(mixing.err.find(path + ": law mixing needs the column almr, which the file lacks"),
            std::string::npos)
      << mixing.err;
}

// examples/fit-from-csv.sh: losses measured by another tool, fitted, recommended and reported.
TEST(CliE2ETest, FitFromCsvExampleWritesTheFitAndTheReport) {
  auto dir = TestDir();
  SpawnOptions options;
  options.argv = {"bash", std::string(MIXLAW_SOURCE_DIR) + "/examples/fit-from-csv.sh",
                  MIXLAW_BINARY, (dir / "out").string()};
  options.stderr_tail_bytes = 1 << 16;
  auto child = ChildProcess::Spawn(options);
  ASSERT_TRUE(child.ok());
  std::vector<std::string> lines;
  ExitStatus status = (*child)->Wait(&lines);
  ASSERT_EQ(status.code, 0) << (*child)->stderr_tail();
  std::string all;
  for (const std::string& l : lines) all += l + "\n";
  EXPECT_NE(all.find("coupling law on 48 runs"), std::string::npos) << all;
  EXPECT_NE(all.find("recommendation for 5M"), std::string::npos) << all;
  EXPECT_TRUE(std::filesystem::exists(dir / "out" / "fit.json"));
  EXPECT_TRUE(std::filesystem::exists(dir / "out" / "report" / "report.html"));
}

TEST(CliE2ETest, InterruptedEmbeddedSweepResumesFromItsStore) {
  auto dir = TestDir();
  std::string spec = WriteFile(
      dir / "s.json", SyntheticSpec("resume", {0.1, 0.25, 0.5}, {1e-3, 1e-2}, 40, 25).dump());
  std::string db = (dir / "r.db").string();
  SpawnOptions options;
  options.argv = {MIXLAW_BINARY, "sweep", "run", spec, "--db", db, "--workers", "2"};
  auto first = ChildProcess::Spawn(options);
  ASSERT_TRUE(first.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  (*first)->Signal(SIGINT);
  std::vector<std::string> lines;
  ExitStatus stopped = (*first)->Wait(&lines);
  EXPECT_EQ(stopped.code, 1) << (*first)->stderr_tail();
  EXPECT_NE((*first)->stderr_tail().find("resumes the sweep"), std::string::npos);

  Result second = Mixlaw({"sweep", "run", spec, "--db", db, "--workers", "2", "--json"});
  ASSERT_EQ(second.status.code, 0) << second.err;
  EXPECT_NE(second.err.find("resuming sweep 1"), std::string::npos) << second.err;
  std::string all = second.Out();
  auto result = nlohmann::json::parse(all.substr(all.rfind("\n{\n") + 1));
  EXPECT_EQ(result["counts"]["succeeded"], 6);
  EXPECT_EQ(result["id"], 1) << "the same sweep, not a new one";
  for (const auto& run : result["runs"]) EXPECT_EQ(run["attempts"], 1) << run.dump();
}

TEST(CliE2ETest, TlsWithTokensEndToEnd) {
  auto dir = testing_support::TestDir();
  std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  SpawnOptions openssl;
  openssl.argv = {"openssl",  "req",
                  "-x509",    "-newkey",
                  "rsa:2048", "-nodes",
                  "-keyout",  key,
                  "-out",     cert,
                  "-days",    "2",
                  "-subj",    "/CN=localhost",
                  "-addext",  "subjectAltName=IP:127.0.0.1,DNS:localhost"};
  auto made = ChildProcess::Spawn(openssl);
  ASSERT_TRUE(made.ok()) << made.status();
  std::vector<std::string> lines;
  ASSERT_EQ((*made)->Wait(&lines).code, 0) << (*made)->stderr_tail();
  std::string client = testing_support::WriteFile(dir / "c.token", "client-token-0123456789\n");
  std::string worker = testing_support::WriteFile(dir / "w.token", "worker-token-0123456789\n");
  Cluster cluster(dir);
  cluster.StartServer({"--tls-cert", cert, "--tls-key", key, "--client-token-file", client,
                       "--worker-token-file", worker});
  cluster.StartWorker(worker, {"--tls-ca", cert});
  std::string spec = testing_support::WriteFile(
      dir / "s.json", testing_support::SyntheticSpec("tls", {0.5}, {1e-3}, 10, 0).dump());
  Result plain = Mixlaw(
      {"sweep", "submit", spec, "--orchestrator", cluster.address(), "--token-file", client});
  EXPECT_EQ(plain.status.code, 3) << "a plaintext client cannot talk to a TLS server";
  Result submit = Mixlaw({"sweep", "submit", spec, "--orchestrator", cluster.address(),
                          "--token-file", client, "--tls-ca", cert});
  ASSERT_EQ(submit.status.code, 0) << submit.err;
  Result watch = Mixlaw({"sweep", "watch", submit.out.at(0), "--orchestrator", cluster.address(),
                         "--token-file", client, "--tls-ca", cert});
  EXPECT_EQ(watch.status.code, 0) << watch.err << cluster.WorkerLog(0);
  EXPECT_NE(watch.Out().find("1 succeeded"), std::string::npos) << watch.Out();
}

}  // namespace
}  // namespace mixlaw
