// libmixlaw_spm.so: SentencePiece behind the boundary of spm_module.h. Built as a module of its
// own and opened with dlopen; it must include no abseil header (spm_module.h says why).
#include "trainer/data/spm_module.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <memory>
#include <unordered_map>

namespace sentencepiece::logging {
// Exported by libsentencepiece, declared only in its private common.h.
void SetMinLogLevel(int v);
}  // namespace sentencepiece::logging

namespace mixlaw::spm {

namespace {

// Above LOG(FATAL): SentencePiece never writes to std::cerr. Under RTLD_DEEPBIND its std::cerr is
// libstdc++'s own object, which a program holding a copy relocation of std::cerr (any PIE that
// uses it) never constructed; writing to it crashes.
constexpr int kSilentLogLevel = 4;

class DocumentIterator : public sentencepiece::SentenceIterator {
 public:
  explicit DocumentIterator(const std::vector<std::string>& documents) : documents_(documents) {}
  bool done() const override { return next_ >= documents_.size(); }
  void Next() override { ++next_; }
  const std::string& value() const override { return documents_[next_]; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  const std::vector<std::string>& documents_;
  size_t next_ = 0;
};

class SentencePieceModel : public Model {
 public:
  int piece_size() const override { return processor_.GetPieceSize(); }
  int bos_id() const override { return processor_.bos_id(); }
  int eos_id() const override { return processor_.eos_id(); }

  bool Encode(const std::string& text, std::vector<int>* ids, std::string* error) const override {
    return Check(processor_.Encode(text, ids), error);
  }

  bool Decode(const std::vector<int>& ids, std::string* text, std::string* error) const override {
    return Check(processor_.Decode(ids, text), error);
  }

  bool Load(const std::string& path, std::string* error) {
    return Check(processor_.Load(path), error);
  }

  static bool Check(const sentencepiece::util::Status& status, std::string* error) {
    if (!status.ok()) *error = status.ToString();
    return status.ok();
  }

 private:
  sentencepiece::SentencePieceProcessor processor_;
};

bool Train(const std::vector<std::string>& documents,
           const std::map<std::string, std::string>& flags, unsigned seed, std::string* model,
           std::string* error) {
  sentencepiece::logging::SetMinLogLevel(kSilentLogLevel);
  sentencepiece::SetRandomGeneratorSeed(seed);
  std::unordered_map<std::string, std::string> kwargs(flags.begin(), flags.end());
  DocumentIterator iterator(documents);
  return SentencePieceModel::Check(
      sentencepiece::SentencePieceTrainer::Train(kwargs, &iterator, model), error);
}

Model* Load(const std::string& path, std::string* error) {
  sentencepiece::logging::SetMinLogLevel(kSilentLogLevel);
  auto model = std::make_unique<SentencePieceModel>();
  if (!model->Load(path, error)) return nullptr;
  return model.release();
}

const Api kApi = {kModuleVersion, &Train, &Load};

}  // namespace

}  // namespace mixlaw::spm

extern "C" __attribute__((visibility("default"))) const mixlaw::spm::Api* mixlaw_spm_api() {
  return &mixlaw::spm::kApi;
}
