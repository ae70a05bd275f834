#include "cli/output.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>

#include "common/number_format.h"
#include "orchestrator/run_state.h"

namespace mixlaw {

std::string ProgressBar(const v1::Sweep& sweep, int width) {
  int filled = static_cast<int>(std::lround(sweep.progress() * width));
  filled = std::clamp(filled, 0, width);
  std::string bar = "[" + std::string(static_cast<size_t>(filled), '#') +
                    std::string(static_cast<size_t>(width - filled), '.') + "] ";
  std::string percent = FormatPercent(sweep.progress());
  return bar + std::string(6 - std::min<size_t>(6, percent.size()), ' ') + percent;
}

void WriteRunsTable(const std::vector<v1::Run>& runs, std::ostream& out) {
  std::vector<std::string> splits = EvalSplits(runs);
  size_t name_width = 4;
  for (const v1::Run& r : runs) name_width = std::max(name_width, r.name().size());
  out << std::left << std::setw(6) << "id" << std::setw(static_cast<int>(name_width) + 2) << "run"
      << std::setw(11) << "state" << std::setw(9) << "attempt" << std::setw(14) << "step";
  for (const std::string& s : splits) out << std::setw(18) << s;
  out << "reason\n";
  for (const v1::Run& r : runs) {
    std::ostringstream step;
    step << r.step() << "/" << r.total_steps();
    std::ostringstream attempt;
    attempt << r.attempts() << "/" << r.max_attempts();
    out << std::left << std::setw(6) << r.id() << std::setw(static_cast<int>(name_width) + 2)
        << r.name() << std::setw(11) << RunStateName(r.state()) << std::setw(9) << attempt.str()
        << std::setw(14) << step.str();
    for (const std::string& s : splits) {
      auto it = r.final_loss().find(s);
      out << std::setw(18) << (it == r.final_loss().end() ? "-" : FormatLoss(it->second));
    }
    std::string reason = r.failure_reason();
    if (reason.size() > 100) reason = reason.substr(0, 97) + "...";
    for (char& c : reason) {
      if (c == '\n') c = ' ';
    }
    out << reason << "\n";
  }
}

}  // namespace mixlaw
