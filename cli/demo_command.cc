// mixlaw demo: the README's main job, a proxy-to-target study on one machine. Prepares the Debian
// English and Chinese corpora; pretrains a small English Llama per proxy size and sweeps ALMR x
// LR of continual pre-training on Chinese through the orchestrator and its workers; fits the
// coupling law and extrapolates to a target size at least 4 times the largest proxy; then trains
// the target for real around the prediction, with several seeds, and sets the law and the direct
// transfer of the largest proxy's optimum against what it measures. `--preset synthetic` runs the
// same loop on the synthetic trainer (and says so).
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <thread>

#include "absl/strings/str_format.h"
#include "cli/commands.h"
#include "cli/demo_spec.h"
#include "cli/demo_study.h"
#include "cli/embedded_sweep.h"
#include "cli/output.h"
#include "cli/report_summary.h"
#include "cli/sweep_source.h"
#include "common/file_io.h"
#include "common/number_format.h"
#include "fitter/validation.h"
#include "fitter/fit_json.h"
#include "orchestrator/sweep_spec.h"
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
};

Preset PresetNamed(const std::string& name) {
  if (name == "full") return {kDemoFullSpecJson, kDemoFullTargetSpecJson, false};
  if (name == "synthetic") return {kDemoSyntheticSpecJson, kDemoSyntheticTargetSpecJson, true};
  return {kDemoSpecJson, kDemoTargetSpecJson, false};
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

// The spec with `offset` added to each of its seeds and its pretraining seed (unchanged when it is not JSON: the parser
// then says why).
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

// Runs one sweep of the study in the demo's store; nullopt (said on stderr) when it did not end.
std::optional<EmbeddedSweepResult> RunSweep(const DemoFlags& f, const std::string& spec_path) {
  EmbeddedSweepOptions options;
  options.spec_path = spec_path;
  options.db_path = (std::filesystem::path(f.dir) / "demo.db").string();
  options.workers = f.workers > 0 ? f.workers
                                  : std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
  options.terminal = isatty(STDERR_FILENO) != 0;
  options.progress = &std::cerr;
  absl::StatusOr<EmbeddedSweepResult> result = RunEmbeddedSweep(options);
  if (!result.ok()) {
    std::cerr << "mixlaw demo: " << result.status().message() << "\n";
    return std::nullopt;
  }
  if (result->interrupted) {
    std::cerr << "interrupted: run mixlaw demo again (same --dir) to resume\n";
    return std::nullopt;
  }
  std::cout << "  sweep " << result->sweep.id() << " (" << result->sweep.name()
            << "): " << CountsText(result->sweep) << "\n";
  return std::move(*result);
}

// The best grid point per model and ALMR on the additional split.
void PrintBestGridPoints(const std::vector<v1::Run>& runs) {
  std::map<std::pair<double, double>, const v1::Run*> best;
  for (const v1::Run& r : runs) {
    auto it = r.final_loss().find(kSplitAdditional);
    if (r.stage() != "cpt" || r.state() != v1::RUN_STATE_SUCCEEDED || it == r.final_loss().end()) {
      continue;
    }
    const v1::Run*& b = best[{r.params(), r.almr()}];
    if (b == nullptr || it->second < b->final_loss().at(kSplitAdditional)) b = &r;
  }
  std::printf("  best grid point per size and ALMR (final loss, nats per token):\n");
  std::printf("    %-8s %7s %6s  %10s  %10s  %9s\n", "model", "N", "ALMR", "best LR",
              "additional", "base");
  for (const auto& [key, r] : best) {
    auto base = r->final_loss().find(kSplitBase);
    std::printf("    %-8s %7s %6s  %10s  %10s  %9s\n", r->model().c_str(),
                FormatParams(key.first).c_str(), FormatAlmr(key.second).c_str(),
                FormatLr(r->peak_lr()).c_str(),
                FormatLoss(r->final_loss().at(kSplitAdditional)).c_str(),
                FormatLoss(base == r->final_loss().end() ? std::nan("") : base->second).c_str());
  }
}

// "+1.25%"; a value that rounds to zero prints as +0.00%, never -0.00%.
std::string Percent(double x) {
  const double percent = std::round(100 * x * 100) / 100;
  return absl::StrFormat("%+.2f%%", percent == 0 ? 0.0 : percent);
}

void PrintPlan(const TargetPlan& plan) {
  const Recommendation& r = plan.recommendation;
  std::printf("  coupling law on %zu runs; R^2 (log) %.4f / %.4f (additional / base)\n",
              plan.fit.data.runs, plan.fit.components[0].r2_log,
              plan.fit.components.size() > 1 ? plan.fit.components[1].r2_log : std::nan(""));
  std::printf("  recommendation at %s (%s): ALMR %s, LR %s; predicted %s %s, %s %s\n",
              FormatParams(plan.target_params).c_str(), r.criterion.c_str(),
              FormatAlmr(r.almr).c_str(), FormatLr(r.lr).c_str(), kSplitAdditional,
              FormatLoss(r.loss_additional).c_str(), kSplitBase, FormatLoss(r.loss_base).c_str());
  for (const std::string& w : r.warnings) std::printf("    warning: %s\n", w.c_str());
  std::printf("  checked at ALMR %s (the swept ALMR nearest): the law's optimal LR %s, the "
              "largest proxy's (%s) %s%s\n",
              FormatAlmr(plan.almr).c_str(), FormatLr(plan.predicted_lr).c_str(),
              FormatParams(plan.largest_proxy).c_str(), FormatLr(plan.transfer_lr).c_str(),
              plan.transfer_interior ? "" : " (at the edge of its grid)");
  std::string lrs;
  for (double lr : plan.lrs) lrs += (lrs.empty() ? "" : ", ") + FormatLr(lr);
  std::printf("  training the target at LR %s\n", lrs.c_str());
}

void PrintCheck(const TargetPlan& plan, const TargetCheck& c, const std::string& model) {
  const double n_ratio = plan.target_params / plan.largest_proxy;
  std::printf(
      "\nAt the held-out target %s (%s parameters, %.1fx the largest proxy), ALMR %s, %s, "
      "mean of %d seeds:\n",
      model.c_str(), FormatParams(plan.target_params).c_str(), n_ratio,
      FormatAlmr(plan.almr).c_str(), kSplitAdditional, c.seeds);
  std::printf("    %-20s %10s  %12s  %12s  %22s\n", "", "LR", "LR/measured", "loss",
              "vs measured optimum");
  std::printf("    %-20s %10s  %12s  %12s  %22s\n", "measured optimum",
              FormatLr(c.measured_lr).c_str(), "", FormatLoss(c.measured_loss).c_str(), "");
  std::printf("    %-20s %10s  %12s  %12s  %22s\n", "coupling law",
              FormatLr(plan.predicted_lr).c_str(), FormatFactor(plan.predicted_lr / c.measured_lr).c_str(),
              FormatLoss(plan.predicted_loss).c_str(),
              (Percent(plan.predicted_loss / c.measured_loss - 1) + " (predicted)").c_str());
  std::printf("    %-20s %10s  %12s  %12s  %22s\n", "  trained at its LR", "", "",
              FormatLoss(c.predicted_lr_loss).c_str(),
              Percent(c.predicted_lr_loss / c.measured_loss - 1).c_str());
  std::printf("    %-20s %10s  %12s  %12s  %22s\n", "direct transfer",
              FormatLr(plan.transfer_lr).c_str(), FormatFactor(plan.transfer_lr / c.measured_lr).c_str(),
              FormatLoss(c.transfer_loss).c_str(),
              (Percent(c.transfer_loss / c.measured_loss - 1) + " (trained)").c_str());
  for (const std::string& note : c.notes) std::printf("    note: %s\n", note.c_str());
  auto met = [](bool goal) { return goal ? "met" : "NOT met"; };
  std::printf("  goals: optimal LR within x1.5: %s; loss within 1%%: %s; LR closer than direct "
              "transfer: %s\n",
              met(c.lr_within_1_5), met(c.loss_within_1_percent), met(c.closer_than_transfer));
}

// The target check as the report draws it.
TargetValidation ValidationOf(const TargetPlan& plan, const TargetCheck& check,
                              const ObservationSet& target, const std::string& model) {
  TargetValidation v;
  v.model = model;
  v.params = plan.target_params;
  v.almr = plan.almr;
  for (const Observation& o : target.runs) {
    auto loss = [&](const char* split) {
      auto it = o.final_loss.find(split);
      return it == o.final_loss.end() ? std::nan("") : it->second;
    };
    v.runs.push_back({o.peak_lr, o.seed, loss(kSplitAdditional), loss(kSplitBase)});
  }
  v.predicted_lr = plan.predicted_lr;
  v.predicted_loss = plan.predicted_loss;
  v.measured_lr = check.measured_lr;
  v.measured_loss = check.measured_loss;
  v.transfer_lr = plan.transfer_lr;
  v.transfer_loss = check.transfer_loss;
  v.split = kSplitAdditional;
  return v;
}

// The study's outcome for scripts (DIR/study.json, and stdout with --json).
nlohmann::json StudyJson(const TargetPlan& plan, const TargetCheck& c, int64_t proxies_id,
                         const std::vector<int64_t>& target_ids, const std::string& model) {
  const double loss_error = plan.predicted_loss / c.measured_loss - 1;
  return {{"proxies_sweep", proxies_id},
          {"target_sweeps", target_ids},
          {"target", {{"model", model}, {"params", plan.target_params},
                      {"largest_proxy_params", plan.largest_proxy}}},
          {"almr", plan.almr},
          {"split", kSplitAdditional},
          {"lrs", plan.lrs},
          {"seeds", c.seeds},
          {"measured", {{"lr", c.measured_lr}, {"loss", c.measured_loss},
                        {"bracketed", c.bracketed}}},
          {"law", {{"lr", plan.predicted_lr},
                   {"loss", plan.predicted_loss},
                   {"lr_over_measured", plan.predicted_lr / c.measured_lr},
                   {"loss_error", loss_error},
                   {"loss_trained_at_lr", c.predicted_lr_loss}}},
          {"direct_transfer", {{"lr", plan.transfer_lr},
                               {"lr_over_measured", plan.transfer_lr / c.measured_lr},
                               {"loss_trained_at_lr", c.transfer_loss},
                               {"proxy_optimum_interior", plan.transfer_interior}}},
          {"goals", {{"lr_within_1_5", c.lr_within_1_5},
                     {"loss_within_1_percent", c.loss_within_1_percent},
                     {"closer_than_direct_transfer", c.closer_than_transfer}}},
          {"recommendation", {{"almr", plan.recommendation.almr},
                              {"lr", plan.recommendation.lr},
                              {"criterion", plan.recommendation.criterion}}},
          {"notes", c.notes}};
}

// Writes DIR/report from the proxies' sweep (read back with its curves), the plan and the check.
bool WriteDemoReport(const DemoFlags& f, int64_t proxies_id, const TargetPlan& plan,
                     const TargetValidation& validation) {
  SweepSourceFlags source;
  source.db = (std::filesystem::path(f.dir) / "demo.db").string();
  absl::StatusOr<SweepData> data = LoadSweep(source, proxies_id, /*with_points=*/true);
  if (!data.ok()) {
    std::cerr << "mixlaw demo: report: " << data.status().message() << "\n";
    return false;
  }
  ReportInput input;
  input.sweep = SummaryOf(*data);
  input.fit = plan.fit;
  input.options.target_params = plan.target_params;
  input.recommendation = plan.recommendation;
  input.validation = validation;
  absl::StatusOr<ReportFiles> files =
      WriteReport(input, (std::filesystem::path(f.dir) / "report").string());
  if (!files.ok()) {
    std::cerr << "mixlaw demo: report: " << files.status().message() << "\n";
    return false;
  }
  std::cout << "\nReport: " << files->html << " (and " << files->markdown << ")\n";
  return true;
}

int RunDemo(const DemoFlags& f) {
  std::error_code ec;
  std::filesystem::create_directories(f.dir, ec);
  if (ec) {
    std::cerr << "mixlaw demo: cannot create " << f.dir << ": " << ec.message() << "\n";
    return kExitUsage;
  }
  const std::filesystem::path dir(f.dir);
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
  const std::string proxies_path = (dir / "sweep.json").string();
  if (!WriteText(proxies_path, proxies_text)) return kExitError;

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

  std::cout << "\n[2/4] proxy sizes: base model pretraining, then the ALMR x LR grid ("
            << proxies_path << ")\n";
  std::optional<EmbeddedSweepResult> proxies = RunSweep(f, proxies_path);
  if (!proxies) return kExitError;
  PrintBestGridPoints(proxies->runs);
  if (target_text.empty()) {
    std::cout << "\nno target spec: fit and check skipped (mixlaw fit " << proxies->sweep.id()
              << " --db " << f.dir << "/demo.db)\n";
    return HasFailures(proxies->sweep) ? kExitRunsFailed : kExitOk;
  }

  std::cout << "\n[3/4] fit the coupling law to the proxies and extrapolate to the target\n";
  nlohmann::json target_template = nlohmann::json::parse(target_text, nullptr, false);
  absl::StatusOr<SweepSpec> target_parsed =
      target_template.is_discarded()
          ? absl::InvalidArgumentError("target spec: not JSON")
          : ParseSweepSpec(target_text, "target spec", dir.string());
  if (!target_parsed.ok() || target_parsed->models.size() != 1) {
    std::cerr << "mixlaw demo: "
              << (target_parsed.ok() ? "target spec: models: exactly one target model"
                                     : std::string(target_parsed.status().message()))
              << "\n";
    return kExitUsage;
  }
  const ModelConfig& target_model = target_parsed->models.front();
  absl::StatusOr<ObservationSet> proxy_runs =
      SweepObservations(SweepData{proxies->sweep, proxies->runs, {}});
  if (!proxy_runs.ok()) {
    std::cerr << "mixlaw demo: " << proxy_runs.status().message() << "\n";
    return kExitError;
  }
  const int threads = std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
  absl::StatusOr<TargetPlan> plan =
      PlanTarget(*proxy_runs, target_model.FitParams(), f.bootstrap, threads);
  if (!plan.ok()) {
    std::cerr << "mixlaw demo: " << plan.status().message() << "\n";
    return kExitError;
  }
  if (!WriteFitFile(plan->fit, (dir / "fit.json").string()).ok()) return kExitError;
  PrintPlan(*plan);

  std::cout << "\n[4/4] the target size, trained for real around the prediction\n";
  // Round 1 trains the ladder; while the lowest loss sits at an end of what was trained, a
  // later round (a sweep of its own, resumed like the others) adds two rungs beyond it.
  constexpr int kMaxRounds = 3;
  ObservationSet target_runs;
  std::vector<int64_t> target_ids;
  bool target_failures = false;
  std::vector<double> round_lrs = plan->lrs;
  absl::StatusOr<TargetCheck> check = absl::UnknownError("no target sweep ran");
  for (int round = 1; round <= kMaxRounds; ++round) {
    const std::string target_path =
        (dir / (round == 1 ? std::string("target.json")
                           : "target-" + std::to_string(round) + ".json"))
            .string();
    if (!WriteText(target_path,
                   TargetSpec(target_template, *plan, round_lrs, round).dump(2) + "\n")) {
      return kExitError;
    }
    std::optional<EmbeddedSweepResult> target = RunSweep(f, target_path);
    if (!target) return kExitError;
    target_ids.push_back(target->sweep.id());
    target_failures = target_failures || HasFailures(target->sweep);
    if (CountOf(target->sweep, v1::RUN_STATE_SUCCEEDED) < 2) {
      std::cerr << "mixlaw demo: the target sweep (" << target->sweep.id()
                << ") ended with too few succeeded runs to compare: " << CountsText(target->sweep)
                << "\n  failure reasons: mixlaw serve --db " << f.dir
                << "/demo.db, then mixlaw sweep status " << target->sweep.id() << " --runs\n";
      return kExitRunsFailed;
    }
    absl::StatusOr<ObservationSet> runs =
        SweepObservations(SweepData{target->sweep, target->runs, {}});
    if (!runs.ok()) {
      std::cerr << "mixlaw demo: " << runs.status().message() << "\n";
      return kExitError;
    }
    target_runs.runs.insert(target_runs.runs.end(), runs->runs.begin(), runs->runs.end());
    if (round > 1) plan->lrs.insert(plan->lrs.end(), round_lrs.begin(), round_lrs.end());
    std::sort(plan->lrs.begin(), plan->lrs.end());
    check = CheckTarget(*plan, target_runs);
    if (!check.ok() || check->bracketed || round == kMaxRounds) break;
    const bool upward = check->measured_lr >= plan->lrs.back() / 1.001;
    round_lrs = BeyondLrs(plan->lrs, upward, kCheckSpacing, 2);
    std::cout << "  the lowest loss is at " << FormatLr(check->measured_lr)
              << ", an end of the LRs trained: widening the ladder "
              << (upward ? "upward" : "downward") << " (round " << round + 1 << ")\n";
  }
  if (!check.ok()) {
    std::cerr << "mixlaw demo: " << check.status().message() << "\n";
    return kExitError;
  }
  PrintCheck(*plan, *check, target_model.name);
  if (!WriteDemoReport(f, proxies->sweep.id(), *plan,
                       ValidationOf(*plan, *check, target_runs, target_model.name))) {
    return kExitError;
  }
  const nlohmann::json study =
      StudyJson(*plan, *check, proxies->sweep.id(), target_ids, target_model.name);
  if (!WriteText(dir / "study.json", study.dump(2) + "\n")) return kExitError;
  std::string ids;
  for (int64_t id : target_ids) ids += ", " + std::to_string(id);
  std::cout << "The fit is in " << f.dir << "/fit.json, the comparison in " << f.dir
            << "/study.json; every run's curves in " << f.dir << "/demo.db (sweeps "
            << proxies->sweep.id() << ids << "), run outputs under " << f.dir << "/runs.\n";
  if (f.json) std::cout << study.dump(2) << "\n";
  const bool failures = HasFailures(proxies->sweep) || target_failures;
  return failures ? kExitRunsFailed : kExitOk;
}

}  // namespace

