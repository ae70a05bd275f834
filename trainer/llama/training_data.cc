// LoadTrainingData: both languages' prepared data, checked to share one tokenizer.
#include "absl/strings/str_cat.h"
#include "trainer/data/prepared_language.h"
#include "trainer/llama/llama_trainer.h"

namespace mixlaw {

absl::StatusOr<TrainingData> LoadTrainingData(const RunConfig& config) {
  if (config.data_base.empty() || config.data_additional.empty()) {
    return absl::InvalidArgumentError(
        "RUN.json: data.base and data.additional must name prepared data (mixlaw data prepare)");
  }
  absl::StatusOr<PreparedLanguage> base = LoadPreparedLanguage(config.data_base);
  if (!base.ok()) return base.status();
  absl::StatusOr<PreparedLanguage> additional = LoadPreparedLanguage(config.data_additional);
  if (!additional.ok()) return additional.status();
  absl::Status same = CheckSameTokenizer(*base, *additional);
  if (!same.ok()) return same;
  TrainingData data;
  data.vocab_size = base->meta.tokenizer.vocab_size;
  data.tokenizer_kind = base->meta.tokenizer.kind;
  data.tokenizer_model = base->model_path;
  data.base_train = std::move(base->train_tokens);
  data.base_val = std::move(base->val_tokens);
  data.additional_train = std::move(additional->train_tokens);
  data.additional_val = std::move(additional->val_tokens);
  return data;
}

}  // namespace mixlaw
