// Studies side by side: the adaptive study and the whole grid (its peer, what a study without a
// design spends), each run by `mixlaw study run` on the synthetic trainer, whose law is planted
// and so known: for every seed, the compute spent, the wall time, and how far the recommended LR
// lies from the planted optimum at the target and what it costs there (regret: the criterion at
// the recommended point over its planted optimum, minus 1).
//
// With --early-stop, each design also runs with early stopping, its stopped runs left out of the
// fit ("omit"), taken at their predicted losses ("predicted"), and taken there at the weight of
// each prediction's certainty ("weighted"); their runs then last
// --step-delay-ms a step so that a curve can be read while it trains.
//
//   study_bench --spec examples/study-synthetic.json --seeds 0,1,2 --dir /tmp/sb > study.json
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/child_process.h"
#include "nlohmann/json.hpp"
#include "trainer/synthetic_trainer.h"

namespace mixlaw {
namespace {

nlohmann::json ReadJson(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

// L_additional + W L_base of the planted law.
double Criterion(const SyntheticConfig& law, double almr, double lr, double params, double w) {
  return law.additional.FinalLoss(almr, lr, params) + w * law.base.FinalLoss(almr, lr, params);
}

int Main(int argc, char** argv) {
  CLI::App app{"The adaptive study beside the whole grid on the synthetic trainer"};
  std::string spec_path, dir = "/tmp/study-bench", mixlaw = MIXLAW_BINARY;
  std::vector<int> seeds = {0, 1, 2};
  int workers = 2;
  bool early_stop = false;
  int step_delay_ms = 20;
  std::vector<std::string> designs = {"grid", "adaptive"};
  std::vector<std::string> fits = {"omit", "predicted", "weighted"};
  app.add_option("--spec", spec_path, "A study spec on the synthetic trainer")->required();
  app.add_flag(
      "--early-stop", early_stop,
      "Also run each design with early stopping (stopped runs omitted, predicted, weighted)");
  app.add_option(
         "--step-delay-ms", step_delay_ms,
         "With --early-stop: the synthetic trainer's sleep a step, in the studies that stop")
      ->capture_default_str();
  app.add_option("--designs", designs, "The designs to run, each per seed")
      ->delimiter(',')
      ->check(CLI::IsMember({"grid", "adaptive"}));
  app.add_option("--fits", fits, "With --early-stop: the early_stop.fit of the studies that stop")
      ->delimiter(',')
      ->check(CLI::IsMember({"omit", "predicted", "weighted"}));
  app.add_option("--seeds", seeds,
                 "Studies: each shifts the proxies' seeds by itself times their count, one study "
                 "per design")
      ->delimiter(',');
  app.add_option("--dir", dir, "Working directory (emptied first)");
  app.add_option("--workers", workers, "Concurrent trainers");
  app.add_option("--mixlaw", mixlaw, "The mixlaw binary");
  CLI11_PARSE(app, argc, argv);

  const std::filesystem::path spec_file = std::filesystem::absolute(spec_path);
  nlohmann::json base = ReadJson(spec_file);
  if (base["proxies"].is_string()) {
    base["proxies"] = ReadJson(spec_file.parent_path() / base["proxies"].get<std::string>());
  }
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const SyntheticConfig law = DefaultSyntheticConfig();
  const double weight = base.contains("criterion") ? base["criterion"].value("weight", 1.0) : 1.0;
  const double target = base["target"]["params"].get<double>();

  nlohmann::json results = nlohmann::json::array();
  std::cerr << absl::StrFormat("%-24s %4s %7s %5s %7s %8s %10s %10s %8s  %s\n", "study", "seed",
                               "rounds", "runs", "stopped", "of grid", "LR factor", "regret",
                               "wall s", "why it ended");
  struct Variant {
    const char* design;
    const char* early_stop;  // "": off, else the early_stop.fit
  };
  std::vector<Variant> variants;  // each design without stopping, then with each fit
  for (const std::string& d : designs) {
    variants.push_back({d.c_str(), ""});
    if (!early_stop) continue;
    for (const std::string& f : fits) variants.push_back({d.c_str(), f.c_str()});
  }
  for (int seed : seeds) {
    for (const Variant& variant : variants) {
      const char* design = variant.design;
      const std::string label = *variant.early_stop == '\0'
                                    ? std::string(design)
                                    : absl::StrCat(design, "+stop/", variant.early_stop);
      nlohmann::json spec = base;
      spec["name"] = absl::StrFormat("bench-%s%s%s-s%d", design, *variant.early_stop ? "-" : "",
                                     variant.early_stop, seed);
      spec["design"] = design;
      const bool stops = *variant.early_stop != '\0';
      // Early stopping reads a curve of a few evaluations at least; every variant evaluates as
      // often, so that they differ in the stopping alone.
      if (early_stop) spec["proxies"]["training"]["eval_every"] = 4;
      if (stops) {
        // Runs that last, and heartbeats every half second, so that a stop reaches its trainer
        // before the run ends; the time does not change what a run that is not stopped reports.
        spec["proxies"]["trainer"]["synthetic"]["step_delay_ms"] = step_delay_ms;
        spec["early_stop"] = {{"fit", variant.early_stop}, {"check_every_s", 0.25}};
      }
      // The spec's seeds shifted: seed 0 keeps them, seed 1 takes the next as many, and so on.
      const nlohmann::json given = base["proxies"].value("seeds", nlohmann::json::array({0}));
      nlohmann::json shifted = nlohmann::json::array();
      for (const nlohmann::json& g : given) {
        shifted.push_back(g.get<int>() + seed * static_cast<int>(given.size()));
      }
      spec["proxies"]["seeds"] = shifted;
      const std::filesystem::path work =
          std::filesystem::path(dir) / spec["name"].get<std::string>();
      std::filesystem::create_directories(work);
      const std::string file = (work / "study-spec.json").string();
      std::ofstream(file) << spec.dump(2);
      SpawnOptions options;
      options.argv = {mixlaw,      "study",
                      "run",       file,
                      "--dir",     (work / "run").string(),
                      "--workers", std::to_string(workers),
                      "--seed",    std::to_string(seed + 1)};
      if (stops) options.argv.insert(options.argv.end(), {"--lease-timeout", "2"});
      const auto start = std::chrono::steady_clock::now();
      auto child = ChildProcess::Spawn(options);
      if (!child.ok()) {
        std::cerr << child.status() << "\n";
        return 1;
      }
      std::vector<std::string> lines;
      const ExitStatus status = (*child)->Wait(&lines);
      const double wall =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (!status.exited || status.code != 0) {
        std::cerr << design << " seed " << seed << ": " << status.Describe() << "\n"
                  << (*child)->stderr_tail() << "\n";
        return 1;
      }
      const nlohmann::json study = ReadJson(work / "run" / "study.json");
      const nlohmann::json& rec = study["recommendation"];
      const auto& almrs = spec["proxies"]["grid"]["almr"];
      const SyntheticOptimum truth = PlantedOptimum(law, target, almrs.front().get<double>(),
                                                    almrs.back().get<double>(), weight);
      const double almr = rec["almr"].get<double>(), lr = rec["lr"].get<double>();
      const double factor = std::exp(std::fabs(std::log(lr / truth.lr)));
      const double regret = Criterion(law, almr, lr, target, weight) / truth.value - 1.0;
      const double fraction = study["spent_fraction"].get<double>();
      results.push_back({{"design", design},
                         {"early_stop", variant.early_stop},
                         {"seed", seed},
                         {"rounds", study["rounds"].size()},
                         {"runs", study["runs_trained"]},
                         {"runs_stopped", study["runs_stopped"]},
                         {"spent_flops", study["spent_flops"]},
                         {"spent_fraction", fraction},
                         {"converged", study["converged"]},
                         {"stop_reason", study["stop_reason"]},
                         {"lr", lr},
                         {"almr", almr},
                         {"lr_interval", rec["lr_interval"]},
                         {"planted_lr", truth.lr},
                         {"planted_almr", truth.almr},
                         {"lr_factor", factor},
                         {"regret", regret},
                         {"wall_s", wall}});
      std::cerr << absl::StrFormat("%-24s %4d %7d %5d %7d %7.1f%% %10.3f %9.4f%% %8.1f  %s\n",
                                   label, seed, static_cast<int>(study["rounds"].size()),
                                   study["runs_trained"].get<int>(),
                                   study["runs_stopped"].get<int>(), 100 * fraction, factor,
                                   100 * regret, wall, study["stop_reason"].get<std::string>());
    }
  }
  std::cout
      << nlohmann::json{{"spec", spec_path}, {"target_params", target}, {"runs", results}}.dump(2)
      << "\n";
  return 0;
}

}  // namespace
}  // namespace mixlaw

int main(int argc, char** argv) { return mixlaw::Main(argc, argv); }
