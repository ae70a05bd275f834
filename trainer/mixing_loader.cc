#include "trainer/mixing_loader.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>
#include <random>

#include "absl/strings/str_cat.h"

namespace mixlaw {

TokenStream::TokenStream(const std::vector<uint32_t>* tokens, int T, uint64_t seed)
    : tokens_(tokens), T_(T), seed_(seed) {
  count_ =
      tokens->size() > static_cast<size_t>(T) ? static_cast<int64_t>(tokens->size() - 1) / T : 0;
  Shuffle();
}

void TokenStream::Shuffle() {
  order_.resize(static_cast<size_t>(count_));
  std::iota(order_.begin(), order_.end(), 0);
  std::mt19937_64 rng(seed_ * 0x9E3779B97F4A7C15ULL + static_cast<uint64_t>(epoch_));
  // Fisher-Yates with our own index draws: the order is the same with every standard library.
  for (size_t i = order_.size(); i > 1; --i) {
    size_t j = static_cast<size_t>(rng() % i);
    std::swap(order_[i - 1], order_[j]);
  }
}

void TokenStream::Next(int32_t* out) {
  if (index_ >= count_) {
    ++epoch_;
    index_ = 0;
    Shuffle();
  }
  int64_t start = order_[static_cast<size_t>(index_++)] * T_;
  for (int i = 0; i <= T_; ++i)
    out[i] = static_cast<int32_t>((*tokens_)[static_cast<size_t>(start + i)]);
}

void TokenStream::Restore(const nlohmann::json& state, const std::string& path,
                          FieldReader& reader) {
  if (!state.is_object()) {
    reader.Problem(path, absl::StrCat("must be an object, not ", state.type_name()));
    return;
  }
  std::optional<int64_t> epoch = reader.Integer(state, path, "epoch", true, Bounds::AtLeast(0));
  std::optional<int64_t> index =
      reader.Integer(state, path, "index", true, Bounds::Closed(0, count_));
  if (!epoch || !index) return;
  epoch_ = *epoch;
  index_ = *index;
  Shuffle();
}

MixingLoader::MixingLoader(const std::vector<uint32_t>* base,
                           const std::vector<uint32_t>* additional, double almr, int B, int T,
                           uint64_t seed)
    : almr_(almr),
      B_(B),
      T_(T),
      seed_(seed),
      base_(base, T, seed * 2 + 1),
      additional_(additional, T, seed * 2 + 2),
      sequence_(static_cast<size_t>(T) + 1) {}

void MixingLoader::NextBatch(int32_t* inputs, int32_t* targets) {
  // How many of this batch's sequences come from the additional language.
  int64_t due = std::llround(almr_ * static_cast<double>((batches_ + 1) * B_));
  int take = static_cast<int>(std::clamp<int64_t>(due - additional_so_far_, 0, B_));
  std::vector<char> from_additional(static_cast<size_t>(B_), 0);
  std::fill(from_additional.begin(), from_additional.begin() + take, 1);
  std::mt19937_64 rng(seed_ * 0xD1B54A32D192ED03ULL + static_cast<uint64_t>(batches_));
  for (size_t i = from_additional.size(); i > 1; --i) {
    std::swap(from_additional[i - 1], from_additional[static_cast<size_t>(rng() % i)]);
  }
  for (int b = 0; b < B_; ++b) {
    (from_additional[static_cast<size_t>(b)] ? additional_ : base_).Next(sequence_.data());
    std::copy(sequence_.begin(), sequence_.end() - 1, inputs + static_cast<int64_t>(b) * T_);
    std::copy(sequence_.begin() + 1, sequence_.end(), targets + static_cast<int64_t>(b) * T_);
  }
  additional_so_far_ += take;
  ++batches_;
}

nlohmann::json MixingLoader::State() const {
  return {{"batches", batches_},
          {"additional_sequences", additional_so_far_},
          {"base", base_.State()},
          {"additional", additional_.State()}};
}

void MixingLoader::Restore(const nlohmann::json& state, const std::string& path,
                           FieldReader& reader) {
  if (!state.is_object()) {
    reader.Problem(path, absl::StrCat("must be an object, not ", state.type_name()));
    return;
  }
  const size_t problems = reader.problems().size();
  std::optional<int64_t> batches = reader.Integer(state, path, "batches", true, Bounds::AtLeast(0));
  std::optional<int64_t> additional =
      reader.Integer(state, path, "additional_sequences", true,
                     Bounds::Closed(0, batches.value_or(0) * static_cast<int64_t>(B_)));
  for (const char* stream : {"base", "additional"}) {
    if (!state.contains(stream)) reader.Problem(JoinPath(path, stream), "is required");
  }
  if (reader.problems().size() != problems) return;
  // Both streams are checked on copies first, so that a bad second one changes neither.
  TokenStream base = base_, additional_stream = additional_;
  base.Restore(state["base"], JoinPath(path, "base"), reader);
  additional_stream.Restore(state["additional"], JoinPath(path, "additional"), reader);
  if (reader.problems().size() != problems) return;
  batches_ = *batches;
  additional_so_far_ = *additional;
  base_ = std::move(base);
  additional_ = std::move(additional_stream);
}

EvalBatches::EvalBatches(const std::vector<uint32_t>* tokens, int B, int T)
    : tokens_(tokens), B_(B), T_(T) {
  count_ =
      tokens->size() > static_cast<size_t>(T) ? static_cast<int64_t>(tokens->size() - 1) / T : 0;
}

void EvalBatches::Batch(int64_t index, int32_t* inputs, int32_t* targets) const {
  for (int b = 0; b < B_; ++b) {
    int64_t seq = index * B_ + b;
    int32_t* in = inputs + static_cast<int64_t>(b) * T_;
    int32_t* tg = targets + static_cast<int64_t>(b) * T_;
    if (seq >= count_) {
      std::fill(in, in + T_, 0);
      std::fill(tg, tg + T_, -1);
      continue;
    }
    int64_t start = seq * T_;
    for (int t = 0; t < T_; ++t) {
      in[t] = static_cast<int32_t>((*tokens_)[static_cast<size_t>(start + t)]);
      tg[t] = static_cast<int32_t>((*tokens_)[static_cast<size_t>(start + t + 1)]);
    }
  }
}

}  // namespace mixlaw
