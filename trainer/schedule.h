// Learning-rate schedules: linear warmup, then cosine to a floor, warmup-stable-decay, or constant.
#ifndef MIXLAW_TRAINER_SCHEDULE_H_
#define MIXLAW_TRAINER_SCHEDULE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/json_fields.h"
#include "nlohmann/json.hpp"

namespace mixlaw {

enum class ScheduleKind { kCosine, kWarmupStableDecay, kConstant };

struct Schedule {
  ScheduleKind kind = ScheduleKind::kCosine;
  double warmup_frac = 0.05;  // of the total steps
  double min_lr_ratio = 0.1;  // floor of cosine and of the decay phase, over the peak
  double decay_frac = 0.2;    // warmup-stable-decay: the final fraction spent decaying

  // The learning rate at `step` (0-based) of `total_steps`, for a peak of `peak_lr`.
  double LrAt(int64_t step, int64_t total_steps, double peak_lr) const;
  nlohmann::json ToJson() const;
};

// The areas of a schedule given as the LR of each step 1..T (lrs[0] is step 1's), what a loss
// curve depends on (fitter/curve_law.h): S1(s) = eta_1 + ... + eta_s, the forward area, and S2(s)
// = m_1 + ... + m_s with m_i = lambda m_(i-1) + max(eta_(i-1) - eta_i, 0), the annealing area:
// what the LR has dropped by, remembered with momentum lambda.
struct ScheduleAreas {
  std::vector<double> forward;    // S1(s) at index s - 1
  std::vector<double> annealing;  // S2(s) at index s - 1
  int64_t steps() const { return static_cast<int64_t>(forward.size()); }
};

inline constexpr double kAnnealingMomentum = 0.999;

ScheduleAreas AreasOf(const std::vector<double>& lrs, double momentum = kAnnealingMomentum);
// The areas of `schedule` over `total_steps` steps at peak `peak_lr`.
ScheduleAreas AreasOf(const Schedule& schedule, int64_t total_steps, double peak_lr);

Schedule ParseSchedule(const nlohmann::json& value, const std::string& path, FieldReader& reader);

}  // namespace mixlaw

#endif  // MIXLAW_TRAINER_SCHEDULE_H_
