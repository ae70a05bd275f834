#include "trainer/synthetic_trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/file_io.h"
#include "trainer/protocol.h"
#include "trainer/schedule.h"

namespace mixlaw {

double SyntheticSplitLaw::OptimalLr(double almr, double params) const {
  return std::exp(c) * std::pow(almr + eps, gamma) * std::pow(params, -delta);
}

double SyntheticSplitLaw::FinalLoss(double almr, double peak_lr, double params) const {
  double mixture = is_base ? F * std::pow(almr, phi) : B * std::pow(almr + eps, -beta);
  double offset = std::log(peak_lr) - std::log(OptimalLr(almr, params));
  return E + A * std::pow(params, -alpha) + mixture + K * offset * offset;
}

SyntheticConfig DefaultSyntheticConfig() {
  SyntheticConfig s;
  s.additional = {.E = 2.0,
                  .A = 30.0,
                  .alpha = 0.3,
                  .K = 0.1,
                  .c = -0.7,
                  .gamma = -0.15,
                  .delta = 0.3,
                  .eps = 0.02,
                  .B = 0.3,
                  .beta = 0.35};
  s.base = {.E = 1.8,
            .A = 30.0,
            .alpha = 0.3,
            .K = 0.08,
            .c = -0.9,
            .gamma = -0.4,
            .delta = 0.3,
            .eps = 0.02,
            .F = 0.4,
            .phi = 1.0,
            .is_base = true};
  return s;
}

SyntheticOptimum PlantedOptimum(const SyntheticConfig& config, double params, double almr_lo,
                                double almr_hi, double weight) {
  SyntheticOptimum best{0, 0, HUGE_VAL};
  const double ka = config.additional.K, kb = weight * config.base.K;
  for (int i = 0; i <= 1000; ++i) {
    const double r = almr_lo + (almr_hi - almr_lo) * i / 1000.0;
    const double lr = std::exp((ka * std::log(config.additional.OptimalLr(r, params)) +
                                kb * std::log(config.base.OptimalLr(r, params))) /
                               (ka + kb));
    const double v =
        config.additional.FinalLoss(r, lr, params) + weight * config.base.FinalLoss(r, lr, params);
    if (v < best.value) best = {r, lr, v};
  }
  return best;
}

namespace {

void ParseLaw(const nlohmann::json& value, const std::string& path, FieldReader& reader,
              SyntheticSplitLaw* law) {
  if (law->is_base) {
    if (!reader.CheckObject(value, path,
                            {"E", "A", "alpha", "K", "c", "gamma", "delta", "eps", "F", "phi"})) {
      return;
    }
    law->F = reader.Number(value, path, "F", false, Bounds::NonNegative()).value_or(law->F);
    law->phi = reader.Number(value, path, "phi", false, Bounds::Positive()).value_or(law->phi);
  } else {
    if (!reader.CheckObject(value, path,
                            {"E", "A", "alpha", "K", "c", "gamma", "delta", "eps", "B", "beta"})) {
      return;
    }
    law->B = reader.Number(value, path, "B", false, Bounds::NonNegative()).value_or(law->B);
    law->beta =
        reader.Number(value, path, "beta", false, Bounds::NonNegative()).value_or(law->beta);
  }
  law->E = reader.Number(value, path, "E", false, Bounds::Positive()).value_or(law->E);
  law->A = reader.Number(value, path, "A", false, Bounds::NonNegative()).value_or(law->A);
  law->alpha =
      reader.Number(value, path, "alpha", false, Bounds::NonNegative()).value_or(law->alpha);
  law->K = reader.Number(value, path, "K", false, Bounds::NonNegative()).value_or(law->K);
  law->c = reader.Number(value, path, "c", false).value_or(law->c);
  law->gamma = reader.Number(value, path, "gamma", false).value_or(law->gamma);
  law->delta = reader.Number(value, path, "delta", false).value_or(law->delta);
  law->eps = reader.Number(value, path, "eps", false, Bounds::Positive()).value_or(law->eps);
}

}  // namespace

SyntheticConfig ParseSyntheticConfig(const nlohmann::json& value, const std::string& path,
                                     FieldReader& reader) {
  SyntheticConfig s = DefaultSyntheticConfig();
  if (value.is_null()) return s;
  if (!reader.CheckObject(
          value, path,
          {"additional", "base", "noise", "step_delay_ms", "log_every", "diverge_lr_factor"})) {
    return s;
  }
  if (value.contains("additional")) {
    ParseLaw(value["additional"], JoinPath(path, "additional"), reader, &s.additional);
  }
  if (value.contains("base")) ParseLaw(value["base"], JoinPath(path, "base"), reader, &s.base);
  s.noise = reader.Number(value, path, "noise", false, Bounds::Closed(0.0, 1.0)).value_or(s.noise);
  s.step_delay_ms = reader.Integer(value, path, "step_delay_ms", false, Bounds::Closed(0, 60000))
                        .value_or(s.step_delay_ms);
  s.log_every =
      reader.Integer(value, path, "log_every", false, Bounds::AtLeast(1)).value_or(s.log_every);
  s.diverge_lr_factor =
      reader.Number(value, path, "diverge_lr_factor", false, Bounds::NonNegative())
          .value_or(s.diverge_lr_factor);
  return s;
}

namespace {

// How far a curve is from its end at each step, from 1 at step 1 to 0 at the last: the schedule
// law L(s) = L0 + A S1(s)^-alpha - C S2(s) (fitter/curve_law.h) through those two points, with
// alpha 1/2 and the annealing term making kAnnealingShare of the drop. A run's curve is then
// final + (initial - final) x remaining; on a run of one step it is its final loss.
class CurveShape {
 public:
  static constexpr double kAlpha = 0.5;
  static constexpr double kAnnealingShare = 0.03;

