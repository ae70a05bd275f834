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

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/commands.h"
#include "cli/demo_spec.h"
#include "cli/demo_study.h"
#include "cli/embedded_sweep.h"
#include "cli/output.h"
#include "cli/report_summary.h"
#include "cli/sweep_source.h"
#include "common/file_io.h"
#include "common/json_fields.h"
#include "common/number_format.h"
#include "fitter/fit_json.h"
#include "fitter/validation.h"
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

// Runs one sweep of the study in the demo's store; nullopt (said on stderr) when it did not end.
std::optional<EmbeddedSweepResult> RunSweep(const DemoFlags& f, const std::string& spec_path) {
  EmbeddedSweepOptions options;
  options.spec_path = spec_path;
  options.db_path = (std::filesystem::path(f.dir) / "demo.db").string();
  options.workers = f.workers > 0
                        ? f.workers
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
  std::printf("    %-8s %7s %6s  %10s  %10s  %9s\n", "model", "N", "ALMR", "best LR", "additional",
              "base");
  for (const auto& [key, r] : best) {
    auto base = r->final_loss().find(kSplitBase);
    std::printf("    %-8s %7s %6s  %10s  %10s  %9s\n", r->model().c_str(),
                FormatParams(key.first).c_str(), FormatAlmr(key.second).c_str(),
                FormatLr(r->peak_lr()).c_str(),
                FormatLoss(r->final_loss().at(kSplitAdditional)).c_str(),
                FormatLoss(base == r->final_loss().end() ? std::nan("") : base->second).c_str());
  }
}

// "+1.25%" (`decimals` 2) or "+0.012%" (3, for regrets); a value that rounds to zero prints as
// +0.00%, never -0.00%.
std::string Percent(double x, int decimals = 2) {
  const double scale = std::pow(10.0, decimals);
  const double percent = std::round(100 * x * scale) / scale;
  return absl::StrFormat("%+.*f%%", decimals, percent == 0 ? 0.0 : percent);
}

// "+0.05% [+0.01%, +0.09%]"; the interval left out when it is unknown.
std::string PercentWith(const Estimate& e, int decimals = 2) {
  std::string text = Percent(e.value, decimals);
  if (!std::isnan(e.interval.lower)) {
    text += " [" + Percent(e.interval.lower, decimals) + ", " +
            Percent(e.interval.upper, decimals) + "]";
  }
  return text;
}

// "x0.95 [x0.80, x1.20]".
std::string FactorWith(const Estimate& e) {
  std::string text = FormatFactor(e.value);
  if (!std::isnan(e.interval.lower)) {
    text += " [" + FormatFactor(e.interval.lower) + ", " + FormatFactor(e.interval.upper) + "]";
  }
  return text;
}

std::string PercentList(const std::vector<double>& values) {
  std::string text;
  for (double v : values) text += (text.empty() ? "" : ", ") + Percent(v, 3);
  return text;
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
  std::printf(
      "  checked at ALMR %s (the swept ALMR nearest), on what it minimises: the law's LR "
      "%s, the largest proxy's (%s) %s%s\n",
      FormatAlmr(plan.almr).c_str(), FormatLr(plan.predicted_lr).c_str(),
      FormatParams(plan.largest_proxy).c_str(), FormatLr(plan.transfer_lr).c_str(),
      plan.transfer_interior ? "" : " (at the edge of its grid)");
  std::printf(
      "  leave-one-size-out at ALMR %s (each proxy size predicted from the others; regret "
      "on its own runs):\n",
      FormatAlmr(plan.almr).c_str());
  for (const HeldOutSize& h : plan.held_out) {
    if (!h.problem.empty()) {
      std::printf("    %-6s %s\n", FormatParams(h.params).c_str(), h.problem.c_str());
      continue;
    }
    std::printf("    %-6s LR %s (%s of its measured optimum), regret %s%s\n",
                FormatParams(h.params).c_str(), FormatLr(h.predicted_lr).c_str(),
                FactorWith(h.check.predicted.lr_ratio).c_str(),
                PercentWith(h.check.predicted.regret, 3).c_str(),
                h.check.interior ? "" : " (its lowest loss at an end of its grid)");
  }
  const RegretSummary loso = SummarizeRegrets(plan.held_out);
  std::printf("    median regret %s, worst %s (%d sizes)\n", Percent(loso.median, 3).c_str(),
              Percent(loso.worst, 3).c_str(), loso.sizes);
  std::string lrs;
  for (double lr : plan.lrs) lrs += (lrs.empty() ? "" : ", ") + FormatLr(lr);
  std::printf("  training the target at LR %s\n", lrs.c_str());
}

