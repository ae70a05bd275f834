// A study's rounds: what each trained and why, the compute spent, and how the recommended LR's
// interval narrowed round by round.
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/number_format.h"
#include "report/palette.h"
#include "report/sections.h"

namespace mixlaw::report {

Section StudySection(const SectionInput& in) {
  Section s{"study", "Study", {}};
  const StudySummary& st = *in.input.study;
  const double grid = st.grid_flops > 0 ? st.grid_flops : kNaN;
  s.blocks.push_back(Paragraph(absl::StrCat(
      "Study ", st.name, " (", st.design, " design) trained ", st.rounds.size(),
      st.rounds.size() == 1 ? " round" : " rounds", " and ended because ", st.stop_reason,
      ". It spent ", FormatFlops(st.spent_flops), " FLOPs (6ND a run), ",
      FormatPercent(st.spent_flops / grid), " of the whole grid's ", FormatFlops(st.grid_flops),
      "; its budget was ", FormatPercent(st.budget_flops / grid),
      ". Each planned round takes the runs whose predicted narrowing of the recommended LR's "
      "interval (the gain, a drop of Var(ln LR*) over the bootstrap resamples) is largest per "
      "FLOP.")));
  Table rounds{"study-rounds",
               {"round", "sweep", "runs", "why", "spent (of grid)", "recommended LR [95%]",
                "interval", "ALMR"},
               {true, false, true, false, true, true, true, true},
               {}};
  for (const StudySummary::Round& r : st.rounds) {
    rounds.rows.push_back(
        {{std::to_string(r.round)},
         {r.sweep},
         {std::to_string(r.choices.size())},
         {r.reason},
         {FormatPercent(r.spent_flops / grid), "study:spent_fraction"},
         {absl::StrCat(FormatLr(r.lr), " ", Between(r.lr_interval, FormatLr)), "study:lr"},
         {FormatFactor(r.lr_interval.upper / r.lr_interval.lower), "study:lr_factor"},
         {FormatAlmr(r.almr)}});
  }
  s.blocks.push_back(TableBlock(std::move(rounds)));

  Table choices{"study-choices",
                {"run", "round", "FLOPs", "gain", "sd of ln LR* after"},
                {false, true, true, true, true},
                {}};
  for (const StudySummary::Round& r : st.rounds) {
    if (!(r.sd_before > 0)) continue;  // the initial design or the grid: nothing was planned
    for (const StudySummary::Choice& c : r.choices) {
      choices.rows.push_back({{c.run},
                              {std::to_string(r.round)},
                              {FormatFlops(c.flops)},
                              {absl::StrFormat("%.3g", c.gain), "study:gain"},
                              {absl::StrFormat("%.3f", c.sd_after)}});
    }
  }
  if (!choices.rows.empty()) {
    s.blocks.push_back(Paragraph(
        "The planned rounds' runs in the order they were chosen, each with its gain and the sd "
        "of ln LR* the plan predicted once it and those before it are observed."));
    s.blocks.push_back(TableBlock(std::move(choices)));
  }

  Table stopped{
      "study-stopped", {"run", "round", "trained", "why"}, {false, true, true, false}, {}};
  for (const StudySummary::Round& r : st.rounds) {
    for (const StudySummary::Stopped& x : r.stopped) {
      stopped.rows.push_back({{x.run},
                              {std::to_string(r.round)},
                              {FormatPercent(x.trained_fraction), "study:trained_fraction"},
                              {x.reason}});
    }
  }
  if (!stopped.rows.empty()) {
    s.blocks.push_back(Paragraph(
        "Runs stopped early: each run's curve, read while it trained, predicted a final loss "
        "whose whole interval was above its group's best (the same size and ALMR). Each costs "
        "only the share of its steps it trained."));
    s.blocks.push_back(TableBlock(std::move(stopped)));
  }

  Chart c{"study",
          "study",
          "The recommended LR and its 95% interval, round by round",
          {"compute spent (% of the whole grid)"},
          {"recommended LR at the target (log scale)"}};
  c.y.log = true;
  Series upper = Line("95% interval", Category(0));
  Series lower = Line("95% interval", Category(0), /*in_legend=*/false);
  Series lr = Line("recommended LR", kTargetColor);
  for (const StudySummary::Round& r : st.rounds) {
    const double x = 100 * r.spent_flops / grid;
    if (!std::isfinite(x)) continue;
    if (std::isfinite(r.lr_interval.lower) && std::isfinite(r.lr_interval.upper)) {
      upper.points.push_back({x, r.lr_interval.upper});
      lower.points.push_back({x, r.lr_interval.lower});
    }
    if (std::isfinite(r.lr)) lr.points.push_back({x, r.lr});
  }
  lower.fill_to = 0;
  c.series = {std::move(upper), std::move(lower), std::move(lr)};
  s.blocks.push_back(Charts({std::move(c)}));
  return s;
}

}  // namespace mixlaw::report
