// The data pipeline: corpora, shards, tokenizers and `mixlaw data prepare`'s output, on small
// files written here and on slices of the Debian fortune corpora (skipped where those packages
// are not installed).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "trainer/data/corpus.h"
#include "trainer/data/prepare.h"
#include "trainer/data/prepared_language.h"
#include "trainer/data/sentencepiece_tokenizer.h"
#include "trainer/data/shards.h"
#include "trainer/data/tokenizer.h"

namespace mixlaw {
namespace {

namespace fs = std::filesystem;

// A fresh directory for the running test.
std::string TestDir() {
  const auto* info = testing::UnitTest::GetInstance()->current_test_info();
  fs::path dir = fs::path(testing::TempDir()) /
                 (std::string("mixlaw_data_test_") + info->test_suite_name() + "_" + info->name());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

std::string WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string ReadFile(const std::string& path) {
  std::stringstream buffer;
  buffer << std::ifstream(path, std::ios::binary).rdbuf();
  return buffer.str();
}

// A shard header: magic, version, count, then zeros; little-endian.
std::string Header(int32_t magic, int32_t version, int32_t count) {
  std::string header(kShardHeaderBytes, '\0');
  int32_t fields[3] = {magic, version, count};
  for (int f = 0; f < 3; ++f) {
    for (int b = 0; b < 4; ++b) header[4 * f + b] = static_cast<char>(fields[f] >> (8 * b));
  }
  return header;
}

std::vector<std::string> DemoDocuments(DemoCorpus corpus) {
  absl::StatusOr<std::vector<std::string>> files = DemoCorpusFiles(corpus);
  if (!files.ok()) return {};
  absl::StatusOr<std::vector<std::string>> documents = ReadCorpus(*files);
  EXPECT_TRUE(documents.ok()) << documents.status();
  return documents.ok() ? *documents : std::vector<std::string>{};
}

TEST(CorpusTest, StripsEscapesOverstrikesAndSeparators) {
  std::string path = WriteFile(TestDir() + "/fortunes",
                               "\x1b[1;33mTitle\x1b[m  \n"
                               "\tbody \x1b]0;window\x07line\n"
                               "%\n"
                               "\n"
                               "%\n"
                               "\n_\bI am *____\b\b\b\bbold*\a, \xe4\xbd\xa0\b\xe5\xa5\xbd\r\n"
                               "%\n");
  absl::StatusOr<std::vector<std::string>> documents = ReadDocuments(path);
  ASSERT_TRUE(documents.ok()) << documents.status();
  EXPECT_EQ(*documents,
            (std::vector<std::string>{"Title\n\tbody line", "I am *bold*, \xe5\xa5\xbd"}));
}

TEST(CorpusTest, RefusesInvalidUtf8WithFileAndLine) {
  std::string path = WriteFile(TestDir() + "/latin1", "fine\n%\ncaf\xe9 au lait\n");
  absl::StatusOr<std::vector<std::string>> documents = ReadDocuments(path);
  ASSERT_FALSE(documents.ok());
  EXPECT_EQ(documents.status().message(), path + ": line 3: invalid UTF-8 at byte 4");
  EXPECT_EQ(FindInvalidUtf8("\xed\xa0\x80"), 0u);  // a surrogate
  EXPECT_EQ(FindInvalidUtf8("a\xc0\xaf"), 1u);     // an overlong '/'
}

TEST(CorpusTest, DemoCorporaAreCleanUtf8) {
  for (DemoCorpus corpus : {DemoCorpus::kEnglish, DemoCorpus::kChinese}) {
    if (!DemoCorpusFiles(corpus).ok()) GTEST_SKIP() << "the Debian fortune packages are missing";
    std::vector<std::string> documents = DemoDocuments(corpus);
    EXPECT_GT(documents.size(), 4000u);
    for (const std::string& d : documents) {
      ASSERT_FALSE(d.empty());
      ASSERT_EQ(d.find('\x1b'), std::string::npos) << d;
      ASSERT_EQ(FindInvalidUtf8(d), std::string::npos) << d;
    }
  }
  absl::StatusOr<std::vector<std::string>> chinese = DemoCorpusFiles(DemoCorpus::kChinese);
  ASSERT_EQ(chinese->size(), 3u);
  EXPECT_EQ(fs::path((*chinese)[0]).filename(), "chinese");
}

TEST(ShardsTest, Uint32RoundTrip) {
  std::string path = TestDir() + "/train_000000.bin";
  std::vector<uint32_t> tokens = {0, 1, 65535, 65536, 4294967295u};
  ASSERT_TRUE(WriteTokenShard(path, tokens).ok());
  EXPECT_EQ(fs::file_size(path), static_cast<uintmax_t>(kShardHeaderBytes + 4 * 5));
  EXPECT_EQ(ReadFile(path).substr(0, 12), Header(20240801, 7, 5).substr(0, 12));
  absl::StatusOr<std::vector<uint32_t>> read = ReadTokenShard(path);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, tokens);
}

TEST(ShardsTest, ReadsLlmcUint16Shards) {
  std::string path = WriteFile(TestDir() + "/gpt2.bin",
                               Header(20240520, 1, 3) + std::string("\x01\x00\x02\x01\xff\xff", 6));
  absl::StatusOr<std::vector<uint32_t>> read = ReadTokenShard(path, 65536);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(*read, (std::vector<uint32_t>{1, 258, 65535}));
}

TEST(ShardsTest, RefusesMalformedFilesNamingThem) {
  std::string dir = TestDir();
  std::string four_tokens(16, '\x01');
  struct Case {
    std::string name, bytes, message;
  };
  std::vector<Case> cases = {
      {"short.bin", std::string(100, '\0'), "100 bytes is shorter than the 1024-byte shard header"},
      {"magic.bin", Header(12345, 7, 4) + four_tokens, "bad magic 12345"},
      {"version.bin", Header(20240801, 1, 4) + four_tokens, "unknown version 1 for magic 20240801"},
      {"truncated.bin", Header(20240801, 7, 10) + four_tokens,
       "header says 10 tokens but the file holds 4"},
      {"trailing.bin", Header(20240801, 7, 4) + four_tokens + "xyz",
       "header says 4 tokens (16 bytes) but the file holds 19 bytes after the header"},
      {"vocab.bin", Header(20240801, 7, 4) + four_tokens,
       "token 16843009 at position 0 is outside the vocabulary of 512"},
  };
  for (const Case& c : cases) {
    std::string path = WriteFile(dir + "/" + c.name, c.bytes);
    absl::StatusOr<std::vector<uint32_t>> read = ReadTokenShard(path, 512);
    ASSERT_FALSE(read.ok()) << c.name;
    EXPECT_EQ(std::string(read.status().message()).rfind(path + ": ", 0), 0u) << read.status();
    EXPECT_NE(read.status().message().find(c.message), std::string::npos) << read.status();
  }
}

TEST(TokenizerTest, BytesRoundTripChinese) {
  ByteTokenizer bytes;
  std::string text = "Hello, \xe4\xb8\x96\xe7\x95\x8c!\n\t";  // "Hello, 世界!"
  absl::StatusOr<std::vector<uint32_t>> tokens = bytes.Encode(text);
  ASSERT_TRUE(tokens.ok());
  EXPECT_EQ(tokens->size(), text.size());
  EXPECT_EQ((*tokens)[7], 0xe4u);
  tokens->insert(tokens->begin(), ByteTokenizer::kBos);
  EXPECT_EQ(*bytes.Decode(*tokens), text);
  EXPECT_EQ(bytes.vocab_size(), 258);
  EXPECT_FALSE(bytes.Decode({258}).ok());
}

TEST(TokenizerTest, SentencePieceTrainsOnTheDemoCorporaAndRoundTrips) {
  std::vector<std::string> english = DemoDocuments(DemoCorpus::kEnglish);
  std::vector<std::string> chinese = DemoDocuments(DemoCorpus::kChinese);
  if (english.empty() || chinese.empty()) GTEST_SKIP() << "the Debian fortune packages are missing";
  std::vector<std::string> slice;  // 1500 English and 500 Chinese documents from across the files
  for (size_t i = 0; i < 1500; ++i) slice.push_back(english[i * english.size() / 1500]);
  for (size_t i = 0; i < 500; ++i) slice.push_back(chinese[i * chinese.size() / 500]);
  std::string model = TestDir() + "/slice.model";
  SentencePieceTrainOptions options;
  options.vocab_size = 1536;  // the Chinese characters alone take 1014 at the default coverage
  absl::Status trained = TrainSentencePiece(slice, model, options);
  ASSERT_TRUE(trained.ok()) << trained;
  absl::StatusOr<std::unique_ptr<Tokenizer>> spm = OpenTokenizer(kTokenizerSpm, model);
  ASSERT_TRUE(spm.ok()) << spm.status();
  EXPECT_EQ((*spm)->vocab_size(), 1536);
  EXPECT_EQ((*spm)->bos_id(), kSpmBosId);
  EXPECT_EQ((*spm)->eos_id(), kSpmEosId);
  for (std::string text :
       {"The quick brown fox.\n\t\t-- Mark Twain,  1897",
        "\xe5\xba\x8a\xe5\x89\x8d\xe6\x98\x8e\xe6\x9c\x88\xe5\x85\x89\xef\xbc\x8c\n"
        "\xe9\xbe\x98 (a rare character: byte fallback)"}) {
    absl::StatusOr<std::vector<uint32_t>> tokens = (*spm)->Encode(text);
    ASSERT_TRUE(tokens.ok()) << tokens.status();
    EXPECT_LT(tokens->size(), text.size());
    for (uint32_t t : *tokens) EXPECT_NE(t, kSpmUnkId) << text;
    EXPECT_EQ(*(*spm)->Decode(*tokens), text);
  }
  EXPECT_FALSE(SentencePieceTokenizer::Load(TestDir() + "/missing.model").ok());
}

// Small inputs: two base files and one additional file, 12 documents each language.
PrepareOptions SmallInputs(const std::string& dir) {
  std::string base_a, base_b, additional;
  for (int i = 0; i < 6; ++i) base_a += "Fortune " + std::to_string(i) + " of file a.\n%\n";
  for (int i = 0; i < 6; ++i)
    base_b += "\x1b[32mFortune\x1b[m " + std::to_string(i) + " of b.\n%\n";
  for (int i = 0; i < 12; ++i)
    additional += "\xe7\xac\xac " + std::to_string(i) + " \xe6\x9d\xa1\n%\n";
  fs::create_directories(dir + "/in/base");
  WriteFile(dir + "/in/base/a", base_a);
  WriteFile(dir + "/in/base/b", base_b);
  WriteFile(dir + "/in/base/b.dat", std::string("\x00\x01", 2));  // a fortune index: skipped
  PrepareOptions options;
  options.base_inputs = {dir + "/in/base"};
  options.additional_inputs = {WriteFile(dir + "/in/zh", additional)};
  options.out_dir = dir + "/out";
  options.tokenizer = kTokenizerBytes;
  options.val_fraction = 0.25;
  options.shard_tokens = 100;  // several train shards
  return options;
}

TEST(PrepareTest, BytesPipelineWritesWhatLoadPreparedLanguageReads) {
  PrepareOptions options = SmallInputs(TestDir());
  absl::StatusOr<PrepareSummary> summary = PrepareData(options);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->base.files, 2);
  EXPECT_EQ(summary->base.documents.train, 9);
  EXPECT_EQ(summary->base.documents.val, 3);
  absl::StatusOr<PreparedLanguage> base = LoadPreparedLanguage(options.out_dir + "/base");
  ASSERT_TRUE(base.ok()) << base.status();
  EXPECT_EQ(base->meta.tokenizer.kind, "bytes");
  EXPECT_TRUE(base->model_path.empty());
  EXPECT_EQ(static_cast<int64_t>(base->train_tokens.size()), summary->base.tokens.train);
  EXPECT_EQ(static_cast<int64_t>(base->val_tokens.size()), summary->base.tokens.val);
  // 12 documents of 20 and 15 bytes (escapes stripped), each after a BOS.
  EXPECT_EQ(summary->base.tokens.train + summary->base.tokens.val, 6 * 20 + 6 * 15 + 12);
  EXPECT_GT(base->meta.train_shards.size(), 1u);
  absl::StatusOr<PreparedLanguage> additional =
      LoadPreparedLanguage(options.out_dir + "/additional");
  ASSERT_TRUE(additional.ok()) << additional.status();
  EXPECT_TRUE(CheckSameTokenizer(*base, *additional).ok());
  // A meta.json that disagrees with its shards is refused.
  std::string meta_path = options.out_dir + "/base/meta.json";
  nlohmann::json meta = nlohmann::json::parse(ReadFile(meta_path));
  meta["tokens"]["train"] = 1;
  WriteFile(meta_path, meta.dump());
  absl::StatusOr<PreparedLanguage> refused = LoadPreparedLanguage(options.out_dir + "/base");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("meta.json: tokens.train says 1 but the train shards "
                                            "hold"),
            std::string::npos)
      << refused.status();
}

