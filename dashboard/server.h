// `mixlaw serve --http`: the live dashboard (a page that polls the JSON views), the fit and
// recommendation of each sweep, and /metrics for Prometheus, served over HTTP (HTTPS with the
// orchestrator's --tls-cert) beside the gRPC API. docs/dashboard.md describes every path.
#ifndef MIXLAW_DASHBOARD_SERVER_H_
#define MIXLAW_DASHBOARD_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "dashboard/fit_view.h"
#include "dashboard/views.h"
#include "orchestrator/server.h"

namespace httplib {
class Server;
}

namespace mixlaw {

struct DashboardOptions {
  std::string listen = "127.0.0.1:7680";  // port 0 picks a free one
  int64_t refresh_ms = 500;               // a view is read from the store at most this often
  int bootstrap = 200;                    // the fit's resamples, as `recommend`'s default
  int fit_threads = 2;
  // Threads that serve requests. A browser holds one for each open connection, until it closes
  // or keep_alive_s pass idle.
  int http_threads = 32;
  int keep_alive_s = 2;
};

class Dashboard {
 public:
  // Serves `orchestrator`'s store (the orchestrator must outlive the dashboard) with its tokens
  // and TLS. Refuses a non-loopback address without tokens, and an address it cannot bind.
  static absl::StatusOr<std::unique_ptr<Dashboard>> Start(const DashboardOptions& options,
                                                          Orchestrator* orchestrator);
  ~Dashboard();
  Dashboard(const Dashboard&) = delete;
  Dashboard& operator=(const Dashboard&) = delete;

  int port() const { return port_; }
  // Stops listening and waits for the requests in flight and a fit in progress.
  void Shutdown();

 private:
  Dashboard(const DashboardOptions& options, Orchestrator* orchestrator);
  void Route();

  const DashboardOptions options_;
  Orchestrator* orchestrator_;
  Views views_;
  FitView fits_;
  std::unique_ptr<httplib::Server> http_;
  bool tls_ = false;
  int port_ = 0;
  std::thread listener_;
};

}  // namespace mixlaw

#endif  // MIXLAW_DASHBOARD_SERVER_H_
