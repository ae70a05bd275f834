// The report's sections, each built from the input and the fitted law's views of it, in the order
// the page and the Markdown show them (BuildContent). Section ids and chart kinds are stable:
// docs/report.md lists them and the tests read them.
#ifndef MIXLAW_REPORT_SECTIONS_H_
#define MIXLAW_REPORT_SECTIONS_H_

#include <string>

#include "absl/status/statusor.h"
#include "report/content.h"
#include "report/law_views.h"
#include "report/report.h"

namespace mixlaw::report {

// What every section reads.
struct SectionInput {
  const ReportInput& input;
  const LawViews& views;
};

// Every section of `input`; InvalidArgument as ViewsOf refuses a fit or options.
absl::StatusOr<Content> BuildContent(const ReportInput& input);

// sections_decision.cc: the choice, the surface it comes from, and what to beware of.
Section RecommendationSection(const SectionInput& in);
Section SurfaceSection(const SectionInput& in);
Section WarningsSection(const SectionInput& in);
// sections_sweep.cc: what was swept and how it went.
Section SweepSection(const SectionInput& in);
Section CurvesSection(const SectionInput& in);
// sections_law.cc and sections_parity.cc: the law over the measured runs.
Section LossVsLrSection(const SectionInput& in);
Section OptimalLrSection(const SectionInput& in);
Section ParitySection(const SectionInput& in);
// sections_tables.cc: the fit's numbers.
Section CrossValidationSection(const SectionInput& in);
Section ParametersSection(const SectionInput& in);
// sections_validation.cc: the recommendation checked at the target size.
Section ValidationSection(const SectionInput& in);
// sections_study.cc: a study's rounds, what each trained and why.
Section StudySection(const SectionInput& in);

// A line through points (not markers), in the legend unless `in_legend` is false.
Series Line(std::string label, std::string color, bool in_legend = true);
// "1M eval/additional": a panel's name.
std::string PanelName(double params, const std::string& split);
// "+0.0123" / "-0.0100": a loss difference, signed.
std::string SignedLoss(double difference);
// "+1.2%": a relative error, signed.
std::string SignedPercent(double fraction);
// "[lower, upper]" in `format`, or "-" when there is no interval.
std::string Between(const Interval& interval, std::string (*format)(double));

}  // namespace mixlaw::report

#endif  // MIXLAW_REPORT_SECTIONS_H_
