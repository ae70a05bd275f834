// mixlaw demo: the README's main job. Prepares the Debian English and Chinese corpora, pretrains
// a small English Llama per size and sweeps ALMR x LR of continual pre-training on Chinese with
// the builtin trainer, through the orchestrator and its workers. `--preset synthetic` runs the
// same loop on the synthetic trainer instead (and says so).
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>
#include <cmath>
#include <map>

#include "cli/commands.h"
#include "cli/demo_spec.h"
#include "cli/embedded_sweep.h"
#include "cli/output.h"
#include "common/number_format.h"
#include "trainer/data/corpus.h"
#include "trainer/data/prepare.h"

namespace mixlaw {

namespace {

struct DemoFlags {
  std::string dir = "mixlaw-demo";
  std::string spec;
  std::string preset = "proxy";
  int workers = 0;
};

// Prepares DIR/data from the Debian corpora unless it is there already.
bool PrepareDemoData(const std::filesystem::path& dir) {
  if (std::filesystem::exists(dir / "data" / "base" / "meta.json") &&
      std::filesystem::exists(dir / "data" / "additional" / "meta.json")) {
    return true;
  }
  std::cout << "preparing the corpora: English fortunes, Chinese fortunes-zh; a 3072-piece BPE\n";
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

int RunDemo(const DemoFlags& f) {
  std::error_code ec;
  std::filesystem::create_directories(f.dir, ec);
  if (ec) {
    std::cerr << "mixlaw demo: cannot create " << f.dir << ": " << ec.message() << "\n";
    return kExitUsage;
  }
  std::string spec = f.spec;
  if (spec.empty()) {
    spec = (std::filesystem::path(f.dir) / "sweep.json").string();
    std::ofstream out(spec);
    out << (f.preset == "synthetic" ? kDemoSyntheticSpecJson : kDemoSpecJson);
    if (!out) {
      std::cerr << "mixlaw demo: " << spec << ": cannot be written\n";
      return kExitError;
    }
  }
  if (f.preset == "synthetic") {
    std::cout << "mixlaw demo: a sweep on the SYNTHETIC trainer (losses drawn from the coupling "
                 "law with noise; no model is trained)\n";
  } else {
    std::cout << "mixlaw demo: continual pre-training of small English Llama models on Chinese, "
                 "an ALMR x LR grid per size, on the builtin CPU trainer\n";
    if (f.spec.empty() && !PrepareDemoData(f.dir)) return kExitError;
  }
  std::cout << "  spec " << spec << ", store " << f.dir << "/demo.db\n";
  InstallStopSignals();
  EmbeddedSweepOptions options;
  options.spec_path = spec;
  options.db_path = (std::filesystem::path(f.dir) / "demo.db").string();
  options.workers = f.workers > 0 ? f.workers
                                  : std::max(2, static_cast<int>(std::thread::hardware_concurrency()));
  options.terminal = isatty(STDERR_FILENO) != 0;
  options.progress = &std::cerr;
  absl::StatusOr<EmbeddedSweepResult> result = RunEmbeddedSweep(options);
  if (!result.ok()) {
    std::cerr << "mixlaw demo: " << result.status().message() << "\n";
    return kExitError;
  }
  if (result->interrupted) {
    std::cerr << "interrupted: run mixlaw demo again to resume\n";
    return kExitError;
  }
  std::cout << "sweep " << result->sweep.id() << ": " << CountsText(result->sweep) << "\n\n"
            << "Best grid point per model and ALMR (lowest final eval/additional loss, in nats "
               "per token; base = the English loss there):\n";
  std::map<std::pair<std::string, double>, const v1::Run*> best;
  for (const v1::Run& r : result->runs) {
    auto it = r.final_loss().find("eval/additional");
    if (r.stage() != "cpt" || r.state() != v1::RUN_STATE_SUCCEEDED || it == r.final_loss().end()) {
      continue;
    }
    const v1::Run*& b = best[{r.model(), r.almr()}];
    if (b == nullptr || it->second < b->final_loss().at("eval/additional")) b = &r;
  }
  std::printf("  %-8s %6s  %10s  %9s  %9s\n", "model", "ALMR", "best LR", "additional", "base");
  for (const auto& [key, r] : best) {
    std::printf("  %-8s %6s  %10s  %9s  %9s\n", key.first.c_str(), FormatAlmr(key.second).c_str(),
                FormatLr(r->peak_lr()).c_str(),
                FormatLoss(r->final_loss().at("eval/additional")).c_str(),
                FormatLoss(r->final_loss().count("eval/base") ? r->final_loss().at("eval/base")
                                                              : std::nan(""))
                    .c_str());
  }
  std::cout << "\nEvery run's curves and final losses are in " << options.db_path
            << "; run outputs and checkpoints under " << f.dir << "/runs.\n"
            << "To fit the coupling law to them and ask for a target size:\n"
            << "  mixlaw fit " << result->sweep.id() << " --db " << options.db_path
            << " --out fit.json\n"
            << "  mixlaw recommend " << result->sweep.id() << " --db " << options.db_path
            << " --target-params 4e6\n";
  return HasFailures(result->sweep) ? kExitRunsFailed : kExitOk;
}

}  // namespace

void AddDemoCommand(CLI::App& app, int* exit_code) {
  static DemoFlags f;
  CLI::App* demo = app.add_subcommand(
      "demo", "Run the demo study end to end on this machine (resumes when run again)");
  demo->add_option("--dir", f.dir, "Working directory for the store and run outputs")
      ->capture_default_str();
  demo->add_option("--spec", f.spec, "Use this sweep spec instead of the demo's");
  demo->add_option("--preset", f.preset,
                   "proxy: the Llama trainer on real text; synthetic: the synthetic trainer")
      ->capture_default_str()
      ->check(CLI::IsMember({"proxy", "synthetic"}));
  demo->add_option("--workers", f.workers, "Concurrent trainers (default: one per core)");
  demo->callback([exit_code] { *exit_code = RunDemo(f); });
}

}  // namespace mixlaw
