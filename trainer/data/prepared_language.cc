#include "trainer/data/prepared_language.h"

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/file_io.h"
#include "common/json_fields.h"
#include "common/status_macros.h"
#include "trainer/data/shards.h"
#include "trainer/data/tokenizer.h"

namespace mixlaw {

namespace fs = std::filesystem;

namespace {

SplitCounts ReadCounts(const nlohmann::json& j, const char* key, FieldReader& reader) {
  SplitCounts counts;
  auto it = j.find(key);
  if (it == j.end()) {
    reader.Problem(key, "is required");
  } else if (reader.CheckObject(*it, key, {"train", "val"})) {
    counts.train = reader.Integer(*it, key, "train", true, Bounds::NonNegative()).value_or(0);
    counts.val = reader.Integer(*it, key, "val", true, Bounds::NonNegative()).value_or(0);
  }
  return counts;
}

// An array of strings; with `file_names`, each must name a file in the language directory.
std::vector<std::string> ReadStrings(const nlohmann::json& j, const char* key, bool file_names,
                                     FieldReader& reader) {
  std::vector<std::string> strings;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) {
    reader.Problem(key, it == j.end() ? "is required" : "must be an array of strings");
    return strings;
  }
  for (size_t i = 0; i < it->size(); ++i) {
    const nlohmann::json& item = (*it)[i];
    std::string path = IndexPath(key, i);
    if (!item.is_string()) {
      reader.Problem(path, absl::StrCat("must be a string, not ", item.type_name()));
    } else if (std::string s = item.get<std::string>();
               file_names && (s.empty() || s == "." || s == ".." || s.find('/') != s.npos)) {
      reader.Problem(path, absl::StrCat("'", s, "' is not a file name in the directory"));
    } else {
      strings.push_back(s);
    }
  }
  return strings;
}

TokenizerInfo ReadTokenizer(const nlohmann::json& j, FieldReader& reader) {
  TokenizerInfo t;
  const std::string path = "tokenizer";
  auto it = j.find(path);
  if (it == j.end()) {
    reader.Problem(path, "is required");
    return t;
  }
  if (!reader.CheckObject(*it, path, {"kind", "model", "vocab_size", "bos_id", "eos_id"})) return t;
  t.kind = reader.String(*it, path, "kind", true).value_or("");
  if (!t.kind.empty() && t.kind != kTokenizerSpm && t.kind != kTokenizerBytes) {
    reader.Problem("tokenizer.kind", absl::StrCat("'", t.kind, "' is not a tokenizer (expected ",
                                                  kTokenizerSpm, " or ", kTokenizerBytes, ")"));
  }
  if (t.kind == kTokenizerSpm) {
    t.model = reader.String(*it, path, "model", true).value_or("");
  } else if (it->contains("model") && !(*it)["model"].is_null()) {
    reader.Problem("tokenizer.model", "must be null for the bytes tokenizer");
  }
  t.vocab_size = reader.Integer(*it, path, "vocab_size", true, Bounds::AtLeast(1)).value_or(0);
  Bounds id_bounds = {0.0, static_cast<double>(std::max<int64_t>(t.vocab_size, 1)), false, true};
  t.bos_id = reader.Integer(*it, path, "bos_id", true, id_bounds).value_or(0);
  t.eos_id = reader.Integer(*it, path, "eos_id", true, id_bounds).value_or(0);
  return t;
}

// Concatenates the shards `names` of `dir` onto *tokens.
absl::Status ReadShards(const std::string& dir, const std::vector<std::string>& names,
                        int64_t vocab_size, std::vector<uint32_t>* tokens) {
  for (const std::string& name : names) {
    MIXLAW_ASSIGN_OR_RETURN(std::vector<uint32_t> shard,
                            ReadTokenShard((fs::path(dir) / name).string(), vocab_size));
    tokens->insert(tokens->end(), shard.begin(), shard.end());
  }
  return absl::OkStatus();
}

absl::Status CheckSplit(const std::string& meta_path, const char* split, const SplitCounts& tokens,
                        const SplitCounts& documents, const std::vector<uint32_t>& held,
                        uint32_t bos) {
  int64_t want_tokens = std::string(split) == "train" ? tokens.train : tokens.val;
  int64_t want_documents = std::string(split) == "train" ? documents.train : documents.val;
  int64_t held_tokens = static_cast<int64_t>(held.size());
  if (held_tokens != want_tokens) {
    return absl::InvalidArgumentError(absl::StrCat(meta_path, ": tokens.", split, " says ",
                                                   want_tokens, " but the ", split, " shards hold ",
                                                   held_tokens));
  }
  int64_t held_documents = std::count(held.begin(), held.end(), bos);
  if (held_documents != want_documents || (!held.empty() && held.front() != bos)) {
    return absl::InvalidArgumentError(
        absl::StrCat(meta_path, ": documents.", split, " says ", want_documents, " but the ", split,
                     " shards hold ", held_documents, " BOS-delimited documents",
                     held.empty() || held.front() == bos ? "" : " (and do not start with BOS)"));
  }
  return absl::OkStatus();
}

}  // namespace

nlohmann::json LanguageMeta::ToJson() const {
  nlohmann::json model =
      tokenizer.model.empty() ? nlohmann::json(nullptr) : nlohmann::json(tokenizer.model);
  return {{"format", kDataFormat},
          {"language", language},
          {"tokenizer",
           {{"kind", tokenizer.kind},
            {"model", model},
            {"vocab_size", tokenizer.vocab_size},
            {"bos_id", tokenizer.bos_id},
            {"eos_id", tokenizer.eos_id}}},
          {"documents", {{"train", documents.train}, {"val", documents.val}}},
          {"tokens", {{"train", tokens.train}, {"val", tokens.val}}},
          {"train_shards", train_shards},
          {"val_shards", val_shards},
          {"sources", sources},
          {"split", {{"val_fraction", val_fraction}, {"seed", seed}}}};
}

