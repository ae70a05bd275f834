// The report of a fit to planted runs: the page is self-contained, every section and chart is
// there with data, and the numbers it shows are the fit's and the recommendation's, in the
// command line's formats, in the page and in the Markdown alike.
#include "report/report.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/number_format.h"
#include "fitter/fit_json.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "report/law_views.h"
#include "report/page_assets.h"
#include "tests/report/page_text.h"
#include "tests/report/report_fixture.h"

namespace mixlaw {
namespace {

using testing_support::Count;
using testing_support::FieldText;
using testing_support::FitFileInput;
using testing_support::ReadText;
using testing_support::SweepInput;
using testing_support::Validation;

std::string Html(const ReportInput& input) {
  absl::StatusOr<std::string> html = ReportHtml(input);
  EXPECT_TRUE(html.ok()) << html.status();
  return html.ok() ? *html : "";
}

std::string Markdown(const ReportInput& input) {
  absl::StatusOr<std::string> md = ReportMarkdown(input);
  EXPECT_TRUE(md.ok()) << md.status();
  return md.ok() ? *md : "";
}

// The charts' data the page carries.
nlohmann::json PageData(const std::string& html) {
  const std::string open = "<script type=\"application/json\" id=\"report-data\">";
  size_t start = html.find(open);
  if (start == std::string::npos) return nullptr;
  start += open.size();
  return nlohmann::json::parse(html.substr(start, html.find("</script>", start) - start));
}

// The page without the text of its script elements (Chart.js's source is not markup).
std::string WithoutScripts(std::string html) {
  for (size_t at = html.find("<script"); at != std::string::npos;
       at = html.find("<script", at + 1)) {
    const size_t body = html.find('>', at) + 1, end = html.find("</script>", body);
    html.erase(body, end - body);
  }
  return html;
}

// The Markdown line that starts with `prefix`; empty when there is none.
std::string LineStarting(const std::string& md, const std::string& prefix) {
  std::istringstream in(md);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(prefix, 0) == 0) return line;
  }
  return "";
}

TEST(ReportTest, ThePageLoadsNothingFromOutside) {
  const std::string html = Html(SweepInput());
  const std::string markup = WithoutScripts(html);
  EXPECT_EQ(Count(markup, "<link"), 0u);
  EXPECT_EQ(Count(markup, "src="), 0u) << "scripts, images and frames are all inline";
  EXPECT_EQ(Count(markup, "@import"), 0u);
  size_t links = 0;
  for (size_t at = markup.find("href=\""); at != std::string::npos;
       at = markup.find("href=\"", at + 1)) {
    EXPECT_EQ(markup[at + 6], '#') << markup.substr(at, 60);
    ++links;
  }
  EXPECT_GT(links, 5u) << "the table of contents links the sections";
  for (size_t at = markup.find("url("); at != std::string::npos; at = markup.find("url(", at + 1)) {
    EXPECT_EQ(markup[at + 4], '#') << markup.substr(at, 60);
  }
  EXPECT_NE(html.find("Chart.js v3"), std::string::npos) << "Chart.js is inlined";
}

TEST(ReportTest, EverySectionIsInThePageAndTheMarkdown) {
  ReportInput input = SweepInput();
  input.validation = Validation(input);
  const std::string html = Html(input), md = Markdown(input);
  const std::vector<std::pair<std::string, std::string>> sections = {
      {"recommendation", "Recommendation"},
      {"validation", "Validation at the target size"},
      {"sweep", "What was swept and how it ended"},
      {"loss-curves", "Loss curves"},
      {"loss-vs-lr", "Final loss against peak LR"},
      {"optimal-lr", "Optimal LR against ALMR"},
      {"surface", "Predicted loss at the target size"},
      {"parity", "Predicted against measured"},
      {"cross-validation", "Cross-validation"},
      {"parameters", "Parameters"},
      {"warnings", "Warnings"}};
  for (const auto& [id, title] : sections) {
    EXPECT_NE(html.find("<section id=\"" + id + "\""), std::string::npos) << id;
    EXPECT_NE(html.find("href=\"#" + id + "\""), std::string::npos) << id;
    EXPECT_NE(md.find("\n## " + title + "\n"), std::string::npos) << title;
  }
  EXPECT_EQ(Html(SweepInput()).find("<section id=\"validation\""), std::string::npos)
      << "no validation section without a validation";
}

