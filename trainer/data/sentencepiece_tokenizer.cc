#include "trainer/data/sentencepiece_tokenizer.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/file_io.h"
#include "common/status_macros.h"
#include "trainer/data/corpus.h"
#include "trainer/data/spm_module.h"

namespace mixlaw {

namespace {

// Documents longer than this many bytes are left out of training (SentencePiece's default is
// 4192, which would drop the longest fortunes).
constexpr int64_t kMaxTrainingDocumentBytes = 1 << 20;

// Where libmixlaw_spm.so may be: $MIXLAW_SPM_MODULE, beside the running program, then where the
// build put it.
std::vector<std::string> ModuleCandidates() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("MIXLAW_SPM_MODULE"); env != nullptr && *env != '\0') {
    candidates.push_back(env);
  }
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) candidates.push_back((self.parent_path() / "libmixlaw_spm.so").string());
#ifdef MIXLAW_SPM_MODULE_PATH
  candidates.push_back(MIXLAW_SPM_MODULE_PATH);
#endif
  return candidates;
}

// The sanitizers' runtimes refuse RTLD_DEEPBIND (they must see every call into libc). A sanitized
// build (MIXLAW_SANITIZE) opens the module without it, which works only in a process that has not
// loaded the project's libprotobuf: the data tests, not the mixlaw binary (spm_module.h).
#ifdef MIXLAW_SPM_NO_DEEPBIND
constexpr int kDeepBind = 0;
#else
constexpr int kDeepBind = RTLD_DEEPBIND;
#endif

absl::StatusOr<const spm::Api*> OpenModule() {
  std::vector<std::string> problems;
  for (const std::string& path : ModuleCandidates()) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) continue;
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | kDeepBind);
    if (handle == nullptr) {
      problems.push_back(dlerror());
      continue;
    }
    auto entry = reinterpret_cast<const spm::Api* (*)()>(dlsym(handle, kSpmApiSymbol));
    const spm::Api* api = entry == nullptr ? nullptr : entry();
    if (api == nullptr || api->version != spm::kModuleVersion) {
      problems.push_back(
          absl::StrCat(path, ": not a libmixlaw_spm.so of version ", spm::kModuleVersion));
      continue;
    }
    return api;  // the handle stays open for the life of the process
  }
  if (problems.empty()) problems.push_back("not found");
  return absl::NotFoundError(absl::StrCat(
      "the SentencePiece module libmixlaw_spm.so cannot be loaded (set MIXLAW_SPM_MODULE to its "
      "path): ",
      absl::StrJoin(problems, "; ")));
}

// The module, opened once per process.
absl::StatusOr<const spm::Api*> Module() {
  static const absl::StatusOr<const spm::Api*> module = OpenModule();
  return module;
}

}  // namespace

SentencePieceTokenizer::SentencePieceTokenizer(std::unique_ptr<spm::Model> model)
    : model_(std::move(model)),
      vocab_size_(model_->piece_size()),
      bos_id_(static_cast<uint32_t>(model_->bos_id())),
      eos_id_(static_cast<uint32_t>(model_->eos_id())) {}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

absl::StatusOr<std::unique_ptr<SentencePieceTokenizer>> SentencePieceTokenizer::Load(
    const std::string& path) {
  MIXLAW_ASSIGN_OR_RETURN(const spm::Api* api, Module());
  std::string error;
  std::unique_ptr<spm::Model> model(api->load(path, &error));
  if (model == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a SentencePiece model: ", error));
  }
  if (model->bos_id() < 0 || model->eos_id() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": the model has no BOS or no EOS piece"));
  }
  return std::unique_ptr<SentencePieceTokenizer>(new SentencePieceTokenizer(std::move(model)));
}

absl::StatusOr<std::vector<uint32_t>> SentencePieceTokenizer::Encode(
    const std::string& text) const {
  std::vector<int> ids;
  std::string error;
  if (!model_->Encode(text, &ids, &error)) {
    return absl::InternalError(absl::StrCat("SentencePiece cannot encode: ", error));
  }
  return std::vector<uint32_t>(ids.begin(), ids.end());
}

absl::StatusOr<std::string> SentencePieceTokenizer::Decode(
    const std::vector<uint32_t>& tokens) const {
  std::vector<int> ids;
  ids.reserve(tokens.size());
  for (uint32_t t : tokens) {
    if (t >= vocab_size_) {
      return absl::InvalidArgumentError(
          absl::StrCat("token ", t, " is outside the vocabulary of ", vocab_size_));
    }
    ids.push_back(static_cast<int>(t));
  }
  std::string text, error;
  if (!model_->Decode(ids, &text, &error)) {
    return absl::InternalError(absl::StrCat("SentencePiece cannot decode: ", error));
  }
  return text;
}

absl::Status TrainSentencePiece(const std::vector<std::string>& documents,
                                const std::string& model_path,
                                const SentencePieceTrainOptions& options) {
  if (documents.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(model_path, ": no documents to train on"));
  }
  MIXLAW_ASSIGN_OR_RETURN(const spm::Api* api, Module());
  const std::map<std::string, std::string> flags = {
      {"model_type", "bpe"},
      {"vocab_size", absl::StrCat(options.vocab_size)},
      {"character_coverage", absl::StrCat(options.character_coverage)},
      {"byte_fallback", "true"},
      {"num_threads", absl::StrCat(options.num_threads)},
      // Every document, in the order given: training is deterministic.
      {"input_sentence_size", "0"},
      {"shuffle_input_sentence", "false"},
      {"max_sentence_length", absl::StrCat(kMaxTrainingDocumentBytes)},
      // No normalization, so that Decode(Encode(text)) == text.
      {"normalization_rule_name", "identity"},
      {"remove_extra_whitespaces", "false"},
      {"add_dummy_prefix", "true"},
      {"allow_whitespace_only_pieces", "true"},
      {"unk_id", absl::StrCat(kSpmUnkId)},
      {"bos_id", absl::StrCat(kSpmBosId)},
      {"eos_id", absl::StrCat(kSpmEosId)},
      {"pad_id", "-1"},
  };
  std::string model, error;
  if (!api->train(documents, flags, options.seed, &model, &error)) {
    return absl::InvalidArgumentError(
        absl::StrCat(model_path, ": SentencePiece training failed: ", error));
  }
  return WriteFileAtomically(model_path, model);
}

}  // namespace mixlaw
