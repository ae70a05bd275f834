// The fitter's one way to use several cores: independent tasks over a shared counter.
#ifndef MIXLAW_FITTER_PARALLEL_H_
#define MIXLAW_FITTER_PARALLEL_H_

#include <functional>

namespace mixlaw {

// Calls body(i) for every i in [0, n) on up to `threads` threads (the caller's among them) and
// returns when all are done. Tasks must not depend on one another.
void ParallelFor(int n, int threads, const std::function<void(int)>& body);

}  // namespace mixlaw

#endif  // MIXLAW_FITTER_PARALLEL_H_
