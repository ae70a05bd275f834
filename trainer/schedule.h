// Learning-rate schedules: linear warmup, then cosine to a floor, warmup-stable-decay, or constant.
#ifndef MIXLAW_TRAINER_SCHEDULE_H_
#define MIXLAW_TRAINER_SCHEDULE_H_

#include <cstdint>
#include <string>

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

Schedule ParseSchedule(const nlohmann::json& value, const std::string& path, FieldReader& reader);

}  // namespace mixlaw

#endif  // MIXLAW_TRAINER_SCHEDULE_H_