TEST(PrepareTest, SentencePiecePipelineSharesOneTokenizer) {
  if (!DemoCorpusFiles(DemoCorpus::kChinese).ok()) GTEST_SKIP() << "fortunes-zh is missing";
  std::string dir = TestDir();
  PrepareOptions options;
  options.base_inputs = {std::string(kFortuneDir) + "/magic", std::string(kFortuneDir) + "/pets"};
  options.additional_inputs = {std::string(kFortuneDir) + "/song100"};
  options.out_dir = dir + "/out";
  options.vocab_size = 2000;  // the Song poems' characters take 1365
  absl::StatusOr<PrepareSummary> summary = PrepareData(options);
  ASSERT_TRUE(summary.ok()) << summary.status();
  absl::StatusOr<PreparedLanguage> base = LoadPreparedLanguage(options.out_dir + "/base");
  absl::StatusOr<PreparedLanguage> additional =
      LoadPreparedLanguage(options.out_dir + "/additional");
  ASSERT_TRUE(base.ok()) << base.status();
  ASSERT_TRUE(additional.ok()) << additional.status();
  EXPECT_EQ(base->meta.tokenizer.model, "../tokenizer.model");
  EXPECT_EQ(base->meta.tokenizer.vocab_size, 2000);
  EXPECT_TRUE(CheckSameTokenizer(*base, *additional).ok());
  EXPECT_EQ(additional->meta.documents.train + additional->meta.documents.val, 95);
  // The first train document decodes to one of the corpus's documents.
  std::vector<uint32_t>& tokens = additional->train_tokens;
  auto end = std::find(tokens.begin() + 1, tokens.end(), kSpmBosId);
  absl::StatusOr<std::unique_ptr<Tokenizer>> spm = OpenTokenizer(kTokenizerSpm, base->model_path);
  ASSERT_TRUE(spm.ok()) << spm.status();
  absl::StatusOr<std::string> first = (*spm)->Decode(std::vector<uint32_t>(tokens.begin(), end));
  ASSERT_TRUE(first.ok());
  absl::StatusOr<std::vector<std::string>> song100 = ReadDocuments(options.additional_inputs[0]);
  EXPECT_NE(std::find(song100->begin(), song100->end(), *first), song100->end()) << *first;
  // Training is deterministic: the same inputs and seed give the same model.
  PrepareOptions again = options;
  again.out_dir = dir + "/again";
  ASSERT_TRUE(PrepareData(again).ok());
  EXPECT_EQ(ReadFile(again.out_dir + "/tokenizer.model"),
            ReadFile(options.out_dir + "/tokenizer.model"));
  // A bytes-tokenized language does not mix with these.
  PrepareOptions bytes = SmallInputs(dir + "/bytes");
  ASSERT_TRUE(PrepareData(bytes).ok());
  absl::StatusOr<PreparedLanguage> other = LoadPreparedLanguage(bytes.out_dir + "/base");
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(CheckSameTokenizer(*base, *other).ok());
}