TEST(ReportTest, ParameterTablesShowFitJsonValuesInTheFitCommandsFormat) {
  const ReportInput input = SweepInput();
  const std::string html = Html(input), md = Markdown(input);
  const nlohmann::json fit = FitToJson(input.fit);
  size_t checked = 0;
  for (const nlohmann::json& c : fit["components"]) {
    const std::string split = c["split"];
    for (const nlohmann::json& p : c["parameters"]) {
      const std::string key = split + ":" + p["name"].get<std::string>();
      const std::string value = FormatEstimate(p["value"].get<double>());
      EXPECT_EQ(FieldText(html, "value:" + key), value) << key;
      if (!p["held"].get<bool>()) {
        EXPECT_EQ(FieldText(html, "std_error:" + key), FormatStdError(p["std_error"].get<double>()))
            << key;
        EXPECT_EQ(FieldText(html, "interval:" + key),
                  "[" + FormatEstimate(p["lower"].get<double>()) + ", " +
                      FormatEstimate(p["upper"].get<double>()) + "]")
            << key;
      }
      // The Markdown has the same row: the name, then the same value.
      bool found = false;
      std::istringstream lines(md);
      for (std::string line; std::getline(lines, line);) {
        found = found || (line.rfind("| " + p["name"].get<std::string>() + " ", 0) == 0 &&
                          line.find(" " + value + " |") != std::string::npos);
      }
      EXPECT_TRUE(found) << key << " " << value;
      ++checked;
    }
  }
  EXPECT_EQ(checked, 24u) << "twelve parameters a split";
}

TEST(ReportTest, RecommendationIsShownAsRecommendPrintsIt) {
  const ReportInput input = SweepInput();
  const Recommendation& r = *input.recommendation;
  const std::string html = Html(input), md = Markdown(input);
  EXPECT_EQ(FieldText(html, "rec:almr"), FormatAlmr(r.almr));
  EXPECT_EQ(FieldText(html, "rec:lr"), FormatLr(r.lr));
  EXPECT_EQ(FieldText(html, "rec:loss_additional"), FormatLoss(r.loss_additional));
  EXPECT_EQ(FieldText(html, "rec:target_params"), "1B");
  EXPECT_EQ(FieldText(html, "rec:criterion"), "L_additional + 1 * L_base");
  const std::string almr_row = LineStarting(md, "| ALMR ");
  EXPECT_NE(almr_row.find(FormatAlmr(r.almr)), std::string::npos) << almr_row;
  EXPECT_NE(almr_row.find("[" + FormatAlmr(r.almr_interval.lower) + ", "), std::string::npos)
      << almr_row;
  EXPECT_NE(LineStarting(md, "| peak LR ").find(FormatLr(r.lr)), std::string::npos);
}

TEST(ReportTest, EveryChartHasDataAndAFigure) {
  const ReportInput input = SweepInput();
  const std::string html = Html(input);
  const nlohmann::json data = PageData(html);
  ASSERT_TRUE(data.is_object());
  const nlohmann::json& charts = data["charts"];
  EXPECT_EQ(Count(html, "<figure class=\"chart\""), charts.size());
  EXPECT_NE(html.find("<body data-charts=\"" + std::to_string(charts.size() + 1) + "\""),
            std::string::npos)
      << "the Chart.js charts and the surface";
  std::map<std::string, size_t> kinds;
  for (const nlohmann::json& chart : charts) {
    ++kinds[chart["kind"].get<std::string>()];
    size_t points = 0;
    for (const nlohmann::json& s : chart["series"]) points += s["points"].size();
    EXPECT_GT(points, 0u) << chart["kind"] << " " << chart["panel"];
    EXPECT_FALSE(chart["x"]["title"].get<std::string>().empty());
    EXPECT_FALSE(chart["y"]["title"].get<std::string>().empty());
  }
  EXPECT_EQ(kinds["loss-curves"], 6u) << "three models x two splits";
  EXPECT_EQ(kinds["loss-vs-lr"], 6u) << "three sizes x two splits";
  EXPECT_EQ(kinds["optimal-lr"], 2u);
  EXPECT_EQ(kinds["parity"], 1u);
  EXPECT_EQ(kinds["residuals"], 1u);
  EXPECT_EQ(Count(html, "data-chart=\"surface\""), 2u) << "the figure and its SVG";
}

