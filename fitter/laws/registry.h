// The laws `mixlaw fit --law NAME` knows. An entry is one law or, for the coupling law, one law
// per evaluation split, fitted side by side on the same runs.
#ifndef MIXLAW_FITTER_LAWS_REGISTRY_H_
#define MIXLAW_FITTER_LAWS_REGISTRY_H_

#include <string>
#include <vector>

#include "fitter/laws/law.h"

namespace mixlaw {

struct LawComponent {
  std::string split;  // the split it is fitted to; empty: the split the user names
  const Law* law;
};

struct LawEntry {
  std::string name;     // "coupling"
  std::string summary;  // one line for --help
  std::vector<LawComponent> components;
};

// Every law, the default (coupling) first. The laws live as long as the process.
const std::vector<LawEntry>& AllLaws();

// The entry named `name`, or nullptr.
const LawEntry* FindLaw(const std::string& name);

// "coupling, dcpt, chinchilla, mixing, optimal-lr, optimal-lr-compute"
std::string LawNames();

}  // namespace mixlaw

#endif  // MIXLAW_FITTER_LAWS_REGISTRY_H_
