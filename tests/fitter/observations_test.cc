// Reading runs from CSV: the sweep export and the hand-written form, RFC 4180 quoting, and bad
// files refused with every problem's line and column.
#include "fitter/observations.h"

#include <string>

#include "fitter/csv.h"
#include "gtest/gtest.h"

namespace mixlaw {
namespace {

TEST(CsvTest, QuotedFieldsKeepCommasQuotesAndLineBreaks) {
  auto table = ParseCsv("a,b,c\r\n1,\"x, \"\"y\"\"\",\"two\nlines\"\n\n3,4,5\n", "t.csv");
  ASSERT_TRUE(table.ok()) << table.status();
  ASSERT_EQ(table->rows.size(), 2u);
  EXPECT_EQ(table->rows[0].fields[1], "x, \"y\"");
  EXPECT_EQ(table->rows[0].fields[2], "two\nlines");
  EXPECT_EQ(table->rows[0].line, 2);
  EXPECT_EQ(table->rows[1].line, 5);  // the quoted line break and the blank line counted
  EXPECT_EQ(table->rows[1].fields, (std::vector<std::string>{"3", "4", "5"}));
}

TEST(CsvTest, UnterminatedQuoteIsRefusedWithItsLine) {
  auto table = ParseCsv("a,b\n1,2\n3,\"open\n", "t.csv");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().message(), "t.csv: line 3: unterminated quoted field");
}

TEST(ObservationsTest, ReadsTheHandWrittenForm) {
  auto set = ParseObservationsCsv(
      "params,almr,lr,loss_base,loss_additional,tokens,seed\n"
      "1e6,0.25,3e-3,2.5,3.1,1000000,7\n"
      "2e6,0,1e-3,2.4,4.0,,\n",
      "losses.csv");
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->runs.size(), 2u);
  const Observation& o = set->runs[0];
  EXPECT_EQ(o.params, 1e6);
  EXPECT_EQ(o.almr, 0.25);
  EXPECT_EQ(o.peak_lr, 3e-3);
  EXPECT_EQ(o.tokens, 1e6);
  EXPECT_EQ(o.seed, 7);
  EXPECT_EQ(o.final_loss.at(kSplitBase), 2.5);
  EXPECT_EQ(o.final_loss.at(kSplitAdditional), 3.1);
  EXPECT_EQ(o.name, "line 2");
  EXPECT_EQ(set->runs[1].tokens, 0);  // empty: unknown
}

TEST(ObservationsTest, ReadsTheSweepExportSkippingPretrainAndListingDiverged) {
  auto set = ParseObservationsCsv(
      "run_id,sweep_id,name,stage,model,params,almr,peak_lr,seed,tokens,state,attempts,"
      "failure_reason,final_eval/additional,final_eval/base\n"
      "1,1,tiny/pretrain,pretrain,tiny,1000000,0,0.003,0,5000000,succeeded,1,,,3.5\n"
      "2,1,tiny/almr0.25/lr0.003/seed0,cpt,tiny,1000000,0.25,0.003,0,2000000,succeeded,1,,3.2,3.6\n"
      "3,1,tiny/almr0.25/lr0.1/seed0,cpt,tiny,1000000,0.25,0.1,0,2000000,diverged,1,"
      "\"loss is NaN at step 40, lr 0.1\",,\n"
      "4,1,tiny/almr0.5/lr0.003/seed0,cpt,tiny,1000000,0.5,0.003,0,2000000,failed,3,oom,,\n",
      "export.csv");
  ASSERT_TRUE(set.ok()) << set.status();
  ASSERT_EQ(set->runs.size(), 1u);
  EXPECT_EQ(set->runs[0].name, "tiny/almr0.25/lr0.003/seed0");
  EXPECT_EQ(set->runs[0].final_loss.at(kSplitAdditional), 3.2);
  EXPECT_EQ(set->runs[0].tokens, 2e6);
  ASSERT_EQ(set->diverged.size(), 1u);
  EXPECT_EQ(set->diverged[0].name, "tiny/almr0.25/lr0.1/seed0");
  ASSERT_EQ(set->notes.size(), 1u);
  EXPECT_EQ(set->notes[0], "line 5: run tiny/almr0.5/lr0.003/seed0 is failed: skipped");
}

TEST(ObservationsTest, BadValuesAreRefusedWithLineAndColumnAllAtOnce) {
  auto set = ParseObservationsCsv(
      "params,almr,lr,loss_base,loss_additional\n"
      "1e6,0.25,3e-3,2.5,3.1\n"
      "1e6,1.3,3e-3,2.5,3.1\n"
      "-5,0.25,0,2.5,3.1\n"
      "1e6,0.25,3e-3,NaN,-1\n"
      "1e6,abc,3e-3,2.5,\n"
      "1e6,0.25,3e-3\n",
      "losses.csv");
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(set.status().message(),
            "losses.csv: line 3, column almr: 1.3 is outside [0, 1]\n"
            "losses.csv: line 4, column params: -5 must be > 0\n"
            "losses.csv: line 4, column lr: 0 must be > 0\n"
            "losses.csv: line 5, column loss_base: NaN is not a finite number\n"
            "losses.csv: line 5, column loss_additional: -1 must be > 0\n"
            "losses.csv: line 6, column almr: 'abc' is not a number\n"
            "losses.csv: line 6, column loss_additional: missing value\n"
            "losses.csv: line 7: 3 fields, the header has 5");
}

// Found by fuzzing (tests/fuzz/corpus/fit_csv): a seed too large for an integer was converted
// anyway, which is undefined behaviour.
TEST(ObservationsTest, ASeedMustBeAWholeNumberThatFitsAnInteger) {
  auto set = ParseObservationsCsv(
      "params,almr,lr,loss_base,loss_additional,seed\n"
      "1e6,0.25,3e-3,2.5,3.1,8.27e32\n"
      "1e6,0.25,3e-3,2.5,3.1,1.5\n"
      "1e6,0.25,3e-3,2.5,3.1,9007199254740992\n",
      "losses.csv");
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().message(),
            "losses.csv: line 2, column seed: 8.27e+32 is outside [0, 9007199254740992]\n"
            "losses.csv: line 3, column seed: 1.5 is not an integer");
}

TEST(ObservationsTest, MissingColumnsAreRefused) {
  auto set = ParseObservationsCsv("params,almr,loss_base\n1e6,0.1,2.5\n", "losses.csv");
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().message(),
            "losses.csv: line 1, column lr: missing column\n"
            "losses.csv: line 1, column loss_additional: missing column (or give one `loss` "
            "column: the single-loss form)");
}

TEST(ObservationsTest, ReadsTheProbeData) {
  auto set = ReadObservationsCsv(MIXLAW_SOURCE_DIR "/tests/fitter/data/probe_bpe.csv");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->runs.size(), 48u);
  EXPECT_TRUE(set->diverged.empty());
  EXPECT_TRUE(set->notes.empty());
}

}  // namespace
}  // namespace mixlaw