TEST(ReportTest, FittedCurvesAreTheLawAndMarkersTheRuns) {
  const ReportInput input = SweepInput();
  const nlohmann::json data = PageData(Html(input));
  auto views = report::ViewsOf(input.fit, input.options);
  ASSERT_TRUE(views.ok());
  size_t lines = 0, markers = 0;
  for (const nlohmann::json& chart : data["charts"]) {
    if (chart["kind"] != "loss-vs-lr" || chart["panel"] != "30M eval/base") continue;
    EXPECT_TRUE(chart["x"]["log"].get<bool>()) << "LR on a log axis";
    EXPECT_EQ(chart["y"]["title"], "final loss (nats/token)");
    for (const nlohmann::json& s : chart["series"]) {
      if (s["label"] == "ALMR 0.25 (fitted)") {
        for (const nlohmann::json& p : s["points"]) {
          EXPECT_NEAR(p[1].get<double>(), views->proxy.LossBase(0.25, p[0].get<double>(), 3e7),
                      1e-12);
          ++lines;
        }
      }
      if (s["label"] == "ALMR 0.25") {
        for (const nlohmann::json& p : s["points"]) {
          bool measured = false;
          for (const Observation& o : input.fit.runs) {
            measured =
                measured || (o.params == 3e7 && o.almr == 0.25 && o.peak_lr == p[0].get<double>() &&
                             o.final_loss.at(kSplitBase) == p[1].get<double>());
          }
          EXPECT_TRUE(measured) << p;
          ++markers;
        }
      }
    }
  }
  EXPECT_EQ(lines, 48u);
  EXPECT_EQ(markers, 7u) << "seven LRs swept";
}

TEST(ReportTest, OptimalLrBandComesFromTheBootstrapAndBracketsTheFit) {
  const ReportInput input = SweepInput();
  auto views = report::ViewsOf(input.fit, input.options);
  ASSERT_TRUE(views.ok());
  EXPECT_EQ(views->replicates.size(), 12u);
  const std::vector<double> almrs = {0.1, 0.3, 0.5, 0.75};
  for (const std::string split : {kSplitAdditional, kSplitBase}) {
    std::vector<Interval> band = report::OptimalLrBand(views->replicates, split, almrs, 1e9);
    ASSERT_EQ(band.size(), almrs.size());
    for (size_t k = 0; k < almrs.size(); ++k) {
      const double lr = std::exp(views->target.LnOptimalLrOn(split, almrs[k], 1e9));
      EXPECT_LT(band[k].lower, band[k].upper);
      EXPECT_LE(band[k].lower, lr * 1.0001) << split << " " << almrs[k];
      EXPECT_GE(band[k].upper, lr * 0.9999) << split << " " << almrs[k];
    }
  }
  EXPECT_TRUE(std::isnan(report::OptimalLrBand({}, kSplitBase, almrs, 1e9)[0].lower));
}

TEST(ReportTest, FromFitJsonAloneTheSweepSectionsSayTheyNeedASweep) {
  ReportInput input = FitFileInput();
  // Through the file format, as `mixlaw report --fit` reads it.
  absl::StatusOr<LawFit> read = FitFromJson(FitToJson(input.fit), "planted-fit.json");
  ASSERT_TRUE(read.ok()) << read.status();
  input.fit = *read;
  const std::string html = Html(input), md = Markdown(input);
  EXPECT_EQ(Count(html, "data-chart=\"loss-curves\""), 0u);
  EXPECT_NE(html.find("Loss curves need the sweep"), std::string::npos);
  EXPECT_NE(md.find("Loss curves need the sweep"), std::string::npos);
  EXPECT_EQ(Count(html, "data-chart=\"loss-vs-lr\""), 6u) << "FIT.json keeps the runs fitted";
  size_t folds = 0;
  for (const ComponentFit& c : testing_support::PlantedFit().components) {
    folds += c.cross_validation.size();
  }
  EXPECT_GT(folds, 0u);
  EXPECT_EQ(Count(html, "<td>size ") + Count(html, "<td>ALMR "), folds)
      << "the cross-validation folds survive FIT.json";
}