  explicit CurveShape(ScheduleAreas areas) : areas_(std::move(areas)) {}

  double Remaining(int64_t step) const {
    const int64_t t = areas_.steps();
    if (t <= 1 || step >= t) return 0.0;
    const double s1_end = areas_.forward.back(), s2_end = areas_.annealing.back();
    const size_t i = static_cast<size_t>(std::max<int64_t>(1, step) - 1);
    const auto forward = [&](size_t k) { return std::pow(areas_.forward[k] / s1_end, -kAlpha); };
    const double first = forward(0) - 1.0;
    const double anneal = s2_end > 0 ? kAnnealingShare : 0.0;
    const double forward_part = first > 0 ? (forward(i) - 1.0) / first : 0.0;
    const double annealing_part = s2_end > 0 ? 1.0 - areas_.annealing[i] / s2_end : 0.0;
    return (1.0 - anneal) * forward_part + anneal * annealing_part;
  }

 private:
  ScheduleAreas areas_;
};

}  // namespace

int RunSyntheticTrainer(const RunConfig& config, std::ostream& out, std::ostream& err) {
  FieldReader reader("RUN.json");
  SyntheticConfig synthetic = ParseSyntheticConfig(config.synthetic, "synthetic", reader);
  if (!reader.ok()) {
    err << reader.ToStatus().message() << "\n";
    return kTrainerExitUsage;
  }
  if (!config.init_checkpoint.empty() && !std::ifstream(config.init_checkpoint)) {
    err << "init_checkpoint: " << config.init_checkpoint << " cannot be read\n";
    return kTrainerExitFailure;
  }
  const double params = config.model.FitParams();
  const double almr = config.stage == "pretrain" ? 0.0 : config.almr;
  const double final_additional = synthetic.additional.FinalLoss(almr, config.peak_lr, params);
  const double final_base = synthetic.base.FinalLoss(almr, config.peak_lr, params);
  const double initial =
      config.model.vocab_size > 0 ? std::log(static_cast<double>(config.model.vocab_size)) : 10.0;
  const bool diverges =
      synthetic.diverge_lr_factor > 0.0 &&
      config.peak_lr > synthetic.diverge_lr_factor * synthetic.additional.OptimalLr(almr, params);

  // Seeded by the run's coordinates, so a run repeated after a lost lease prints the same values.
  size_t seed = std::hash<std::string>()(
      absl::StrCat(config.seed, "/", almr, "/", config.peak_lr, "/", params, "/", config.stage));
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  auto noisy = [&](double value) { return value * std::exp(synthetic.noise * normal(rng)); };

  const TrainingConfig& t = config.training;
  const int64_t total_steps = t.total_steps();
  const CurveShape shape(AreasOf(t.schedule, total_steps, config.peak_lr));
  const auto curve = [&](int64_t step, double final_loss) {
    return final_loss + (initial - final_loss) * shape.Remaining(step);
  };
  const int64_t diverge_step = diverges ? std::max<int64_t>(1, total_steps * 3 / 5) : -1;
  out << FormatTotalStepsLine(total_steps) << std::endl;
  for (int64_t step = 1; step <= total_steps; ++step) {
    if (synthetic.step_delay_ms > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(synthetic.step_delay_ms));
    }
    int64_t tokens = step * t.tokens_per_step();
    double lr = t.schedule.LrAt(step - 1, total_steps, config.peak_lr);
    if (step == diverge_step) {
      out << FormatMetricLine({"train", step, std::nan(""), tokens, lr}) << std::endl;
      err << "synthetic trainer: loss is NaN at step " << step << " (peak_lr " << config.peak_lr
          << " is past the divergence threshold)\n";
      return kTrainerExitDiverged;
    }
    if (step % synthetic.log_every == 0 || step == total_steps) {
      double mixed = almr * curve(step, final_additional) + (1.0 - almr) * curve(step, final_base);
      out << FormatMetricLine({"train", step, noisy(mixed), tokens, lr}) << "\n";
    }
    if ((t.eval_every > 0 && step % t.eval_every == 0) || step == total_steps) {
      out << FormatMetricLine({"eval/base", step, noisy(curve(step, final_base)), tokens, lr})
          << "\n";
      out << FormatMetricLine(
                 {"eval/additional", step, noisy(curve(step, final_additional)), tokens, lr})
          << "\n";
    }
    out.flush();
  }
  if (!config.output_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(config.output_dir, ec);
    std::string path = config.output_dir + "/synthetic-final.json";
    const nlohmann::json final_json = {
        {"synthetic", true},
        {"final", {{"eval/base", final_base}, {"eval/additional", final_additional}}}};
    if (absl::Status written = WriteFileAtomically(path, final_json.dump(2) + "\n");
        !written.ok()) {
      err << written.message() << "\n";
      return kTrainerExitFailure;
    }
    out << FormatArtifactLine("checkpoint", path) << std::endl;
  }
  return kTrainerExitSuccess;
}

}  // namespace mixlaw
