#include "trainer/schedule.h"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace mixlaw {

double Schedule::LrAt(int64_t step, int64_t total_steps, double peak_lr) const {
  if (kind == ScheduleKind::kConstant || total_steps <= 1) return peak_lr;
  double total = static_cast<double>(total_steps);
  double warmup = std::floor(warmup_frac * total);
  double s = static_cast<double>(step);
  if (s < warmup) return peak_lr * (s + 1.0) / warmup;
  double floor_lr = min_lr_ratio * peak_lr;
  if (kind == ScheduleKind::kCosine) {
    double progress = std::clamp((s - warmup) / std::max(1.0, total - 1.0 - warmup), 0.0, 1.0);
    return floor_lr + 0.5 * (peak_lr - floor_lr) * (1.0 + std::cos(std::numbers::pi * progress));
  }
  // Warmup-stable-decay: hold the peak, then decay linearly to the floor over the last steps.
  double decay_steps = std::max(1.0, std::floor(decay_frac * total));
  double decay_start = total - decay_steps;
  if (s < decay_start) return peak_lr;
  double progress = std::clamp((s - decay_start + 1.0) / decay_steps, 0.0, 1.0);
  return peak_lr + (floor_lr - peak_lr) * progress;
}

ScheduleAreas AreasOf(const std::vector<double>& lrs, double momentum) {
  ScheduleAreas areas;
  double forward = 0, annealing = 0, m = 0;
  for (size_t i = 0; i < lrs.size(); ++i) {
    forward += lrs[i];
    const double drop = i == 0 ? 0.0 : std::max(lrs[i - 1] - lrs[i], 0.0);
    m = momentum * m + drop;
    annealing += m;
    areas.forward.push_back(forward);
    areas.annealing.push_back(annealing);
  }
  return areas;
}

ScheduleAreas AreasOf(const Schedule& schedule, int64_t total_steps, double peak_lr) {
  std::vector<double> lrs;
  lrs.reserve(static_cast<size_t>(std::max<int64_t>(0, total_steps)));
  for (int64_t s = 0; s < total_steps; ++s) lrs.push_back(schedule.LrAt(s, total_steps, peak_lr));
  return AreasOf(lrs);
}

nlohmann::json Schedule::ToJson() const {
  nlohmann::json j;
  j["kind"] = kind == ScheduleKind::kCosine              ? "cosine"
              : kind == ScheduleKind::kWarmupStableDecay ? "wsd"
                                                         : "constant";
  j["warmup_frac"] = warmup_frac;
  j["min_lr_ratio"] = min_lr_ratio;
  if (kind == ScheduleKind::kWarmupStableDecay) j["decay_frac"] = decay_frac;
  return j;
}

Schedule ParseSchedule(const nlohmann::json& value, const std::string& path, FieldReader& reader) {
  Schedule s;
  if (!reader.CheckObject(value, path, {"kind", "warmup_frac", "min_lr_ratio", "decay_frac"})) {
    return s;
  }
  std::string kind = reader.String(value, path, "kind", false).value_or("cosine");
  if (kind == "cosine") {
    s.kind = ScheduleKind::kCosine;
  } else if (kind == "wsd") {
    s.kind = ScheduleKind::kWarmupStableDecay;
  } else if (kind == "constant") {
    s.kind = ScheduleKind::kConstant;
  } else {
    reader.Problem(JoinPath(path, "kind"),
                   "'" + kind + "' is not a schedule (expected cosine, wsd or constant)");
  }
  s.warmup_frac = reader.Number(value, path, "warmup_frac", false, {0.0, 1.0, false, true})
                      .value_or(s.warmup_frac);
  s.min_lr_ratio = reader.Number(value, path, "min_lr_ratio", false, Bounds::Closed(0.0, 1.0))
                       .value_or(s.min_lr_ratio);
  s.decay_frac = reader.Number(value, path, "decay_frac", false, {0.0, 1.0, true, false})
                     .value_or(s.decay_frac);
  if (s.kind == ScheduleKind::kWarmupStableDecay && s.warmup_frac + s.decay_frac > 1.0) {
    reader.Problem(JoinPath(path, "decay_frac"), "warmup_frac + decay_frac must not exceed 1");
  }
  return s;
}

}  // namespace mixlaw
