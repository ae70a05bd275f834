// `mixlaw report` of a finished sweep, opened from its file in headless Chromium as a reader
// would open it: the page draws every chart without an error on the console, the screenshot is
// not blank, and the numbers on the page are those of fit.json and of `mixlaw recommend`.
// Chromium is Debian's `chromium` package (scripts/setup.sh); without it the test fails.
#include <gtest/gtest.h>

#include <optional>
#include <set>

#include "common/number_format.h"
#include "tests/e2e/chromium.h"
#include "tests/e2e/cluster.h"
#include "tests/e2e/png_image.h"
#include "tests/report/page_text.h"

namespace mixlaw {
namespace {

using testing_support::BrowserArgs;
using testing_support::ConsoleProblems;
using testing_support::Count;
using testing_support::DecodePng;
using testing_support::FieldText;
using testing_support::FindChromium;
using testing_support::Image;
using testing_support::kBrowserTimeoutMs;
using testing_support::Mixlaw;
using testing_support::ReadText;
using testing_support::Result;
using testing_support::RunFor;
using testing_support::TestDir;

TEST(ReportE2ETest, AFinishedSweepsReportDrawsEveryChartAndShowsTheFitsNumbers) {
  std::optional<std::string> chromium = FindChromium();
  ASSERT_TRUE(chromium.has_value())
      << "chromium is not on PATH: install Debian's chromium package (scripts/setup.sh installs "
         "it); this test opens the report in it";
  auto dir = TestDir();
  const std::string db = (dir / "store.db").string();
  const std::filesystem::path example =
      std::filesystem::path(MIXLAW_SOURCE_DIR) / "examples" / "demo-synthetic.json";
  Result sweep = Mixlaw({"sweep", "run", example.string(), "--db", db}, dir.string());
  ASSERT_EQ(sweep.status.code, 0) << sweep.err;

  const std::filesystem::path out = dir / "report";
  Result report =
      Mixlaw({"report", "1", "--db", db, "--out", out.string(), "--bootstrap", "20", "--json"});
  ASSERT_EQ(report.status.code, 0) << report.err;
  EXPECT_NE(report.err.find("fitting the coupling law to 84 runs"), std::string::npos)
      << "progress on stderr: " << report.err;
  const nlohmann::json written = nlohmann::json::parse(report.Out());
  EXPECT_EQ(written["html"], (out / "report.html").string());
  Result recommend = Mixlaw(
      {"recommend", "1", "--db", db, "--target-params", "4e7", "--bootstrap", "20", "--json"});
  ASSERT_EQ(recommend.status.code, 0) << recommend.err;
  const nlohmann::json rec = nlohmann::json::parse(recommend.Out());
  EXPECT_DOUBLE_EQ(written["recommendation"]["almr"].get<double>(), rec["almr"].get<double>())
      << "the report's target is the spec's fit.target_params (4e7), its fit the same";
  EXPECT_DOUBLE_EQ(written["recommendation"]["lr"].get<double>(), rec["lr"].get<double>());

  const std::string url = "file://" + (out / "report.html").string();
  const std::vector<std::string> browser =
      BrowserArgs(*chromium, dir / "chromium-profile", 1280, 4000, 5000);

  // The screenshot: a real picture, not a blank page.
  const std::filesystem::path shot = dir / "shot.png";
  std::vector<std::string> capture = browser;
  capture.insert(capture.end(), {"--screenshot=" + shot.string(), url});
  Result screenshot = RunFor(capture, kBrowserTimeoutMs);
  ASSERT_FALSE(screenshot.timed_out) << "chromium took over 60 s:\n" << screenshot.err;
  ASSERT_EQ(screenshot.status.code, 0) << screenshot.err;
  const std::string png = ReadText(shot);
  EXPECT_GT(png.size(), 100000u) << "a page of charts compresses to hundreds of kB";
  std::optional<Image> image = DecodePng(png);
  ASSERT_TRUE(image.has_value()) << "not a PNG Chromium would write";
  EXPECT_EQ(image->width, 1280u);
  EXPECT_EQ(image->height, 4000u);
  std::set<uint32_t> colours;
  size_t ink = 0, sampled = 0;
  for (uint32_t y = 0; y < image->height; y += 3) {
    for (uint32_t x = 0; x < image->width; x += 3) {
      const uint8_t* p = image->At(x, y);
      colours.insert((p[0] << 16) | (p[1] << 8) | p[2]);
      ink += p[0] + p[1] + p[2] < 3 * 235 ? 1 : 0;
      ++sampled;
    }
  }
  EXPECT_GT(colours.size(), 100u) << "charts draw in many colours";
  EXPECT_GT(static_cast<double>(ink) / sampled, 0.03) << "text, lines and points on white";

  // The DOM once the scripts ran, and the console.
  std::vector<std::string> dump = browser;
  dump.insert(dump.end(), {"--dump-dom", url});
  Result dom_run = RunFor(dump, kBrowserTimeoutMs);
  ASSERT_FALSE(dom_run.timed_out) << "chromium took over 60 s:\n" << dom_run.err;
  ASSERT_EQ(dom_run.status.code, 0) << dom_run.err;
  for (const std::string& log : {screenshot.err, dom_run.err}) {
    EXPECT_TRUE(ConsoleProblems(log).empty()) << "console output: " << ConsoleProblems(log)[0];
  }
  const std::string dom = dom_run.Out();
  const std::string page = ReadText(out / "report.html");
  const size_t charts =
      Count(page, "<figure class=\"chart\"") + Count(page, "<figure class=\"svg-chart\"");
  EXPECT_EQ(charts, 17u) << "6 loss-curve panels, 6 loss-vs-LR, 2 optimal-LR, parity, "
                            "residuals, the surface";
  const size_t body = dom.find("<body data-charts=");
  ASSERT_NE(body, std::string::npos);
  const std::string body_tag = dom.substr(body, dom.find('>', body) - body);
  const std::string all = std::to_string(charts);
  EXPECT_NE(body_tag.find("data-rendered=\"" + all + " of " + all + " charts\""), std::string::npos)
      << body_tag;
  EXPECT_EQ(body_tag.find("data-errors"), std::string::npos) << body_tag;
  EXPECT_NE(dom.find("<div id=\"page-errors\" class=\"errors\" hidden=\"\"><h2>Errors while "
                     "drawing</h2><ul></ul></div>"),
            std::string::npos)
      << "no error listed";
  EXPECT_EQ(Count(dom, "data-drawn=\"yes\""), charts);
  EXPECT_EQ(Count(dom, "data-drawn=\"no\""), 0u);
  EXPECT_EQ(Count(dom, "data-points=\"0\""), 0u) << "every chart has points";
  EXPECT_EQ(Count(dom, "data-points=\""), charts - 1) << "every Chart.js chart counted them";

  // The numbers shown: the recommendation as `recommend` gives it, the parameters as fit.json.
  EXPECT_EQ(FieldText(dom, "rec:almr"), FormatAlmr(rec["almr"].get<double>()));
  EXPECT_EQ(FieldText(dom, "rec:lr"), FormatLr(rec["lr"].get<double>()));
  EXPECT_EQ(FieldText(dom, "rec:loss_additional"),
            FormatLoss(rec["loss_additional"].get<double>()));
  EXPECT_EQ(FieldText(dom, "rec:target_params"), "40M");
  EXPECT_EQ(FieldText(dom, "state:succeeded"), "87");
  const nlohmann::json fit = nlohmann::json::parse(ReadText(out / "fit.json"));
  EXPECT_EQ(fit["source"], "sweep 1");
  size_t parameters = 0;
  for (const nlohmann::json& c : fit["components"]) {
    for (const nlohmann::json& p : c["parameters"]) {
      const std::string key = c["split"].get<std::string>() + ":" + p["name"].get<std::string>();
      EXPECT_EQ(FieldText(dom, "value:" + key), FormatEstimate(p["value"].get<double>())) << key;
      ++parameters;
    }
  }
  EXPECT_EQ(parameters, 24u) << "twelve parameters a split";
  const std::string md = ReadText(out / "report.md");
  EXPECT_NE(md.find("| ALMR "), std::string::npos);
  EXPECT_NE(md.find(FormatLr(rec["lr"].get<double>())), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(ReportE2ETest, AReportOfFitJsonAloneSaysWhatNeedsTheSweep) {
  auto dir = TestDir();
  const std::string db = (dir / "store.db").string();
  const std::filesystem::path example =
      std::filesystem::path(MIXLAW_SOURCE_DIR) / "examples" / "demo-synthetic.json";
  ASSERT_EQ(Mixlaw({"sweep", "run", example.string(), "--db", db}, dir.string()).status.code, 0);
  const std::string fit = (dir / "fit.json").string();
  Result fitted = Mixlaw({"fit", "1", "--db", db, "--bootstrap", "10", "--out", fit});
  ASSERT_EQ(fitted.status.code, 0) << fitted.err;
  const std::filesystem::path out = dir / "report";
  Result report = Mixlaw(
      {"report", "--fit", fit, "--target-params", "4e7", "--weight", "0.5", "--out", out.string()});
  ASSERT_EQ(report.status.code, 0) << report.err;
  EXPECT_EQ(report.out[0], "wrote " + (out / "report.html").string());
  Result rec = Mixlaw({"recommend", "--fit", fit, "--target-params", "4e7", "--weight", "0.5"});
  ASSERT_EQ(rec.status.code, 0) << rec.err;
  const std::string page = ReadText(out / "report.html");
  EXPECT_EQ(Count(page, "data-chart=\"loss-curves\""), 0u);
  EXPECT_NE(page.find("Loss curves need the sweep"), std::string::npos);
  EXPECT_GT(Count(page, "data-chart=\"loss-vs-lr\""), 0u) << "FIT.json keeps the runs fitted";
  // The same recommendation as `recommend --fit` prints, in the same words.
  const std::string almr = FieldText(page, "rec:almr"), lr = FieldText(page, "rec:lr");
  EXPECT_NE(rec.Out().find("  ALMR             " + almr), std::string::npos) << rec.Out();
  EXPECT_NE(rec.Out().find("  peak LR          " + lr), std::string::npos) << rec.Out();
  EXPECT_NE(report.Out().find("ALMR " + almr + ", peak LR " + lr), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(ReportE2ETest, AReportNeedsATargetSizeAndOneSource) {
  auto dir = TestDir();
  const std::string out = (dir / "report").string();
  Result neither = Mixlaw({"report", "--out", out});
  EXPECT_EQ(neither.status.code, 2);
  EXPECT_NE(neither.err.find("give a sweep id or --fit FIT.json"), std::string::npos)
      << neither.err;
  const std::string fit = testing_support::WriteFile(dir / "fit.json", "{\"format\": 1}");
  Result untargeted = Mixlaw({"report", "--fit", fit, "--out", out});
  EXPECT_EQ(untargeted.status.code, 2);
  EXPECT_NE(untargeted.err.find("--target-params: required with --fit"), std::string::npos)
      << untargeted.err;
  Result refused = Mixlaw({"report", "--fit", fit, "--out", out, "--target-params", "1e9"});
  EXPECT_EQ(refused.status.code, 2);
  EXPECT_NE(refused.err.find(fit + ": "), std::string::npos) << refused.err;
  EXPECT_FALSE(std::filesystem::exists(out)) << "nothing written for a refused input";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mixlaw
