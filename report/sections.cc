#include "report/sections.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/number_format.h"

namespace mixlaw::report {

Series Line(std::string label, std::string color, bool in_legend) {
  Series s{std::move(label), std::move(color)};
  s.line = true;
  s.in_legend = in_legend;
  return s;
}

std::string PanelName(double params, const std::string& split) {
  return absl::StrCat(FormatParams(params), " ", split);
}

std::string SignedLoss(double difference) {
  return (difference >= 0 ? "+" : "") + FormatLoss(difference);
}

std::string SignedPercent(double fraction) {
  return (fraction >= 0 ? "+" : "") + FormatPercent(fraction);
}

std::string Between(const Interval& interval, std::string (*format)(double)) {
  return std::isnan(interval.lower)
             ? "-"
             : absl::StrCat("[", format(interval.lower), ", ", format(interval.upper), "]");
}

absl::StatusOr<Content> BuildContent(const ReportInput& input) {
  absl::StatusOr<LawViews> views = ViewsOf(input.fit, input.options);
  if (!views.ok()) return views.status();
  const SectionInput in{input, *views};
  Content content;
  content.title = input.sweep ? absl::StrCat("Sweep ", input.sweep->id, ": ", input.sweep->name)
                              : absl::StrCat("Fit ", input.fit_path);
  const LawFit& fit = input.fit;
  content.subtitle = absl::StrCat(
      fit.law, " law fitted to ", fit.data.runs, " runs of ", fit.source, " (",
      fit.data.sizes.size(), fit.data.sizes.size() == 1 ? " size, " : " sizes, ",
      fit.data.almrs.size(), fit.data.almrs.size() == 1 ? " ALMR" : " ALMRs",
      "); recommendation for ", FormatParams(input.options.target_params), " parameters");
  content.sections.push_back(RecommendationSection(in));
  if (input.validation) content.sections.push_back(ValidationSection(in));
  if (input.study) content.sections.push_back(StudySection(in));
  content.sections.push_back(SweepSection(in));
  content.sections.push_back(CurvesSection(in));
  content.sections.push_back(LossVsLrSection(in));
  content.sections.push_back(OptimalLrSection(in));
  content.sections.push_back(SurfaceSection(in));
  content.sections.push_back(ParitySection(in));
  content.sections.push_back(CrossValidationSection(in));
  content.sections.push_back(ParametersSection(in));
  content.sections.push_back(WarningsSection(in));
  return content;
}

}  // namespace mixlaw::report
