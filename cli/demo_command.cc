// mixlaw demo: the README's main job, a proxy-to-target study on one machine. Prepares the Debian
// English and Chinese corpora; pretrains a small English Llama per proxy size and sweeps ALMR x
// LR of continual pre-training on Chinese through the orchestrator and its workers; fits the
// coupling law and extrapolates to a target size at least 4 times the largest proxy; then trains
// the target for real around the prediction, with several seeds, and sets the law and the direct
// transfer of the largest proxy's optimum against what it measures. `--preset synthetic` runs the
// same loop on the synthetic trainer (and says so). The demo is a study (study/, `mixlaw study
// run`) built from a preset: the whole grid, or `--design adaptive`, and its target check.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/commands.h"
#include "cli/demo_spec.h"
#include "cli/embedded_study.h"
#include "cli/output.h"
#include "cli/target_output.h"
#include "common/file_io.h"
#include "common/number_format.h"
#include "study/study_spec.h"
#include "trainer/data/corpus.h"
#include "trainer/data/prepare.h"

namespace mixlaw {

namespace {

struct DemoFlags {
  std::string dir = "mixlaw-demo";
  std::string spec;
  std::string target_spec;
  std::string preset = "default";
  int workers = 0;
  std::string design = "grid";
  int bootstrap = 200;
  int64_t seed = 0;
  bool json = false;
};

// A preset's two sweep specs: the proxy sizes' grid, and the target model whose grid the demo
// fills from the fit.
struct Preset {
  const char* proxies;
  const char* target;
  bool synthetic;
  TargetGoals goals;
};

Preset PresetNamed(const std::string& name) {
  if (name == "full") return {kDemoFullSpecJson, kDemoFullTargetSpecJson, false, {0.003}};
  if (name == "synthetic") return {kDemoSyntheticSpecJson, kDemoSyntheticTargetSpecJson, true, {}};
  return {kDemoSpecJson, kDemoTargetSpecJson, false, {}};
}
// Prepares DIR/data from the Debian corpora unless it is there already.
bool PrepareDemoData(const std::filesystem::path& dir) {
  if (std::filesystem::exists(dir / "data" / "base" / "meta.json") &&
      std::filesystem::exists(dir / "data" / "additional" / "meta.json")) {
    std::cout << "  already prepared in " << (dir / "data").string() << "\n";
    return true;
  }
  std::cout << "  preparing the corpora: English fortunes, Chinese fortunes-zh; a 3072-piece BPE\n";
  PrepareOptions options;
  options.base_inputs = {kDemoInput};
  options.additional_inputs = {kDemoInput};
  options.out_dir = (dir / "data").string();
  absl::StatusOr<PrepareSummary> summary = PrepareData(options);
  if (!summary.ok()) {
    std::cerr << "mixlaw demo: " << summary.status().message() << "\n";
    return false;
  }
  std::printf("  English %lld train / %lld validation tokens, Chinese %lld / %lld\n",
              static_cast<long long>(summary->base.tokens.train),
              static_cast<long long>(summary->base.tokens.val),
              static_cast<long long>(summary->additional.tokens.train),
              static_cast<long long>(summary->additional.tokens.val));
  return true;
}

// Writes `text` to `path`; false (said on stderr) when it cannot.
bool WriteText(const std::filesystem::path& path, const std::string& text) {
  absl::Status written = WriteFileAtomically(path.string(), text);
  if (!written.ok()) std::cerr << "mixlaw demo: " << written.message() << "\n";
  return written.ok();
}

// Reads a spec given on the command line; empty (said on stderr) when it cannot.
std::string ReadText(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) std::cerr << "mixlaw demo: " << text.status().message() << "\n";
  return text.ok() ? *std::move(text) : std::string();
}

// The spec with `offset` added to each of its seeds and its pretraining seed (unchanged when it is
// not JSON: the parser then says why).
std::string ShiftSeeds(const std::string& text, int64_t offset) {
  nlohmann::json spec = nlohmann::json::parse(text, nullptr, false);
  if (!spec.is_object() || !spec.contains("seeds") || !spec["seeds"].is_array()) return text;
  for (auto& seed : spec["seeds"]) {
    if (seed.is_number_integer()) seed = seed.get<int64_t>() + offset;
  }
  if (spec.contains("pretrain") && spec["pretrain"].is_object()) {
    spec["pretrain"]["seed"] = spec["pretrain"].value("seed", int64_t{0}) + offset;
  }
  return spec.dump(2) + "\n";
}

// The best run per model and ALMR on the additional split.
void PrintBestGridPoints(const ObservationSet& runs) {
  std::map<std::pair<double, double>, const Observation*> best;
  for (const Observation& o : runs.runs) {
    auto it = o.final_loss.find(kSplitAdditional);
    if (it == o.final_loss.end()) continue;
    const Observation*& b = best[{o.params, o.almr}];
    if (b == nullptr || it->second < b->final_loss.at(kSplitAdditional)) b = &o;
  }
  std::printf("  best run per size and ALMR (final loss, nats per token):\n");
  std::printf("    %-8s %7s %6s  %10s  %10s  %9s\n", "model", "N", "ALMR", "best LR", "additional",
              "base");
  for (const auto& [key, o] : best) {
    auto base = o->final_loss.find(kSplitBase);
    std::printf("    %-8s %7s %6s  %10s  %10s  %9s\n", o->name.substr(0, o->name.find('/')).c_str(),
                FormatParams(key.first).c_str(), FormatAlmr(key.second).c_str(),
                FormatLr(o->peak_lr).c_str(),
                FormatLoss(o->final_loss.at(kSplitAdditional)).c_str(),
                FormatLoss(base == o->final_loss.end() ? std::nan("") : base->second).c_str());
  }
}

// The study the demo runs: the proxies' spec, the whole grid or the adaptive design (three LRs a
// factor 2 apart around the prior at three ALMRs spread over the grid first, all of the default
// preset's, then rounds of 8 runs, until the LR's interval is within x1.25 or 40% of the grid's
// compute is spent), and the target check when there is a target spec.
nlohmann::json DemoStudy(const DemoFlags& f, const nlohmann::json& proxies,
                         const nlohmann::json& target, const TargetGoals& goals) {
  nlohmann::json study = {{"name", proxies.value("name", std::string("demo"))},
                          {"description", "mixlaw demo --preset " + f.preset},
                          {"proxies", proxies},
                          {"design", f.design},
                          {"bootstrap", f.bootstrap}};
  if (f.design == "adaptive") {
    study["initial"] = {{"lrs", 3}, {"almrs", 3}, {"lr_ratio", 2.0}};
    study["runs_per_round"] = 8;
    study["stop"] = {{"lr_factor", 1.25}, {"budget_fraction", 0.4}};
  }
  if (!target.is_null()) {
    study["target"] = {{"sweep", target},
                       {"goals",
                        {{"regret", goals.regret},
                         {"lr_factor", goals.lr_factor},
                         {"loss_error", goals.loss_error}}}};
  }
  return study;
}

// The study's failure in words, and its exit code.
int StudyFailed(const DemoFlags& f, const absl::Status& status) {
  if (absl::IsCancelled(status)) {
    std::cerr << "interrupted: run mixlaw demo again (same --dir) to resume\n";
    return kExitError;
  }
  std::cerr << "mixlaw demo: " << status.message() << "\n";
  if (absl::IsFailedPrecondition(status)) {
    std::cerr << "  failure reasons: mixlaw serve --db " << f.dir
              << "/demo.db, then mixlaw sweep status ID --runs\n";
    return kExitRunsFailed;
  }
  return kExitError;
}

int RunDemo(const DemoFlags& f) {
  std::error_code ec;
  std::filesystem::create_directories(f.dir, ec);
  if (ec) {
    std::cerr << "mixlaw demo: cannot create " << f.dir << ": " << ec.message() << "\n";
    return kExitUsage;
  }
  const std::filesystem::path dir = std::filesystem::absolute(f.dir, ec);
  const Preset preset = PresetNamed(f.preset);
  std::string proxies_text = f.spec.empty() ? preset.proxies : ReadText(f.spec);
  std::string target_text = !f.target_spec.empty() ? ReadText(f.target_spec)
                            : f.spec.empty()       ? preset.target
                                                   : "";
  if (proxies_text.empty() || (!f.target_spec.empty() && target_text.empty())) return kExitUsage;
  if (f.seed != 0) {
    proxies_text = ShiftSeeds(proxies_text, f.seed);
    if (!target_text.empty()) target_text = ShiftSeeds(target_text, f.seed);
  }
  const nlohmann::json proxies = nlohmann::json::parse(proxies_text, nullptr, false);
  const nlohmann::json target =
      target_text.empty() ? nlohmann::json() : nlohmann::json::parse(target_text, nullptr, false);
  if (!proxies.is_object() || (!target_text.empty() && !target.is_object())) {
    std::cerr << "mixlaw demo: "
              << (!proxies.is_object() ? (f.spec.empty() ? "the preset" : f.spec)
                                       : (f.target_spec.empty() ? "the preset" : f.target_spec))
              << ": not a JSON object\n";
    return kExitUsage;
  }
  // Relative paths in the specs (data/, runs/) are the demo directory's.
  const std::string spec_path = (dir / "study-spec.json").string();
  const nlohmann::json study_json = DemoStudy(f, proxies, target, preset.goals);
  if (!WriteText(spec_path, study_json.dump(2) + "\n")) return kExitError;
  absl::StatusOr<StudySpec> spec = ParseStudySpec(study_json.dump(), spec_path, dir.string());
  if (!spec.ok()) {
    std::cerr << "mixlaw demo: refused:\n" << spec.status().message() << "\n";
    return kExitUsage;
  }

  if (preset.synthetic && f.spec.empty()) {
    std::cout << "mixlaw demo: the SYNTHETIC preset: losses are drawn from the coupling law with "
                 "noise; no model is trained\n";
  } else {
    std::cout << "mixlaw demo: continual pre-training of small English Llama models on Chinese, "
                 "proxy sizes to a held-out target size, on the builtin CPU trainer\n";
  }
  std::cout << "  store " << f.dir << "/demo.db; running it again resumes\n";
  std::cout << "\n[1/4] corpora\n";
  if (preset.synthetic) {
    std::cout << "  none needed: the synthetic trainer reads no text\n";
  } else if (!PrepareDemoData(dir)) {
    return kExitError;
  }
  InstallStopSignals();

  std::cout << "\n[2/4] proxy sizes: base model pretraining, then "
            << (spec->design == DesignKind::kGrid
                    ? "the ALMR x LR grid"
                    : "adaptive rounds of the ALMR x LR grid, up to 40% of its compute")
            << " (study " << spec_path << ")\n";
  std::cout.flush();
  EmbeddedStudyOptions options;
  options.dir = dir;
  options.db_name = "demo.db";
  const int cores = std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
  options.workers = f.workers > 0 ? f.workers : cores;
  options.threads = cores;
  options.progress = &std::cerr;
  options.sweeps = &std::cout;
  options.on_plan = [](const StudyResult& result, const TargetPlan& plan) {
    PrintBestGridPoints(result.observations);
    std::cout << "\n[3/4] fit the coupling law to the proxies and extrapolate to the target\n";
    PrintPlan(plan);
    std::cout << "\n[4/4] the target size, trained for real around the prediction\n";
    if (!plan.almr_neighbours.empty()) {
      std::string almrs;
      for (double r : plan.almr_neighbours) almrs += (almrs.empty() ? "" : ", ") + FormatAlmr(r);
      std::cout << "  and at ALMR " << almrs << " (the swept ALMRs either side), LR "
                << FormatLr(plan.check_lr) << "\n";
    }
    std::cout.flush();
  };
  absl::StatusOr<EmbeddedStudy> study = RunEmbeddedStudy(*spec, options);
  if (!study.ok()) return StudyFailed(f, study.status());
  if (spec->design == DesignKind::kAdaptive) {
    std::cout << "\n";
    PrintRounds(study->study, std::cout);
    std::cout << "  " << study->study.stop_reason << "\n";
  }
  if (!study->target.has_value()) {
    PrintBestGridPoints(study->study.observations);
    std::cout << "\nno target spec: the target check skipped; the study's recommendation is in "
              << study->study_path << "\n";
  } else {
    PrintCheck(study->target->plan, study->target->check, study->target->model);
  }
  std::cout << "\nReport: " << study->report.html << " (and " << study->report.markdown << ")\n";
  std::string ids;
  for (int64_t id : study->proxy_sweeps) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
  for (int64_t id : study->target_sweeps) ids += ", " + std::to_string(id);
  std::cout << "The fit is in " << f.dir << "/fit.json, the study in " << f.dir
            << "/study.json; every run's curves in " << f.dir << "/demo.db (sweeps " << ids
            << "), run outputs under " << f.dir << "/runs.\n";
  if (f.json) std::cout << study->json.dump(2) << "\n";
  return study->failures ? kExitRunsFailed : kExitOk;
}

}  // namespace