// Each goal with its verdict: "the law's regret at most 0.1%: met".
std::vector<std::string> GoalLines(const TargetCheck& check) {
  const CurveCheck& c = check.curve;
  std::vector<std::string> lines = {
      absl::StrCat("the law's regret at most ", FormatPercent(check.goals.regret), ": ",
                   VerdictName(check.regret), " (", PercentWith(c.predicted.regret, 3), ")"),
      absl::StrCat("the law's LR within x", FormatNumber(check.goals.lr_factor),
                   " of the measured optimum: ", VerdictName(check.lr_factor), " (",
                   FactorWith(c.predicted.lr_ratio), ")"),
      absl::StrCat(
          "the law's regret below the direct transfer's: ", VerdictName(check.beats_transfer),
          " (the transfer's minus the law's ", PercentWith(c.regret_advantage, 3), ")"),
      absl::StrCat("the predicted loss within ", FormatPercent(check.goals.loss_error),
                   " of the measured optimum's: ", VerdictName(check.loss_error), " (",
                   PercentWith(c.loss_error), ")")};
  if (!check.almrs.empty()) {
    std::string detail;
    for (const AlmrCheck& a : check.almrs) {
      detail += absl::StrCat(detail.empty() ? "" : "; ", "ALMR ", FormatAlmr(a.almr), " ",
                             PercentWith(a.excess, 3), " above it");
    }
    lines.push_back(
        absl::StrCat("the recommended ALMR below its swept neighbours at the law's LR: ",
                     VerdictName(AlmrVerdict(check.almrs)), " (", detail, ")"));
  }
  return lines;
}

void PrintCheck(const TargetPlan& plan, const TargetCheck& check, const std::string& model) {
  const CurveCheck& c = check.curve;
  const double n_ratio = plan.target_params / plan.largest_proxy;
  std::printf(
      "\nAt the held-out target %s (%s parameters, %.1fx the largest proxy), ALMR %s, %s, %zu "
      "seeds; [95%%] intervals from %d resamples of the seeds:\n",
      model.c_str(), FormatParams(plan.target_params).c_str(), n_ratio,
      FormatAlmr(plan.almr).c_str(), plan.recommendation.criterion.c_str(), c.seeds.size(),
      c.resamples);
  std::string optimum_lr = FormatLr(c.optimum_lr.value);
  if (!std::isnan(c.optimum_lr.interval.lower)) {
    optimum_lr += " [" + FormatLr(c.optimum_lr.interval.lower) + ", " +
                  FormatLr(c.optimum_lr.interval.upper) + "]";
  }
  std::printf("    measured optimum   LR %s, loss %s\n", optimum_lr.c_str(),
              FormatLoss(c.optimum_loss.value).c_str());
  for (const auto& [name, lr_check] :
       {std::pair<const char*, const LrCheck*>{"coupling law", &c.predicted},
        std::pair<const char*, const LrCheck*>{"direct transfer", &c.baseline}}) {
    std::printf("    %-18s LR %s (%s of the measured); regret %s; per seed %s\n", name,
                FormatLr(lr_check->lr).c_str(), FactorWith(lr_check->lr_ratio).c_str(),
                PercentWith(lr_check->regret, 3).c_str(),
                PercentList(lr_check->regret_by_seed).c_str());
  }
  std::printf("    the law's predicted loss %s: %s of the measured optimum's\n",
              FormatLoss(plan.predicted_loss).c_str(), PercentWith(c.loss_error).c_str());
  for (const std::string& note : check.notes) std::printf("    note: %s\n", note.c_str());
  std::printf("  goals (met or not met only where the interval decides it):\n");
  for (const std::string& goal : GoalLines(check)) std::printf("    %s\n", goal.c_str());
}