absl::Status WriteLanguageMeta(const std::string& dir, const LanguageMeta& meta) {
  return WriteFileAtomically((fs::path(dir) / kMetaFileName).string(),
                             meta.ToJson().dump(2) + "\n");
}

absl::StatusOr<LanguageMeta> ReadLanguageMeta(const std::string& dir) {
  std::string path = (fs::path(dir) / kMetaFileName).string();
  MIXLAW_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::InvalidArgumentError(path + ": not valid JSON");
  FieldReader reader(path);
  LanguageMeta meta;
  if (!reader.CheckObject(j, "",
                          {"format", "language", "tokenizer", "documents", "tokens", "train_shards",
                           "val_shards", "sources", "split"})) {
    return reader.ToStatus();
  }
  std::string format = reader.String(j, "", "format", true).value_or(kDataFormat);
  if (format != kDataFormat) {
    reader.Problem("format", absl::StrCat("'", format, "' is not '", kDataFormat, "'"));
  }
  meta.language = reader.String(j, "", "language", true).value_or("");
  if (!meta.language.empty() && meta.language != "base" && meta.language != "additional") {
    reader.Problem("language", absl::StrCat("'", meta.language, "' is not base or additional"));
  }
  meta.tokenizer = ReadTokenizer(j, reader);
  meta.documents = ReadCounts(j, "documents", reader);
  meta.tokens = ReadCounts(j, "tokens", reader);
  meta.train_shards = ReadStrings(j, "train_shards", true, reader);
  meta.val_shards = ReadStrings(j, "val_shards", true, reader);
  meta.sources = ReadStrings(j, "sources", false, reader);
  if (j.contains("split") && reader.CheckObject(j["split"], "split", {"val_fraction", "seed"})) {
    meta.val_fraction =
        reader.Number(j["split"], "split", "val_fraction", false, {0.0, 1.0, false, true})
            .value_or(0.0);
    meta.seed =
        reader.Integer(j["split"], "split", "seed", false, Bounds::NonNegative()).value_or(0);
  }
  if (!reader.ok()) return reader.ToStatus();
  return meta;
}

absl::StatusOr<PreparedLanguage> LoadPreparedLanguage(const std::string& dir) {
  PreparedLanguage prepared;
  prepared.dir = dir;
  MIXLAW_ASSIGN_OR_RETURN(prepared.meta, ReadLanguageMeta(dir));
  const LanguageMeta& meta = prepared.meta;
  std::string meta_path = (fs::path(dir) / kMetaFileName).string();
  if (meta.tokenizer.kind == kTokenizerSpm) {
    prepared.model_path = (fs::path(dir) / meta.tokenizer.model).lexically_normal().string();
    std::error_code ec;
    if (!fs::is_regular_file(prepared.model_path, ec)) {
      return absl::NotFoundError(
          absl::StrCat(meta_path, ": tokenizer.model: ", prepared.model_path, " does not exist"));
    }
  }
  int64_t vocab = meta.tokenizer.vocab_size;
  MIXLAW_RETURN_IF_ERROR(ReadShards(dir, meta.train_shards, vocab, &prepared.train_tokens));
  MIXLAW_RETURN_IF_ERROR(ReadShards(dir, meta.val_shards, vocab, &prepared.val_tokens));
  uint32_t bos = static_cast<uint32_t>(meta.tokenizer.bos_id);
  MIXLAW_RETURN_IF_ERROR(
      CheckSplit(meta_path, "train", meta.tokens, meta.documents, prepared.train_tokens, bos));
  MIXLAW_RETURN_IF_ERROR(
      CheckSplit(meta_path, "val", meta.tokens, meta.documents, prepared.val_tokens, bos));
  return prepared;
}

absl::Status CheckSameTokenizer(const PreparedLanguage& a, const PreparedLanguage& b) {
  const TokenizerInfo& x = a.meta.tokenizer;
  const TokenizerInfo& y = b.meta.tokenizer;
  auto differ = [&](const std::string& what) {
    return absl::InvalidArgumentError(
        absl::StrCat(a.dir, " and ", b.dir, " were tokenized differently: ", what));
  };
  if (x.kind != y.kind) return differ(absl::StrCat("tokenizer ", x.kind, " vs ", y.kind));
  if (x.vocab_size != y.vocab_size) {
    return differ(absl::StrCat("vocab_size ", x.vocab_size, " vs ", y.vocab_size));
  }
  if (x.bos_id != y.bos_id || x.eos_id != y.eos_id) {
    return differ(
        absl::StrCat("BOS/EOS ", x.bos_id, "/", x.eos_id, " vs ", y.bos_id, "/", y.eos_id));
  }
  if (x.kind != kTokenizerSpm) return absl::OkStatus();
  std::error_code ec;
  if (fs::equivalent(a.model_path, b.model_path, ec)) return absl::OkStatus();
  MIXLAW_ASSIGN_OR_RETURN(std::string model_a, ReadFileToString(a.model_path));
  MIXLAW_ASSIGN_OR_RETURN(std::string model_b, ReadFileToString(b.model_path));
  if (model_a != model_b) {
    return differ(absl::StrCat("the models ", a.model_path, " and ", b.model_path, " differ"));
  }
  return absl::OkStatus();
}

}  // namespace mixlaw
