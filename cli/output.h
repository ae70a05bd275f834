// How commands print sweeps and runs for people: a progress bar and an aligned table. The JSON
// and CSV forms are the export's (orchestrator/export.h).
#ifndef MIXLAW_CLI_OUTPUT_H_
#define MIXLAW_CLI_OUTPUT_H_

#include <ostream>
#include <string>
#include <vector>

#include "mixlaw/v1/mixlaw.pb.h"
#include "orchestrator/export.h"

namespace mixlaw {

// "[##########..........]  50.0%": the sweep's progress.
std::string ProgressBar(const v1::Sweep& sweep, int width);
// An aligned table of runs for a terminal.
void WriteRunsTable(const std::vector<v1::Run>& runs, std::ostream& out);

}  // namespace mixlaw

#endif  // MIXLAW_CLI_OUTPUT_H_