// The target check as the report draws it.
TargetValidation ValidationOf(const TargetPlan& plan, const TargetCheck& check,
                              const ObservationSet& target, const std::string& model) {
  const CurveCheck& c = check.curve;
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
  v.measured_lr = c.optimum_lr.value;
  v.measured_loss = c.optimum_loss.value;
  v.transfer_lr = plan.transfer_lr;
  v.transfer_loss = c.optimum_loss.value * (1 + c.baseline.regret.value);
  v.split = kSplitCriterion;
  v.criterion = plan.recommendation.criterion;
  v.base_weight = plan.criterion.weight.value_or(1.0);
  v.measured_lr_interval = c.optimum_lr.interval;
  v.predicted_regret = c.predicted.regret.value;
  v.predicted_regret_interval = c.predicted.regret.interval;
  v.transfer_regret = c.baseline.regret.value;
  v.transfer_regret_interval = c.baseline.regret.interval;
  v.seeds = static_cast<int>(c.seeds.size());
  v.resamples = c.resamples;
  v.goals = GoalLines(check);
  return v;
}

nlohmann::json EstimateJson(const Estimate& e) {
  return {{"value", JsonNumber(e.value)},
          {"interval", {JsonNumber(e.interval.lower), JsonNumber(e.interval.upper)}}};
}

nlohmann::json LrCheckJson(const LrCheck& c) {
  nlohmann::json by_seed = nlohmann::json::array();
  for (double r : c.regret_by_seed) by_seed.push_back(JsonNumber(r));
  return {{"lr", c.lr},
          {"regret", EstimateJson(c.regret)},
          {"regret_by_seed", by_seed},
          {"lr_over_measured", EstimateJson(c.lr_ratio)}};
}

nlohmann::json AlmrCheckJson(const TargetPlan& plan, const TargetCheck& check) {
  nlohmann::json neighbours = nlohmann::json::array();
  for (const AlmrCheck& a : check.almrs) {
    neighbours.push_back({{"almr", a.almr},
                          {"excess", EstimateJson(a.excess)},
                          {"verdict", VerdictName(a.verdict)}});
  }
  return {{"lr", plan.check_lr}, {"almr", plan.almr}, {"neighbours", neighbours}};
}

nlohmann::json HeldOutJson(const TargetPlan& plan) {
  nlohmann::json sizes = nlohmann::json::array();
  for (const HeldOutSize& h : plan.held_out) {
    nlohmann::json j = {{"params", h.params}};
    if (h.problem.empty()) {
      j["law"] = LrCheckJson(h.check.predicted);
      j["measured_lr"] = EstimateJson(h.check.optimum_lr);
      j["bracketed"] = h.check.interior;
    } else {
      j["problem"] = h.problem;
    }
    sizes.push_back(std::move(j));
  }
  const RegretSummary s = SummarizeRegrets(plan.held_out);
  return {{"almr", plan.almr},
          {"sizes", sizes},
          {"median_regret", JsonNumber(s.median)},
          {"worst_regret", JsonNumber(s.worst)}};
}

