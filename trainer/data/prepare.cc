#include "trainer/data/prepare.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>

#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "trainer/data/corpus.h"
#include "trainer/data/sentencepiece_tokenizer.h"
#include "trainer/data/shards.h"

namespace mixlaw {

namespace fs = std::filesystem;

namespace {

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

absl::Status CheckOptions(const PrepareOptions& o) {
  auto bad = [](const std::string& message) { return absl::InvalidArgumentError(message); };
  if (o.out_dir.empty()) return bad("no output directory");
  if (o.base_inputs.empty()) return bad("base: no inputs");
  if (o.additional_inputs.empty()) return bad("additional: no inputs");
  if (o.tokenizer != kTokenizerSpm && o.tokenizer != kTokenizerBytes) {
    return bad(absl::StrCat("tokenizer '", o.tokenizer, "' is not ", kTokenizerSpm, " or ",
                            kTokenizerBytes));
  }
  if (o.tokenizer == kTokenizerSpm &&
      (o.vocab_size < 260 || o.vocab_size > std::numeric_limits<int32_t>::max())) {
    return bad(absl::StrCat("vocab size ", o.vocab_size,
                            " is outside [260, 2^31): the byte "
                            "fallback and the control pieces alone take 259"));
  }
  if (!(o.val_fraction >= 0.0 && o.val_fraction < 1.0)) {
    return bad(absl::StrCat("validation fraction ", o.val_fraction, " is outside [0, 1)"));
  }
  if (o.seed < 0) return bad(absl::StrCat("seed ", o.seed, " must be >= 0"));
  if (o.shard_tokens < 1 || o.shard_tokens > std::numeric_limits<int32_t>::max()) {
    return bad(absl::StrCat("shard size ", o.shard_tokens, " is outside [1, 2^31)"));
  }
  return absl::OkStatus();
}

struct LanguageData {
  std::string name;  // "base" or "additional"
  std::vector<std::string> files;
  std::vector<std::string> documents;
  DocumentSplit split;
};

absl::StatusOr<LanguageData> ReadLanguage(const std::string& name,
                                          const std::vector<std::string>& inputs, DemoCorpus demo,
                                          const PrepareOptions& options) {
  LanguageData data;
  data.name = name;
  MIXLAW_ASSIGN_OR_RETURN(data.files, ResolveInputs(inputs, demo));
  if (data.files.empty()) return absl::InvalidArgumentError(name + ": the inputs hold no files");
  MIXLAW_ASSIGN_OR_RETURN(data.documents, ReadCorpus(data.files));
  if (data.documents.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": no documents in ", data.files.size(), " files"));
  }
  data.split = SplitDocuments(data.documents.size(), options.val_fraction, options.seed);
  return data;
}

// Encodes the documents `order` of `documents`, each as BOS + its tokens, into shards
// "SPLIT_NNNNNN.bin" of `dir` holding `shard_tokens` tokens each (the last fewer); none when there
// are no documents.
absl::Status WriteSplit(const Tokenizer& tokenizer, const LanguageData& data,
                        const std::vector<size_t>& order, const std::string& dir,
                        const std::string& split, int64_t shard_tokens,
                        std::vector<std::string>* shard_names, int64_t* tokens) {
  std::vector<uint32_t> buffer;
  auto write = [&](size_t count) -> absl::Status {
    std::string name = ShardFileName(split, static_cast<int64_t>(shard_names->size()));
    std::vector<uint32_t> rest(buffer.begin() + static_cast<std::ptrdiff_t>(count), buffer.end());
    buffer.resize(count);
    MIXLAW_RETURN_IF_ERROR(WriteTokenShard((fs::path(dir) / name).string(), buffer));
    shard_names->push_back(name);
    buffer = std::move(rest);
    return absl::OkStatus();
  };
  *tokens = 0;
  for (size_t index : order) {
    absl::StatusOr<std::vector<uint32_t>> encoded = tokenizer.Encode(data.documents[index]);
    if (!encoded.ok()) {
      return absl::InternalError(
          absl::StrCat(data.name, ": document ", index, ": ", encoded.status().message()));
    }
    buffer.push_back(tokenizer.bos_id());
    buffer.insert(buffer.end(), encoded->begin(), encoded->end());
    *tokens += static_cast<int64_t>(encoded->size()) + 1;
    while (static_cast<int64_t>(buffer.size()) >= shard_tokens) {
      MIXLAW_RETURN_IF_ERROR(write(static_cast<size_t>(shard_tokens)));
    }
  }
  if (!buffer.empty()) MIXLAW_RETURN_IF_ERROR(write(buffer.size()));
  return absl::OkStatus();
}

absl::StatusOr<LanguageSummary> WriteLanguage(const Tokenizer& tokenizer, const LanguageData& data,
                                              const TokenizerInfo& info,
                                              const PrepareOptions& options) {
  std::string dir = (fs::path(options.out_dir) / data.name).string();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return absl::InternalError(absl::StrCat(dir, ": cannot be created: ", ec.message()));
  LanguageMeta meta;
  meta.language = data.name;
  meta.tokenizer = info;
  if (!info.model.empty()) meta.tokenizer.model = (fs::path("..") / info.model).string();
  meta.documents = {static_cast<int64_t>(data.split.train.size()),
                    static_cast<int64_t>(data.split.val.size())};
  MIXLAW_RETURN_IF_ERROR(WriteSplit(tokenizer, data, data.split.train, dir, "train",
                                    options.shard_tokens, &meta.train_shards, &meta.tokens.train));
  MIXLAW_RETURN_IF_ERROR(WriteSplit(tokenizer, data, data.split.val, dir, "val",
                                    options.shard_tokens, &meta.val_shards, &meta.tokens.val));
  meta.sources = data.files;
  meta.val_fraction = options.val_fraction;
  meta.seed = options.seed;
  MIXLAW_RETURN_IF_ERROR(WriteLanguageMeta(dir, meta));
  LanguageSummary summary;
  summary.language = data.name;
  summary.files = static_cast<int64_t>(data.files.size());
  summary.documents = meta.documents;
  summary.tokens = meta.tokens;
  return summary;
}