TEST(ReportTest, UnsuccessfulRunsAreListedWithTheirReasonEscaped) {
  const ReportInput input = SweepInput("<b>out of memory</b> & more\n");  // as trainers end it
  const std::string html = Html(input), md = Markdown(input);
  EXPECT_NE(html.find("&lt;b&gt;out of memory&lt;/b&gt; &amp; more"), std::string::npos);
  EXPECT_EQ(html.find("<b>out of memory"), std::string::npos);
  EXPECT_NE(md.find("| m10M/almr0.1/lr9.99e-01/seed0 | failed | <b>out of memory</b> & more |"),
            std::string::npos);
  EXPECT_EQ(FieldText(html, "state:failed"), "1");
  EXPECT_NE(html.find("84 succeeded, 1 failed"), std::string::npos) << "the words of sweep watch";
}

TEST(ReportTest, TheRunsLeftOutAboveTheirGroupsBestAreCountedAndDrawnAsRings) {
  ReportInput input = SweepInput();
  EXPECT_EQ(Markdown(input).find("times their group's best LR"), std::string::npos)
      << "a fit of every run says nothing of it";
  input.fit.max_lr_over_best = 2;
  // Two runs of the 30M ALMR 0.25 group far above its LRs, with losses on the cliff.
  for (double factor : {8.0, 16.0}) {
    Observation o;
    for (const Observation& r : input.fit.runs) {
      if (r.params == 3e7 && r.almr == 0.25) o = r;
    }
    o.peak_lr *= factor;
    o.name = absl::StrCat("m30M/almr0.25/lr", o.peak_lr, "/seed0");
    for (auto& [split, loss] : o.final_loss) loss += factor;
    input.fit.above_best.push_back(o);
  }
  // Through FIT.json, as `mixlaw report --fit` reads it: the runs keep their losses.
  absl::StatusOr<LawFit> read = FitFromJson(FitToJson(input.fit), "fit.json");
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->above_best.size(), 2u);
  EXPECT_EQ(read->above_best[1].final_loss, input.fit.above_best[1].final_loss);
  input.fit = *read;
  const std::string md = Markdown(input), html = Html(input);
  EXPECT_NE(md.find("2 runs were left out as above 2 times their group's best LR"),
            std::string::npos)
      << md.substr(0, 2000);
  EXPECT_NE(md.find("Rings are the 2 runs the fit left out as above 2 times"), std::string::npos);
  size_t rings = 0;
  const nlohmann::json data = PageData(html);
  for (const nlohmann::json& chart : data["charts"]) {
    if (chart["kind"] != "loss-vs-lr") continue;
    for (const nlohmann::json& s : chart["series"]) {
      if (s["label"] != "ALMR 0.25 (left out above the best)") continue;
      EXPECT_EQ(chart["panel"].get<std::string>().substr(0, 3), "30M") << "only its size's panels";
      EXPECT_TRUE(s["hollow"].get<bool>());
      rings += s["points"].size();
    }
  }
  EXPECT_EQ(rings, 4u) << "two runs x two splits";
  // FIT.json files that name the runs only still read.
  nlohmann::json names = FitToJson(input.fit);
  names["above_best"] = {"a/almr0.25/lr1/seed0"};
  read = FitFromJson(names, "old-fit.json");
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_EQ(read->above_best.size(), 1u);
  EXPECT_EQ(read->above_best[0].name, "a/almr0.25/lr1/seed0");
}

