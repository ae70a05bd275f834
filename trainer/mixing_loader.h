// Training batches that mix two token streams: each sequence comes from the additional language
// with probability ALMR, stratified so that after every batch the number of additional-language
// sequences is round(ALMR x sequences so far): the realised ratio is exact to one sequence.
// Evaluation batches walk a validation split whole, in a fixed order.
#ifndef MIXLAW_TRAINER_MIXING_LOADER_H_
#define MIXLAW_TRAINER_MIXING_LOADER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/json_fields.h"
#include "nlohmann/json.hpp"

namespace mixlaw {

// Sequences of T + 1 tokens cut from a stream at stride T (inputs are the first T, targets the
// last T), visited in a seeded random order, reshuffled every epoch.
class TokenStream {
 public:
  // REQUIRES: tokens.size() > T
  TokenStream(const std::vector<uint32_t>* tokens, int T, uint64_t seed);
  // Writes the next sequence's T + 1 tokens.
  void Next(int32_t* out);
  int64_t sequences() const { return count_; }
  nlohmann::json State() const { return {{"epoch", epoch_}, {"index", index_}}; }
  // Continues from State()'s `state`, found at `path` of a file; each missing or out-of-range
  // field is a problem recorded in `reader`, and the stream is left as it was.
  void Restore(const nlohmann::json& state, const std::string& path, FieldReader& reader);

 private:
  void Shuffle();
  const std::vector<uint32_t>* tokens_;
  int T_;
  uint64_t seed_;
  int64_t count_;
  int64_t epoch_ = 0;
  int64_t index_ = 0;
  std::vector<int64_t> order_;
};

class MixingLoader {
 public:
  MixingLoader(const std::vector<uint32_t>* base, const std::vector<uint32_t>* additional,
               double almr, int B, int T, uint64_t seed);

  // Fills inputs and targets (B, T) with the next batch.
  void NextBatch(int32_t* inputs, int32_t* targets);

  int64_t additional_sequences() const { return additional_so_far_; }
  int64_t sequences() const { return batches_ * B_; }
  // Everything needed to continue exactly where the loader is.
  nlohmann::json State() const;
  // As TokenStream::Restore: problems go to `reader`, and the loader is unchanged by a bad state.
  void Restore(const nlohmann::json& state, const std::string& path, FieldReader& reader);

 private:
  double almr_;
  int B_, T_;
  uint64_t seed_;
  TokenStream base_, additional_;
  int64_t batches_ = 0;
  int64_t additional_so_far_ = 0;
  std::vector<int32_t> sequence_;
};

// The validation split cut into sequences of T + 1 at stride T, in order, batched by B; the last
// batch is padded with ignored targets (-1).
class EvalBatches {
 public:
  EvalBatches(const std::vector<uint32_t>* tokens, int B, int T);
  int64_t batches() const { return (count_ + B_ - 1) / B_; }
  int64_t sequences() const { return count_; }
  void Batch(int64_t index, int32_t* inputs, int32_t* targets) const;

 private:
  const std::vector<uint32_t>* tokens_;
  int B_, T_;
  int64_t count_;
};

}  // namespace mixlaw

#endif  // MIXLAW_TRAINER_MIXING_LOADER_H_
