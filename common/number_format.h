// How every command and report writes the numbers a user compares: losses, learning rates,
// mixture ratios, sizes.
#ifndef MIXLAW_COMMON_NUMBER_FORMAT_H_
#define MIXLAW_COMMON_NUMBER_FORMAT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mixlaw {

std::string FormatLoss(double loss);         // "2.3456" (nats per token); "NaN"
std::string FormatLr(double lr);             // "3.00e-03"
std::string FormatAlmr(double almr);         // "0.25"
std::string FormatParams(double params);     // "70B", "8.03B", "125M", "480k"
std::string FormatPercent(double fraction);  // "45.0%"
std::string FormatEstimate(
    double value);  // a fitted parameter or its bound: "-0.34512", "1.2346e+05"
std::string FormatStdError(double error);  // a parameter's standard error: "0.0123"; "-" when NaN
std::string FormatFactor(double factor);   // how far off a prediction is: "x1.25"
std::string FormatFlops(double flops);     // training compute: "1.03e+14"
// Runs by state, as `sweep watch` says them: "84 succeeded, 3 diverged"; "no runs" when empty.
std::string FormatCounts(const std::vector<std::pair<std::string, int64_t>>& counts);

}  // namespace mixlaw

#endif  // MIXLAW_COMMON_NUMBER_FORMAT_H_
