// The orchestrator: the store, the gRPC server with both services, and the lease reaper.
#ifndef MIXLAW_ORCHESTRATOR_SERVER_H_
#define MIXLAW_ORCHESTRATOR_SERVER_H_

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "orchestrator/auth.h"
#include "orchestrator/services.h"
#include "orchestrator/store.h"

namespace mixlaw {

struct OrchestratorOptions {
  std::string db_path;
  std::string listen = "127.0.0.1:7600";  // port 0 picks a free one
  Tokens tokens;
  std::string tls_cert_path;  // both set: TLS
  std::string tls_key_path;
  LeasePolicy policy;
  // After a restart, leases held before it get this long to be renewed (default: the timeout).
  int64_t restart_grace_ms = -1;
};

class Orchestrator {
 public:
  // Opens the store and starts serving. Refuses a non-loopback address without tokens.
  static absl::StatusOr<std::unique_ptr<Orchestrator>> Start(const OrchestratorOptions& options);
  ~Orchestrator();
  Orchestrator(const Orchestrator&) = delete;
  Orchestrator& operator=(const Orchestrator&) = delete;

  // The port actually bound.
  int port() const { return port_; }
  // "127.0.0.1:PORT" for clients on this machine.
  std::string local_address() const;
  Store* store() { return store_.get(); }
  // What it has done since it started (dashboard/ serves it as /metrics).
  const ServerMetrics& metrics() const { return metrics_; }
  const OrchestratorOptions& options() const { return options_; }

  // Stops accepting calls, finishes those in flight (up to a deadline) and stops the reaper.
  void Shutdown();
  // Blocks until Shutdown() has been called (from another thread or a signal handler's waker).
  void Wait();

 private:
  Orchestrator() = default;
  void ReapLoop();

  OrchestratorOptions options_;
  ServerMetrics metrics_;  // before store_: the store records into it until it closes
  std::unique_ptr<Store> store_;
  std::unique_ptr<SweepServiceImpl> sweep_service_;
  std::unique_ptr<WorkerServiceImpl> worker_service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::thread reaper_;
  std::mutex mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by mutex_
};

}  // namespace mixlaw

#endif  // MIXLAW_ORCHESTRATOR_SERVER_H_