nlohmann::json CountsJson(const SplitCounts& c) { return {{"train", c.train}, {"val", c.val}}; }

nlohmann::json LanguageJson(const LanguageSummary& s) {
  return {
      {"files", s.files}, {"documents", CountsJson(s.documents)}, {"tokens", CountsJson(s.tokens)}};
}

}  // namespace

DocumentSplit SplitDocuments(size_t count, double val_fraction, int64_t seed) {
  std::vector<std::pair<uint64_t, size_t>> keyed(count);
  const uint64_t stream = SplitMix64(static_cast<uint64_t>(seed));
  for (size_t i = 0; i < count; ++i) keyed[i] = {SplitMix64(stream ^ SplitMix64(i)), i};
  std::sort(keyed.begin(), keyed.end());
  size_t val = static_cast<size_t>(std::llround(val_fraction * static_cast<double>(count)));
  if (val_fraction > 0.0 && val == 0 && count >= 2) val = 1;
  if (count > 0 && val >= count) val = count - 1;
  DocumentSplit split;
  for (size_t k = 0; k < count; ++k) {
    (k < val ? split.val : split.train).push_back(keyed[k].second);
  }
  return split;
}

nlohmann::json PrepareSummary::ToJson() const {
  nlohmann::json model =
      tokenizer.model.empty() ? nlohmann::json(nullptr) : nlohmann::json(tokenizer.model);
  return {{"out", out_dir},
          {"tokenizer",
           {{"kind", tokenizer.kind},
            {"model", model},
            {"vocab_size", tokenizer.vocab_size},
            {"bos_id", tokenizer.bos_id},
            {"eos_id", tokenizer.eos_id}}},
          {"languages", {{"base", LanguageJson(base)}, {"additional", LanguageJson(additional)}}},
          {"seconds", {{"tokenizer", tokenizer_seconds}, {"total", total_seconds}}}};
}

absl::StatusOr<PrepareSummary> PrepareData(const PrepareOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  MIXLAW_RETURN_IF_ERROR(CheckOptions(options));
  MIXLAW_ASSIGN_OR_RETURN(LanguageData base,
                          ReadLanguage("base", options.base_inputs, DemoCorpus::kEnglish, options));
  MIXLAW_ASSIGN_OR_RETURN(
      LanguageData additional,
      ReadLanguage("additional", options.additional_inputs, DemoCorpus::kChinese, options));
  MIXLAW_LOG(Info) << "read " << base.documents.size() << " base documents from "
                   << base.files.size() << " files, " << additional.documents.size()
                   << " additional documents from " << additional.files.size() << " files";
  std::error_code ec;
  fs::create_directories(options.out_dir, ec);
  if (ec) {
    return absl::InternalError(
        absl::StrCat(options.out_dir, ": cannot be created: ", ec.message()));
  }
  PrepareSummary summary;
  summary.out_dir = options.out_dir;
  std::unique_ptr<Tokenizer> tokenizer;
  if (options.tokenizer == kTokenizerSpm) {
    const auto train_start = std::chrono::steady_clock::now();
    std::vector<std::string> training;
    for (const LanguageData* data : {&base, &additional}) {
      for (size_t i : data->split.train) training.push_back(data->documents[i]);
    }
    std::string model_path = (fs::path(options.out_dir) / kTokenizerModelFileName).string();
    SentencePieceTrainOptions train_options;
    train_options.vocab_size = options.vocab_size;
    train_options.seed = static_cast<uint32_t>(options.seed);
    MIXLAW_LOG(Info) << "training a " << options.vocab_size << "-piece BPE tokenizer on "
                     << training.size() << " documents";
    MIXLAW_RETURN_IF_ERROR(TrainSentencePiece(training, model_path, train_options));
    MIXLAW_ASSIGN_OR_RETURN(tokenizer, SentencePieceTokenizer::Load(model_path));
    summary.tokenizer.model = kTokenizerModelFileName;
    summary.tokenizer_seconds = SecondsSince(train_start);
  } else {
    tokenizer = std::make_unique<ByteTokenizer>();
  }
  summary.tokenizer.kind = tokenizer->kind();
  summary.tokenizer.vocab_size = tokenizer->vocab_size();
  summary.tokenizer.bos_id = tokenizer->bos_id();
  summary.tokenizer.eos_id = tokenizer->eos_id();
  MIXLAW_ASSIGN_OR_RETURN(summary.base,
                          WriteLanguage(*tokenizer, base, summary.tokenizer, options));
  MIXLAW_ASSIGN_OR_RETURN(summary.additional,
                          WriteLanguage(*tokenizer, additional, summary.tokenizer, options));
  summary.total_seconds = SecondsSince(start);
  return summary;
}

}  // namespace mixlaw
