// The early-stopping study both its end-to-end test (tests/e2e/study_e2e_test.cc) and the check
// of every look at its curves (tests/study/early_stop_test.cc) run: the example study's three
// sizes, ALMRs 0.1 and 0.5, five LRs, one seed, 1% noise on every evaluation, one every 4 of 100
// steps, the whole grid in one round, runs judged from 30% of their steps and 6 evaluations.
#ifndef MIXLAW_TESTS_STUDY_EARLY_STOP_STUDY_H_
#define MIXLAW_TESTS_STUDY_EARLY_STOP_STUDY_H_

#include <fstream>
#include <string>

#include "nlohmann/json.hpp"

namespace mixlaw {

inline nlohmann::json EarlyStopStudy() {
  std::ifstream example(std::string(MIXLAW_SOURCE_DIR) + "/examples/study-synthetic.json");
  nlohmann::json spec = nlohmann::json::parse(example);
  nlohmann::json& proxies = spec["proxies"];
  proxies["grid"] = {{"almr", {0.1, 0.5}}, {"lr", {{"min", 1e-3}, {"max", 3e-2}, {"num", 5}}}};
  proxies["seeds"] = {0};
  proxies["training"]["eval_every"] = 4;
  proxies["pretrain"]["training"]["tokens"] = 204800;
  proxies["trainer"]["synthetic"]["step_delay_ms"] = 30;  // 100 steps: 3 s a run
  spec["design"] = "grid";
  spec["bootstrap"] = 30;
  spec["early_stop"] = {
      {"min_fraction", 0.3}, {"min_evals", 6}, {"check_every_s", 0.3}, {"bootstrap", 50}};
  return spec;
}

}  // namespace mixlaw

#endif  // MIXLAW_TESTS_STUDY_EARLY_STOP_STUDY_H_
