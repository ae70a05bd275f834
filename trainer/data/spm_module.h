// The boundary between mixlaw and SentencePiece.
//
// Debian's libsentencepiece carries its own protobuf-lite (3.14) and exports it. In a process that
// also loads the project's libprotobuf (3.21: the mixlaw binary, through gRPC), one copy
// interposes the other's symbols, and SentencePiece aborts on its protobuf version check (or the
// project's protobuf runs SentencePiece's). So SentencePiece is linked only into the module
// libmixlaw_spm.so (spm_module.cc), which sentencepiece_tokenizer.cc opens with
// RTLD_LOCAL | RTLD_DEEPBIND: the module and SentencePiece bind to their own symbols first, and
// none of theirs enters the process's global scope.
//
// Only standard-library types cross this boundary (both sides share the process's libstdc++ and
// allocator); no exception crosses it. This header includes neither abseil nor SentencePiece:
// SentencePiece's headers declare absl::string_view as std::string_view, which Debian's abseil
// defines as its own class.
#ifndef MIXLAW_TRAINER_DATA_SPM_MODULE_H_
#define MIXLAW_TRAINER_DATA_SPM_MODULE_H_

#include <map>
#include <string>
#include <vector>

namespace mixlaw::spm {

// Raised whenever Api changes.
inline constexpr int kModuleVersion = 1;

// A loaded SentencePiece model. Thread-safe for concurrent const calls.
class Model {
 public:
  virtual ~Model() = default;
  virtual int piece_size() const = 0;
  virtual int bos_id() const = 0;  // -1 when the model has none
  virtual int eos_id() const = 0;
  // False, with *error set, when SentencePiece refuses.
  virtual bool Encode(const std::string& text, std::vector<int>* ids, std::string* error) const = 0;
  // REQUIRES: every id is in [0, piece_size()).
  virtual bool Decode(const std::vector<int>& ids, std::string* text, std::string* error) const = 0;
};

struct Api {
  int version;
  // Trains a model on `documents` (each one sentence) with SentencePiece trainer `flags`
  // ("vocab_size" -> "3072"), its random generator seeded with `seed`; stores the serialized model
  // in *model. False, with *error set, on failure.
  bool (*train)(const std::vector<std::string>& documents,
                const std::map<std::string, std::string>& flags, unsigned seed, std::string* model,
                std::string* error);
  // The model in the file at `path` (the caller owns it), or null with *error set.
  Model* (*load)(const std::string& path, std::string* error);
};

}  // namespace mixlaw::spm

// The module's one exported symbol.
extern "C" const mixlaw::spm::Api* mixlaw_spm_api();
inline constexpr char kSpmApiSymbol[] = "mixlaw_spm_api";

#endif  // MIXLAW_TRAINER_DATA_SPM_MODULE_H_