TEST(PrepareTest, TheSplitIsDeterministic) {
  DocumentSplit a = SplitDocuments(1000, 0.05, 7), b = SplitDocuments(1000, 0.05, 7);
  EXPECT_EQ(a.val, b.val);
  EXPECT_EQ(a.train, b.train);
  EXPECT_EQ(a.val.size(), 50u);
  EXPECT_NE(SplitDocuments(1000, 0.05, 8).val, a.val);
  std::vector<bool> seen(1000, false);
  for (const auto* part : {&a.train, &a.val}) {
    for (size_t i : *part) {
      EXPECT_FALSE(seen[i]);
      seen[i] = true;
    }
  }
  EXPECT_EQ(std::count(seen.begin(), seen.end(), true), 1000);
  EXPECT_EQ(SplitDocuments(3, 0.01, 0).val.size(), 1u);   // at least one
  EXPECT_EQ(SplitDocuments(2, 0.9, 0).train.size(), 1u);  // never all
  // The pipeline: the same seed writes the same shards.
  std::string dir = TestDir();
  PrepareOptions first = SmallInputs(dir + "/first"), second = SmallInputs(dir + "/second");
  ASSERT_TRUE(PrepareData(first).ok());
  ASSERT_TRUE(PrepareData(second).ok());
  EXPECT_EQ(ReadFile(first.out_dir + "/base/val_000000.bin"),
            ReadFile(second.out_dir + "/base/val_000000.bin"));
  PrepareOptions reseeded = SmallInputs(dir + "/reseeded");
  reseeded.seed = 1;
  ASSERT_TRUE(PrepareData(reseeded).ok());
  EXPECT_NE(ReadFile(first.out_dir + "/base/val_000000.bin"),
            ReadFile(reseeded.out_dir + "/base/val_000000.bin"));
}

}  // namespace
}  // namespace mixlaw
