// The runs the fitter reads: one row a run with its coordinates (size, tokens, ALMR, peak LR,
// seed) and its final loss per evaluation split, from a sweep's export or a hand-written CSV.
#ifndef MIXLAW_FITTER_OBSERVATIONS_H_
#define MIXLAW_FITTER_OBSERVATIONS_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace mixlaw {

inline constexpr char kSplitBase[] = "eval/base";
inline constexpr char kSplitAdditional[] = "eval/additional";
// The coupling law's two splits, in the order every output shows them.
inline constexpr const char* kCouplingSplits[] = {kSplitAdditional, kSplitBase};
// The split of the single-loss form's one `loss` column.
inline constexpr char kSplitLoss[] = "loss";

struct Observation {
  std::string name;       // the run's name, or "line 7" for a hand-written row
  int line = 0;           // where it was read (0 when not from a file)
  double params = 0;      // N: parameters, the size used for fitting
  double tokens = 0;      // D: CPT tokens; 0 when unknown
  double almr = 0;        // r, in [0, 1]
  double peak_lr = 0;     // eta; 0 when the file has no lr column
  double batch_size = 0;  // sequences per step; 0 when unknown (read, not fitted)
  int64_t seed = 0;
  std::map<std::string, double> final_loss;  // nats per token, by split ("eval/base", ...)
  // By split, in (0, 1]: what the loss counts for in a fit (Point::weight); absent: 1. Only a
  // study's stopped runs carry one, and FIT.json keeps it; no CSV form has it.
  std::map<std::string, double> weight;
};

struct ObservationSet {
  std::string source;                 // the file name, for messages
  std::vector<Observation> runs;      // rows to fit
  std::vector<Observation> diverged;  // excluded from every fit, listed for the user
  // Left out of a recommendation's fit as above max_lr_over_best times their group's best LR
  // (fitter/lr_cliff.h; 0: none were looked for).
  std::vector<Observation> above_best;
  double max_lr_over_best = 0;
  std::vector<std::string> notes;  // rows skipped and why ("line 9: run x is failed: skipped")
  // The single-loss form: one `loss` column (split kSplitLoss), and `almr` and `lr` optional.
  bool single_loss = false;
  bool has_almr = true;  // false: the file has no almr column (every run at r = 0)
  bool has_lr = true;    // false: the file has no lr column (peak_lr 0)
};

// Reads the CSV text of `mixlaw sweep export --table runs --format csv` (header with peak_lr:
// pretrain rows skipped, diverged rows excluded and listed, other unfinished rows skipped with a
// note), the hand-written two-split form params,almr,lr,loss_base,loss_additional[,tokens,seed,
// name], or the single-loss form params,loss[,lr,almr,tokens,batch_size,seed,name] (a header
// with `loss` and neither loss_base nor loss_additional; the loss is on split kSplitLoss).
// InvalidArgument lists every problem with its line and column
// ("losses.csv: line 7, column almr: 1.3 is outside [0, 1]").
absl::StatusOr<ObservationSet> ParseObservationsCsv(std::string_view text,
                                                    const std::string& source);

// ParseObservationsCsv on a file's contents; NotFound when it cannot be read.
absl::StatusOr<ObservationSet> ReadObservationsCsv(const std::string& path);

}  // namespace mixlaw

#endif  // MIXLAW_FITTER_OBSERVATIONS_H_
