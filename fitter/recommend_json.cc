#include "fitter/recommend_json.h"

#include "common/json_fields.h"

namespace mixlaw {

namespace {

nlohmann::json IntervalJson(const Interval& i) {
  return {JsonNumber(i.lower), JsonNumber(i.upper)};
}

}  // namespace

nlohmann::json RecommendationToJson(const Recommendation& r) {
  nlohmann::json grid = nlohmann::json::array();
  for (const AlmrRow& row : r.grid) {
    grid.push_back({{"almr", row.almr},
                    {"lr_opt_additional", row.lr_additional},
                    {"lr_opt_base", row.lr_base},
                    {"lr", row.lr},
                    {"loss_additional", row.loss_additional},
                    {"loss_base", row.loss_base},
                    {"feasible", row.feasible}});
  }
  return {{"target_params", r.target_params},
          {"target_tokens", JsonNumber(r.target_tokens > 0 ? r.target_tokens : kNaN)},
          {"criterion", r.criterion},
          {"transfer", r.transfer},
          {"almr", r.almr},
          {"almr_interval", IntervalJson(r.almr_interval)},
          {"lr", r.lr},
          {"lr_interval", IntervalJson(r.lr_interval)},
          {"loss_additional", r.loss_additional},
          {"loss_additional_interval", IntervalJson(r.loss_additional_interval)},
          {"loss_base", r.loss_base},
          {"loss_base_interval", IntervalJson(r.loss_base_interval)},
          {"base_reference", r.base_reference},
          {"forgetting", r.forgetting},
          {"bootstrap_replicates", r.replicates},
          {"grid", grid},
          {"warnings", r.warnings}};
}

}  // namespace mixlaw
