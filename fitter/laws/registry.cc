#include "fitter/laws/registry.h"

#include "fitter/laws/chinchilla.h"
#include "fitter/laws/coupling.h"
#include "fitter/laws/dcpt.h"
#include "fitter/laws/mixing.h"
#include "fitter/laws/optimal_lr.h"
#include "fitter/observations.h"

namespace mixlaw {

const std::vector<LawEntry>& AllLaws() {
  static const CouplingAdditionalLaw* coupling_additional = new CouplingAdditionalLaw;
  static const CouplingBaseLaw* coupling_base = new CouplingBaseLaw;
  static const DcptLaw* dcpt = new DcptLaw;
  static const ChinchillaLaw* chinchilla = new ChinchillaLaw;
  static const MixingLaw* mixing = new MixingLaw;
  static const OptimalLrLaw<false>* optimal_lr = new OptimalLrLaw<false>;
  static const OptimalLrLaw<true>* optimal_lr_compute = new OptimalLrLaw<true>;
  static const std::vector<LawEntry>* laws = new std::vector<LawEntry>{
      {"coupling",
       "the ALMR-LR coupling law, per split (the default)",
       {{kSplitAdditional, coupling_additional}, {kSplitBase, coupling_base}}},
      {"dcpt", "the D-CPT law L(N, D, r)", {{"", dcpt}}},
      {"chinchilla", "Chinchilla L(N, D)", {{"", chinchilla}}},
      {"mixing", "the data mixing law L(r) = c + k exp(t r)", {{"", mixing}}},
      {"optimal-lr", "the best LR as a power of N", {{"", optimal_lr}}},
      {"optimal-lr-compute", "the best LR as a power of C = 6 N D", {{"", optimal_lr_compute}}},
  };
  return *laws;
}

const LawEntry* FindLaw(const std::string& name) {
  for (const LawEntry& entry : AllLaws()) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

std::string LawNames() {
  std::string names;
  for (const LawEntry& entry : AllLaws()) {
    if (!names.empty()) names += ", ";
    names += entry.name;
  }
  return names;
}

}  // namespace mixlaw