TEST(ReportTest, ValidationComparesThePredictedAndTransferredLrWithTheMeasured) {
  ReportInput input = SweepInput();
  input.validation = Validation(input);
  const std::string html = Html(input), md = Markdown(input);
  EXPECT_EQ(FieldText(html, "val:predicted_lr"), "2.50e-03");
  EXPECT_EQ(FieldText(html, "val:measured_loss"), "2.5000");
  EXPECT_EQ(FieldText(html, "val:transfer_lr"), "8.00e-03");
  const std::string predicted = LineStarting(md, "| predicted by the law ");
  EXPECT_NE(predicted.find(" x1.25 |"), std::string::npos) << predicted;
  EXPECT_NE(predicted.find(" +1.0% |"), std::string::npos) << predicted;
  EXPECT_NE(LineStarting(md, "| direct transfer ").find(" x4.00 |"), std::string::npos);
  EXPECT_EQ(LineStarting(md, "| trained at the law's LR ").find("regret"), std::string::npos);
  // The regrets with their intervals, and the goals with their verdicts.
  input.validation->predicted_regret = 0.0004;
  input.validation->predicted_regret_interval = {0.0001, 0.0009};
  input.validation->transfer_regret = 0.1;
  input.validation->transfer_regret_interval = {0.08, 0.12};
  input.validation->resamples = 2000;
  input.validation->seeds = 2;
  input.validation->goals = {"the law's regret at most 0.1%: met (+0.040% [+0.010%, +0.090%])"};
  const std::string with = Markdown(input);
  EXPECT_NE(LineStarting(with, "| trained at the law's LR ").find(" +0.040% [+0.010%, +0.090%] |"),
            std::string::npos)
      << with;
  EXPECT_NE(LineStarting(with, "| direct transfer ").find(" +10.000% [+8.000%, +12.000%] |"),
            std::string::npos)
      << with;
  EXPECT_NE(Html(input).find("2000 resamples of the 2 seeds"), std::string::npos);
  EXPECT_NE(with.find("the law's regret at most 0.1%: met"), std::string::npos);
  const nlohmann::json data = PageData(html);
  std::set<std::string> labels;
  for (const nlohmann::json& chart : data["charts"]) {
    if (chart["kind"] != "validation") continue;
    EXPECT_TRUE(chart["x"]["log"].get<bool>());
    for (const nlohmann::json& s : chart["series"]) labels.insert(s["label"]);
  }
  for (const char* label : {"seed 0", "seed 1", "seed mean", "law at 1B", "predicted LR",
                            "measured optimum", "direct transfer"}) {
    EXPECT_TRUE(labels.count(label)) << label;
  }
}

// A study's rounds, as mixlaw study run passes them: each round with its reason and interval,
// the planned rounds' choices with their gains, and the interval's narrowing as a chart.
TEST(ReportTest, AStudysRoundsShowWhatEachTrainedAndWhy) {
  ReportInput input = SweepInput();
  EXPECT_EQ(Html(input).find("<section id=\"study\""), std::string::npos)
      << "no study section without a study";
  StudySummary st;
  st.name = "st";
  st.design = "adaptive";
  st.stop_reason = "the recommended LR's 95% interval spans x1.18, within the stop rule's x1.20";
  st.grid_flops = 1000;
  st.budget_flops = 330;
  st.spent_flops = 320;
  st.rounds.push_back({1,
                       "st-r1",
                       "the initial design",
                       kNaN,
                       100,
                       0.4,
                       3e-3,
                       {2e-3, 4e-3},
                       {{"p1m/almr0.1/lr0.001/seed0", 10, 0, 0}},
                       {}});
  st.rounds.push_back({2,
                       "st-r2",
                       "the runs that most narrow",
                       0.2,
                       320,
                       0.35,
                       2.9e-3,
                       {2.7e-3, 3.2e-3},
                       {{"p3m/almr0.25/lr0.003/seed1", 30, 0.0125, 0.15},
                        {"p1m/almr0.5/lr0.003/seed0", 10, 0.004, 0.12}},
                       {}});
  input.study = st;
  EXPECT_EQ(Html(input).find("study-stopped"), std::string::npos) << "no run was stopped";
  st.rounds[1].stopped.push_back({"p1m/almr0.5/lr0.03/seed0", 0.4,
                                  "predicted final loss 7.1 [7.0, 7.2] is above the group's best"});
  input.study = st;
  const std::string html = Html(input), md = Markdown(input);
  EXPECT_EQ(FieldText(html, "study:trained_fraction"), FormatPercent(0.4));
  const std::string stopped_row = LineStarting(md, "| p1m/almr0.5/lr0.03/seed0 ");
  EXPECT_NE(stopped_row.find("is above the group's best"), std::string::npos) << md;
  EXPECT_NE(html.find("<section id=\"study\""), std::string::npos);
  EXPECT_NE(md.find("\n## Study\n"), std::string::npos);
  EXPECT_NE(html.find("32.0% of the whole grid"), std::string::npos);
  EXPECT_EQ(FieldText(html, "study:lr_factor"), "x2.00") << "the first round's interval";
  EXPECT_EQ(FieldText(html, "study:gain"), "0.0125") << "the first planned choice";
  const std::string row = LineStarting(md, "| p3m/almr0.25/lr0.003/seed1 ");
  EXPECT_NE(row.find(" 0.150 |"), std::string::npos) << md;
  EXPECT_EQ(LineStarting(md, "| p1m/almr0.1/lr0.001/seed0 "), "")
      << "the initial design was not planned: no gains to list";
  bool drawn = false;
  const nlohmann::json data = PageData(html);
  for (const nlohmann::json& chart : data["charts"]) {
    if (chart["kind"] != "study") continue;
    drawn = true;
    EXPECT_EQ(chart["series"][2]["points"].size(), 2u) << chart.dump();
  }
  EXPECT_TRUE(drawn) << data.dump().substr(0, 2000);
}