void AddDemoCommand(CLI::App& app, int* exit_code) {
  static DemoFlags f;
  CLI::App* demo = app.add_subcommand(
      "demo", "Run the demo study end to end on this machine (resumes when run again)");
  demo->add_option("--dir", f.dir, "Working directory for the store and run outputs")
      ->capture_default_str();
  demo->add_option("--preset", f.preset,
                   "default: 3 proxy sizes and a 4.2x target on real text (about 7.5 minutes on 2 "
                   "cores); full: a bigger study; synthetic: the synthetic trainer")
      ->capture_default_str()
      ->check(CLI::IsMember({"default", "full", "synthetic"}));
  demo->add_option("--spec", f.spec, "Use this sweep spec for the proxies instead of the preset's");
  demo->add_option("--target-spec", f.target_spec,
                   "The target model's sweep spec (its grid is set from the fit)");
  demo->add_option("--seed", f.seed,
                   "Added to every seed of both sweeps: the same study, other random draws")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  demo->add_option("--bootstrap", f.bootstrap, "Bootstrap resamples for the fit's intervals")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  demo->add_flag("--json", f.json,
                 "After the text, print the study's outcome as JSON (also in DIR/study.json)");
  demo->add_option("--workers", f.workers, "Concurrent trainers (default: one per core)");
  demo->callback([exit_code] { *exit_code = RunDemo(f); });
}

}  // namespace mixlaw