void AddDemoCommand(CLI::App& app, int* exit_code) {
  static DemoFlags f;
  CLI::App* demo = app.add_subcommand(
      "demo", "Run the demo study end to end on this machine (resumes when run again)");
  demo->add_option("--dir", f.dir, "Working directory for the store and run outputs")
      ->capture_default_str();
  demo->add_option("--preset", f.preset,
                   "default: 3 proxy sizes and a 4.2x target on real text (14 to 15 minutes on 2 "
                   "cores); full: an 8.5x target, as 8B to 70B; synthetic: the synthetic trainer")
      ->capture_default_str()
      ->check(CLI::IsMember({"default", "full", "synthetic"}));
  demo->add_option("--spec", f.spec, "Use this sweep spec for the proxies instead of the preset's");
  demo->add_option("--target-spec", f.target_spec,
                   "The target model's sweep spec (its grid is set from the fit)");
  demo->add_option("--seed", f.seed,
                   "Added to every seed of both sweeps: the same study, other random draws")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  demo->add_option("--design", f.design,
                   "grid: train the whole proxy grid; adaptive: rounds chosen for what they tell "
                   "about the target, up to 40% of the grid's compute (docs/study.md)")
      ->capture_default_str()
      ->check(CLI::IsMember({"grid", "adaptive"}));
  demo->add_option("--bootstrap", f.bootstrap, "Bootstrap resamples for the fit's intervals")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  demo->add_flag("--json", f.json,
                 "After the text, print the study's outcome as JSON (also in DIR/study.json)");
  demo->add_option("--workers", f.workers, "Concurrent trainers (default: one per core)");
  demo->callback([exit_code] { *exit_code = RunDemo(f); });
}

}  // namespace mixlaw
