// A sweep as the report shows it: its runs' states and evaluation curves, in the words of every
// other command (shared by `mixlaw report` and `mixlaw demo`).
#ifndef MIXLAW_CLI_REPORT_SUMMARY_H_
#define MIXLAW_CLI_REPORT_SUMMARY_H_

#include "cli/sweep_source.h"
#include "report/report.h"

namespace mixlaw {

// The summary of `data`; each run's curves come from data.points (none when absent).
SweepSummary SummaryOf(const SweepData& data);

}  // namespace mixlaw

#endif  // MIXLAW_CLI_REPORT_SUMMARY_H_
