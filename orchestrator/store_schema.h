// The store's schema, one migration a version. Only the store includes this.
#ifndef MIXLAW_ORCHESTRATOR_STORE_SCHEMA_H_
#define MIXLAW_ORCHESTRATOR_STORE_SCHEMA_H_

#include <cstdint>
#include <vector>

namespace mixlaw {

// 'MXLW': marks a SQLite file as a mixlaw store (PRAGMA application_id).
inline constexpr int64_t kStoreApplicationId = 0x4D584C57;

// Migration i (0-based) brings a store from schema version i to i + 1.
const std::vector<const char*>& StoreMigrations();

}  // namespace mixlaw

#endif  // MIXLAW_ORCHESTRATOR_STORE_SCHEMA_H_
