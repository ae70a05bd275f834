#include "cli/recommend_flags.h"

#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cli/commands.h"

namespace mixlaw {

RecommendOptions RecommendationFlags::Options(double spec_max_lr_over_best) const {
  RecommendOptions options;
  options.max_lr_over_best = MaxLrOverBest(spec_max_lr_over_best);
  options.target_params = target_params;
  options.target_tokens = target_tokens;
  if (budget_option->count() > 0) options.forgetting_budget = forgetting_budget;
  if (weight_option->count() > 0) options.weight = weight;
  if (exponent_option->count() > 0) options.lr_size_exponent = lr_size_exponent;
  return options;
}

double RecommendationFlags::MaxLrOverBest(double spec_max_lr_over_best) const {
  return cliff_option->count() > 0 ? max_lr_over_best : spec_max_lr_over_best;
}

void AddRecommendationFlags(CLI::App* command, RecommendationFlags* f) {
  command
      ->add_option("--target-params", f->target_params,
                   "Parameters of the target model (70e9); default with a sweep: its spec's "
                   "fit.target_params")
      ->check(CLI::PositiveNumber);
  command
      ->add_option("--target-tokens", f->target_tokens,
                   "The target's token budget D, read where the runs varied D (the law's LR "
                   "optimum then reads it); default: the runs' one budget, the spec's")
      ->check(CLI::PositiveNumber);
  f->budget_option = command->add_option(
      "--forgetting-budget", f->forgetting_budget,
      "Nats the base-language loss may rise above its r = 0 optimum; minimise the additional loss");
  f->weight_option = command->add_option("--weight", f->weight,
                                         "Minimise L_additional + W * L_base (the default, W = 1)");
  f->budget_option->excludes(f->weight_option);
  f->exponent_option = command->add_option(
      "--lr-size-exponent", f->lr_size_exponent,
      "Transfer rule: the optimal LR scales as N^-E from the largest proxy size");
  f->cliff_option =
      command
          ->add_option("--max-lr-over-best", f->max_lr_over_best,
                       "With a sweep: fit without the runs above F times their (size, ALMR) "
                       "group's best LR (0: every run); default: its spec's fit.max_lr_over_best")
          ->check(CLI::Validator(
              [](std::string& value) -> std::string {
                double factor = -1;
                if (!absl::SimpleAtod(value, &factor) || !(factor == 0 || factor > 1)) {
                  return "must be 0 (every run) or a factor above 1";
                }
                return "";
              },
              "0 or >1"));
  f->fit_options.bootstrap = 200;
  command
      ->add_option("--bootstrap", f->fit_options.bootstrap,
                   "With a sweep: bootstrap resamples of its runs for the intervals")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  command
      ->add_option("--last-evals", f->last_evals,
                   "With a sweep: each run's loss is the mean of its last K evaluations")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  command->add_option("--threads", f->fit_options.threads, "With a sweep: fitting threads")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
}

std::optional<std::string> ResolveTargetParams(int64_t sweep_id, double spec_target,
                                               RecommendOptions* options) {
  if (options->target_params > 0) return std::nullopt;
  if (sweep_id == 0) return "--target-params: required with --fit (FIT.json has no target)";
  options->target_params = spec_target;
  if (options->target_params > 0) return std::nullopt;
  return absl::StrCat("--target-params: required, as sweep ", sweep_id,
                      "'s spec sets no fit.target_params");
}

std::optional<int> CheckRunSource(const std::string& command, int64_t sweep_id,
                                  const std::string& file, const std::string& file_flag,
                                  int last_evals, const std::string& why) {
  if (file.empty() == (sweep_id == 0)) {
    std::cerr << "mixlaw " << command << ": give a sweep id or " << file_flag << " (one of them)\n";
    return kExitUsage;
  }
  if (last_evals > 1 && sweep_id == 0) {
    std::cerr << "mixlaw " << command << ": --last-evals needs a sweep (" << why << ")\n";
    return kExitUsage;
  }
  return std::nullopt;
}

std::optional<int> CheckCliffSource(const std::string& command, int64_t sweep_id,
                                    const RecommendationFlags& flags) {
  if (sweep_id != 0 || flags.cliff_option->count() == 0) return std::nullopt;
  std::cerr << "mixlaw " << command
            << ": --max-lr-over-best needs a sweep (FIT.json was fitted on the runs it chose)\n";
  return kExitUsage;
}

}  // namespace mixlaw
