#include "orchestrator/store_schema.h"

namespace mixlaw {

// Run and sweep states are stored as their mixlaw.v1 enum numbers.
const std::vector<const char*>& StoreMigrations() {
  static const std::vector<const char*> migrations = {
      // 0 -> 1
      R"sql(
CREATE TABLE sweeps (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  spec_json TEXT NOT NULL,
  spec_dir TEXT NOT NULL,
  state INTEGER NOT NULL,
  target_params REAL,
  created_ms INTEGER NOT NULL
);
CREATE INDEX sweeps_by_name ON sweeps(name);
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  sweep_id INTEGER NOT NULL REFERENCES sweeps(id),
  name TEXT NOT NULL,
  stage TEXT NOT NULL,
  model TEXT NOT NULL,
  params REAL NOT NULL,
  almr REAL NOT NULL,
  peak_lr REAL NOT NULL,
  seed INTEGER NOT NULL,
  tokens INTEGER NOT NULL,
  depends_on INTEGER REFERENCES runs(id),
  device TEXT NOT NULL,
  trainer_kind TEXT NOT NULL,
  command TEXT NOT NULL,
  config_json TEXT NOT NULL,
  state INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  lease_seq INTEGER NOT NULL DEFAULT 0,
  lease_expires_ms INTEGER,
  worker_id TEXT NOT NULL DEFAULT '',
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  step INTEGER NOT NULL DEFAULT 0,
  total_steps INTEGER NOT NULL,
  failure_reason TEXT NOT NULL DEFAULT '',
  artifacts_json TEXT NOT NULL DEFAULT '{}',
  updated_ms INTEGER NOT NULL,
  UNIQUE (sweep_id, name)
);
CREATE INDEX runs_by_state ON runs(state, sweep_id, id);
CREATE INDEX runs_by_dependency ON runs(depends_on);
CREATE TABLE splits (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);
-- One row a loss value; the key makes a resent value overwrite itself, never duplicate.
CREATE TABLE metrics (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  split_id INTEGER NOT NULL REFERENCES splits(id),
  step INTEGER NOT NULL,
  loss REAL,            -- NULL: the trainer reported NaN or infinity
  tokens INTEGER NOT NULL,
  lr REAL NOT NULL,
  PRIMARY KEY (run_id, split_id, step)
) WITHOUT ROWID;
CREATE TABLE workers (
  id INTEGER PRIMARY KEY,
  hostname TEXT NOT NULL,
  devices TEXT NOT NULL,
  registered_ms INTEGER NOT NULL,
  last_seen_ms INTEGER NOT NULL
);
)sql",
      // 1 -> 2: StopRun. A held run asked to stop keeps its stop reason in failure_reason until
      // its worker has stopped the trainer.
      R"sql(
ALTER TABLE runs ADD COLUMN stop_requested INTEGER NOT NULL DEFAULT 0;
)sql",
  };
  return migrations;
}

}  // namespace mixlaw