TEST(ReportTest, MarkdownTablesAreAlignedAndProseWraps) {
  const std::string md = Markdown(SweepInput());
  std::istringstream in(md);
  size_t table_width = 0, tables = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("|", 0) != 0) {
      table_width = 0;
      EXPECT_LE(line.size(), 100u) << line;
      continue;
    }
    if (table_width == 0) ++tables;
    if (table_width == 0) table_width = line.size();
    EXPECT_EQ(line.size(), table_width) << line;
  }
  EXPECT_GE(tables, 10u);
}

TEST(ReportTest, TheInlinedScriptAndStyleAreTheSourceFiles) {
  const std::filesystem::path dir = std::filesystem::path(MIXLAW_SOURCE_DIR) / "report";
  EXPECT_EQ(report::PageScript(), ReadText(dir / "page.js"));
  EXPECT_EQ(report::PageStyle(), ReadText(dir / "page.css"));
  EXPECT_GT(report::ChartJs().size(), 100000u);
  EXPECT_EQ(report::ChartJs().find("</script"), std::string::npos);
}

TEST(ReportTest, WriteReportWritesThePageTheMarkdownAndTheFit) {
  const ReportInput input = SweepInput();
  const std::string dir = testing::TempDir() + "/report-written/nested";
  std::filesystem::remove_all(dir);
  absl::StatusOr<ReportFiles> files = WriteReport(input, dir);
  ASSERT_TRUE(files.ok()) << files.status();
  EXPECT_EQ(ReadText(files->html), Html(input));
  EXPECT_EQ(ReadText(files->markdown), Markdown(input));
  absl::StatusOr<LawFit> fit = ReadFitFile(files->fit);
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_EQ(FitToJson(*fit)["components"][0]["parameters"],
            FitToJson(input.fit)["components"][0]["parameters"]);
  std::filesystem::remove_all(testing::TempDir() + "/report-written");
}

TEST(ReportTest, WithoutARecommendationTheReportSaysWhyAndStillDrawsTheFit) {
  ReportInput input = SweepInput();
  input.recommendation.reset();
  input.recommendation_error = "no ALMR in [0.1, 0.75] keeps the predicted base loss within 0";
  const std::string html = Html(input), md = Markdown(input);
  EXPECT_NE(md.find("No recommendation for 1B: no ALMR in [0.1, 0.75] keeps"), std::string::npos);
  EXPECT_EQ(FieldText(html, "rec:almr"), "");
  EXPECT_EQ(html.find("id=\"recommended\""), std::string::npos) << "no marker on the surface";
  EXPECT_EQ(Count(html, "<figure class=\"chart\""), PageData(html)["charts"].size());
  EXPECT_NE(html.find("<section id=\"surface\""), std::string::npos);
}

TEST(ReportTest, AFitOfAnotherLawIsRefusedWithTheReason) {
  ReportInput input = SweepInput();
  input.fit.law = "chinchilla";
  absl::StatusOr<std::string> html = ReportHtml(input);
  ASSERT_FALSE(html.ok());
  EXPECT_EQ(html.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(html.status().message().find("coupling"), std::string::npos);
}

}  // namespace
}  // namespace mixlaw
