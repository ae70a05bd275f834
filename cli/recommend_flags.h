// What `recommend` and `report` share: the target size, the criterion and the transfer rule of
// the recommendation, and how a sweep's runs are fitted; and the check, shared with `fit`, of
// where the runs come from.
#ifndef MIXLAW_CLI_RECOMMEND_FLAGS_H_
#define MIXLAW_CLI_RECOMMEND_FLAGS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "CLI/CLI.hpp"
#include "fitter/fit.h"
#include "fitter/recommend.h"

namespace mixlaw {

struct RecommendationFlags {
  double target_params = 0;  // 0: not given
  double target_tokens = 0;  // 0: not given (the fit's one budget)
  double forgetting_budget = 0;
  double weight = 1;
  double lr_size_exponent = 0;
  double max_lr_over_best = 0;
  FitOptions fit_options;  // with a sweep; 200 bootstrap resamples unless given
  int last_evals = 1;
  CLI::Option* budget_option = nullptr;
  CLI::Option* weight_option = nullptr;
  CLI::Option* exponent_option = nullptr;
  CLI::Option* cliff_option = nullptr;

  // The options given (target_params as given, 0 when not; max_lr_over_best as given, else
  // `spec_max_lr_over_best`: a sweep spec's fit.max_lr_over_best, 0 without one).
  RecommendOptions Options(double spec_max_lr_over_best = 0) const;
  // --max-lr-over-best when given, else `spec_max_lr_over_best`.
  double MaxLrOverBest(double spec_max_lr_over_best) const;
};

// Adds --target-params, --target-tokens, --forgetting-budget | --weight, --lr-size-exponent, and
// for a sweep --max-lr-over-best, --bootstrap, --last-evals and --threads.
void AddRecommendationFlags(CLI::App* command, RecommendationFlags* flags);

// Settles options->target_params: --target-params when given, else (with a sweep) its spec's
// fit.target_params, `spec_target`. The problem, for the user, when neither gives a size.
std::optional<std::string> ResolveTargetParams(int64_t sweep_id, double spec_target,
                                               RecommendOptions* options);

// The runs come from a sweep id or from `file` (the command's `file_flag`), one of them, and
// --last-evals > 1 needs a sweep (`why` says what the file holds instead). Prints the problem
// and returns kExitUsage, or nullopt when the flags agree.
std::optional<int> CheckRunSource(const std::string& command, int64_t sweep_id,
                                  const std::string& file, const std::string& file_flag,
                                  int last_evals, const std::string& why);

// --max-lr-over-best chooses the runs a fit reads, so it needs a sweep, not a FIT.json fitted
// already. Prints the problem and returns kExitUsage, or nullopt.
std::optional<int> CheckCliffSource(const std::string& command, int64_t sweep_id,
                                    const RecommendationFlags& flags);

}  // namespace mixlaw

#endif  // MIXLAW_CLI_RECOMMEND_FLAGS_H_
