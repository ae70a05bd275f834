// mixlaw data prepare: text corpora to a tokenizer and token shards (docs/data.md).
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "trainer/data/corpus.h"
#include "trainer/data/prepare.h"

namespace mixlaw {

namespace {

struct DataFlags {
  PrepareOptions options;
  bool demo = false;
  bool json = false;
  CLI::Option* vocab_size = nullptr;
};

void PrintSummary(const PrepareSummary& s) {
  std::printf("prepared %s in %.1f s\n  tokenizer %s, vocabulary %lld", s.out_dir.c_str(),
              s.total_seconds, s.tokenizer.kind.c_str(),
              static_cast<long long>(s.tokenizer.vocab_size));
  if (!s.tokenizer.model.empty()) {
    std::printf(", %s/%s (trained in %.1f s)", s.out_dir.c_str(), s.tokenizer.model.c_str(),
                s.tokenizer_seconds);
  }
  std::printf("\n  %-10s %-5s %9s %11s %10s\n", "language", "split", "documents", "tokens",
              "tokens/doc");
  for (const LanguageSummary* language : {&s.base, &s.additional}) {
    for (bool train : {true, false}) {
      int64_t documents = train ? language->documents.train : language->documents.val;
      int64_t tokens = train ? language->tokens.train : language->tokens.val;
      std::printf(
          "  %-10s %-5s %9lld %11lld %10.1f\n", language->language.c_str(), train ? "train" : "val",
          static_cast<long long>(documents), static_cast<long long>(tokens),
          documents > 0 ? static_cast<double>(tokens) / static_cast<double>(documents) : 0.0);
    }
  }
}

int RunPrepare(DataFlags& f) {
  if (f.demo) {
    f.options.base_inputs = {kDemoInput};
    f.options.additional_inputs = {kDemoInput};
  }
  if (f.options.base_inputs.empty() || f.options.additional_inputs.empty()) {
    std::cerr << "mixlaw data prepare: give --base and --additional, or --demo\n";
    return kExitUsage;
  }
  if (f.options.tokenizer == kTokenizerBytes && f.vocab_size->count() > 0) {
    std::cerr << "mixlaw data prepare: --vocab-size is for --tokenizer spm; bytes has 258\n";
    return kExitUsage;
  }
  absl::StatusOr<PrepareSummary> summary = PrepareData(f.options);
  if (!summary.ok()) {
    std::cerr << "mixlaw data prepare: " << summary.status().message() << "\n";
    bool bad_input = summary.status().code() == absl::StatusCode::kInvalidArgument ||
                     summary.status().code() == absl::StatusCode::kNotFound;
    return bad_input ? kExitUsage : kExitError;
  }
  if (f.json) {
    std::cout << summary->ToJson().dump(2) << "\n";
  } else {
    PrintSummary(*summary);
  }
  return kExitOk;
}

}  // namespace

void AddDataCommand(CLI::App& app, int* exit_code) {
  static DataFlags f;
  CLI::App* data = app.add_subcommand("data", "Prepare training data");
  data->require_subcommand(1);

  CLI::App* prepare = data->add_subcommand(
      "prepare", "Read text corpora, train a tokenizer and write token shards per language");
  CLI::Option* base = prepare->add_option(
      "--base", f.options.base_inputs,
      "Base-language text: files or directories of %-separated documents, or 'demo'");
  CLI::Option* additional =
      prepare->add_option("--additional", f.options.additional_inputs,
                          "Additional-language text: files or directories, or 'demo'");
  prepare
      ->add_flag("--demo", f.demo,
                 "Debian's fortunes: English as base, Chinese (fortunes-zh) as additional")
      ->excludes(base)
      ->excludes(additional);
  prepare->add_option("--out", f.options.out_dir, "Output directory")->required();
  prepare->add_option("--tokenizer", f.options.tokenizer, "spm (BPE, trained here) or bytes")
      ->capture_default_str()
      ->check(CLI::IsMember({kTokenizerSpm, kTokenizerBytes}));
  f.vocab_size =
      prepare
          ->add_option("--vocab-size", f.options.vocab_size, "Vocabulary size of the spm tokenizer")
          ->capture_default_str();
  prepare
      ->add_option("--val-fraction", f.options.val_fraction,
                   "Fraction of each language's documents held out for validation")
      ->capture_default_str();
  prepare->add_option("--seed", f.options.seed, "Seed of the split and the tokenizer training")
      ->capture_default_str();
  prepare->add_flag("--json", f.json, "Print the summary as JSON");
  prepare->callback([exit_code] { *exit_code = RunPrepare(f); });
}

}  // namespace mixlaw
