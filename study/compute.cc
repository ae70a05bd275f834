#include "study/compute.h"

namespace mixlaw {

double ObservedFlops(const ObservationSet& set) {
  double flops = 0;
  for (const std::vector<Observation>* runs : {&set.runs, &set.diverged}) {
    for (const Observation& o : *runs) flops += TrainingFlops(o.params, o.tokens);
  }
  return flops;
}

}  // namespace mixlaw
