// A report's input as `mixlaw report` builds it, from runs drawn from the planted coupling law:
// three sizes x four ALMRs x seven LRs fitted with cross-validation and a bootstrap, a sweep
// with loss curves and an unsuccessful run, and a validation at the target size.
#ifndef MIXLAW_TESTS_REPORT_REPORT_FIXTURE_H_
#define MIXLAW_TESTS_REPORT_REPORT_FIXTURE_H_

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/number_format.h"
#include "fitter/fit.h"
#include "fitter/recommend.h"
#include "gtest/gtest.h"
#include "report/report.h"
#include "tests/fitter/synthetic_data.h"

namespace mixlaw::testing_support {

inline constexpr double kTargetParams = 1e9;

inline const LawFit& PlantedFit() {
  static const LawFit* fit = [] {
    ObservationSet runs = CouplingRuns(PlantedAdditional(), PlantedBase(), {1e7, 3e7, 1e8},
                                       {0.1, 0.25, 0.5, 0.75}, 7, 0.003, 7);
    for (Observation& o : runs.runs) {
      o.name = absl::StrCat(FormatParams(o.params), "/almr", FormatAlmr(o.almr), "/lr",
                            FormatLr(o.peak_lr), "/seed0");
    }
    FitOptions options;
    options.bootstrap = 12;
    auto result = FitObservations(*FindLaw("coupling"), runs, "", options);
    EXPECT_TRUE(result.ok()) << result.status();
    return new LawFit(*result);
  }();
  return *fit;
}

inline RecommendOptions TargetOptions() {
  RecommendOptions options;
  options.target_params = kTargetParams;
  return options;
}

// The input of a report from a sweep; `failure` is the reason of its one failed run.
inline ReportInput SweepInput(const std::string& failure = "trainer exited with code 1") {
  ReportInput input;
  input.fit = PlantedFit();
  input.options = TargetOptions();
  auto rec = Recommend(input.fit, input.options);
  EXPECT_TRUE(rec.ok()) << rec.status();
  input.recommendation = *rec;
  SweepSummary sweep;
  sweep.id = 3;
  sweep.name = "planted";
  sweep.state = "finished";
  for (const Observation& o : input.fit.runs) {
    ReportRun run;
    run.name = o.name;
    run.stage = "cpt";
    run.model = "m" + FormatParams(o.params);
    run.params = o.params;
    run.almr = o.almr;
    run.peak_lr = o.peak_lr;
    run.state = "succeeded";
    for (const auto& [split, loss] : o.final_loss) {
      for (int step = 0; step <= 100; step += 20) {  // decays to the final loss
        run.curves[split].push_back({step, loss + 3.0 * std::exp(-step / 20.0)});
      }
    }
    sweep.runs.push_back(run);
  }
  ReportRun failed = sweep.runs.front();
  failed.name = "m10M/almr0.1/lr9.99e-01/seed0";
  failed.state = "failed";
  failed.failure_reason = failure;
  failed.curves.clear();
  sweep.runs.push_back(failed);
  sweep.counts = {{"succeeded", static_cast<int64_t>(sweep.runs.size() - 1)}, {"failed", 1}};
  input.sweep = sweep;
  return input;
}

// The input of a report from FIT.json alone.
inline ReportInput FitFileInput() {
  ReportInput input = SweepInput();
  input.sweep.reset();
  input.fit_path = "planted-fit.json";
  return input;
}

// A validation at the target: the law's optimum off the measured one by a factor 1.25.
inline TargetValidation Validation(const ReportInput& input) {
  TargetValidation v;
  v.model = "target-1B";
  v.params = kTargetParams;
  v.almr = input.recommendation->almr;
  v.measured_lr = 2e-3;
  v.measured_loss = 2.5;
  v.predicted_lr = 2.5e-3;
  v.predicted_loss = 2.525;
  v.transfer_lr = 8e-3;
  v.transfer_loss = 2.75;
  for (int64_t seed : {0, 1}) {
    for (double lr : {1e-3, 2e-3, 4e-3, 8e-3}) {
      const double x = std::log(lr / 2e-3);
      v.runs.push_back({lr, seed, 2.5 + 0.1 * x * x + 0.01 * seed, 2.1 + 0.05 * x * x});
    }
  }
  return v;
}

}  // namespace mixlaw::testing_support

#endif  // MIXLAW_TESTS_REPORT_REPORT_FIXTURE_H_