// The study's outcome for scripts (DIR/study.json, and stdout with --json).
nlohmann::json StudyJson(const TargetPlan& plan, const TargetCheck& check, int64_t proxies_id,
                         const std::vector<int64_t>& target_ids, const std::string& model) {
  const CurveCheck& c = check.curve;
  nlohmann::json law = LrCheckJson(c.predicted);
  law["loss"] = plan.predicted_loss;
  law["loss_error"] = EstimateJson(c.loss_error);
  nlohmann::json transfer = LrCheckJson(c.baseline);
  transfer["proxy_optimum_interior"] = plan.transfer_interior;
  nlohmann::json optimum_by_seed = nlohmann::json::array();
  for (double lr : c.optimum_lr_by_seed) optimum_by_seed.push_back(JsonNumber(lr));
  auto verdict = [](Verdict v) { return VerdictName(v); };
  return {
      {"format", "mixlaw-study/2"},
      {"proxies_sweep", proxies_id},
      {"target_sweeps", target_ids},
      {"target",
       {{"model", model},
        {"params", plan.target_params},
        {"largest_proxy_params", plan.largest_proxy},
        {"ratio", plan.target_params / plan.largest_proxy}}},
      {"almr", plan.almr},
      {"split", kSplitCriterion},
      {"criterion", plan.recommendation.criterion},
      {"lrs", plan.lrs},
      {"seeds", c.seeds},
      {"resamples", c.resamples},
      {"measured",
       {{"lr", EstimateJson(c.optimum_lr)},
        {"loss", EstimateJson(c.optimum_loss)},
        {"lr_by_seed", optimum_by_seed},
        {"bracketed", c.interior}}},
      {"law", law},
      {"direct_transfer", transfer},
      {"regret_advantage", EstimateJson(c.regret_advantage)},
      {"almr_check", AlmrCheckJson(plan, check)},
      {"goals",
       {{"regret", {{"at_most", check.goals.regret}, {"verdict", verdict(check.regret)}}},
        {"lr_factor", {{"within", check.goals.lr_factor}, {"verdict", verdict(check.lr_factor)}}},
        {"below_direct_transfer", {{"verdict", verdict(check.beats_transfer)}}},
        {"loss_error",
         {{"within", check.goals.loss_error}, {"verdict", verdict(check.loss_error)}}}}},
      {"leave_one_size_out", HeldOutJson(plan)},
      {"recommendation",
       {{"almr", plan.recommendation.almr},
        {"lr", plan.recommendation.lr},
        {"criterion", plan.recommendation.criterion},
        {"warnings", plan.recommendation.warnings}}},
      {"notes", check.notes}};
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
      target_template.is_discarded() ? absl::InvalidArgumentError("target spec: not JSON")
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
  // The ALMR check, the swept ALMRs either side of the recommended one at the law's LR, trains in
  // round 1's sweep beside the ladder: one base model, and no sweep of its own to wait for.
  std::vector<SweepPoint> almr_points;
  for (double r : plan->almr_neighbours) almr_points.push_back({r, plan->check_lr, {}, {}});
  if (!almr_points.empty()) {
    std::string almrs;
    for (double r : plan->almr_neighbours) almrs += (almrs.empty() ? "" : ", ") + FormatAlmr(r);
    std::cout << "  and at ALMR " << almrs << " (the swept ALMRs either side), LR "
              << FormatLr(plan->check_lr) << "\n";
  }
  ObservationSet neighbour_runs;
  absl::StatusOr<TargetCheck> check = absl::UnknownError("no target sweep ran");
  for (int round = 1; round <= kMaxRounds; ++round) {
    const std::string target_path =
        (dir /
         (round == 1 ? std::string("target.json") : "target-" + std::to_string(round) + ".json"))
            .string();
    const std::string suffix = round == 1 ? "" : "-" + std::to_string(round);
    if (!WriteText(target_path, TargetSpec(target_template, *plan, {plan->almr}, round_lrs, suffix,
                                           round == 1 ? almr_points : std::vector<SweepPoint>{})
                                        .dump(2) +
                                    "\n")) {
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
    for (Observation& o : runs->runs) {
      (std::abs(o.almr - plan->almr) < 1e-9 ? target_runs : neighbour_runs)
          .runs.push_back(std::move(o));
    }
    if (round > 1) plan->lrs.insert(plan->lrs.end(), round_lrs.begin(), round_lrs.end());
    std::sort(plan->lrs.begin(), plan->lrs.end());
    check = CheckTarget(*plan, target_runs, preset.goals);
    if (!check.ok() || check->curve.interior || round == kMaxRounds) break;
    const double lowest = check->curve.optimum_lr.value;
    const bool upward = lowest >= plan->lrs.back() / 1.001;
    round_lrs = BeyondLrs(plan->lrs, upward, kCheckSpacing, 2);
    std::cout << "  the lowest loss is at " << FormatLr(lowest)
              << ", an end of the LRs trained: widening the ladder "
              << (upward ? "upward" : "downward") << " (round " << round + 1 << ")\n";
  }
  if (!check.ok()) {
    std::cerr << "mixlaw demo: " << check.status().message() << "\n";
    return kExitError;
  }
  if (!plan->almr_neighbours.empty()) {
    ObservationSet both = target_runs;
    both.runs.insert(both.runs.end(), neighbour_runs.runs.begin(), neighbour_runs.runs.end());
    absl::StatusOr<std::vector<AlmrCheck>> almr_checks = CheckAlmrs(*plan, both);
    if (almr_checks.ok()) {
      check->almrs = std::move(*almr_checks);
    } else {
      check->notes.push_back(absl::StrCat("ALMR check: ", almr_checks.status().message()));
    }
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
  demo->add_option("--bootstrap", f.bootstrap, "Bootstrap resamples for the fit's intervals")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  demo->add_flag("--json", f.json,
                 "After the text, print the study's outcome as JSON (also in DIR/study.json)");
  demo->add_option("--workers", f.workers, "Concurrent trainers (default: one per core)");
  demo->callback([exit_code] { *exit_code = RunDemo(f); });
}

}  // namespace mixlaw
