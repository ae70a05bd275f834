// mixlaw serve: the orchestrator as a server.
#include <iostream>
#include <thread>

#include "cli/commands.h"
#include "common/log.h"
#include "dashboard/server.h"
#include "orchestrator/server.h"

namespace mixlaw {

namespace {

struct ServeFlags {
  std::string db;
  std::string listen = "127.0.0.1:7600";
  std::string client_token_file;
  std::string worker_token_file;
  std::string tls_cert;
  std::string tls_key;
  double lease_timeout_s = 30.0;
  double heartbeat_interval_s = 2.0;
  std::string http;  // empty: no dashboard
  int http_refresh_ms = 500;
  int fit_bootstrap = 200;
};

int RunServe(const ServeFlags& flags) {
  OrchestratorOptions options;
  options.db_path = flags.db;
  options.listen = flags.listen;
  options.tls_cert_path = flags.tls_cert;
  options.tls_key_path = flags.tls_key;
  options.policy.lease_timeout_ms = static_cast<int64_t>(flags.lease_timeout_s * 1000);
  options.policy.heartbeat_interval_ms = static_cast<int64_t>(flags.heartbeat_interval_s * 1000);
  if (options.policy.heartbeat_interval_ms * 2 > options.policy.lease_timeout_ms) {
    std::cerr << "mixlaw serve: --heartbeat-interval must be at most half of --lease-timeout\n";
    return kExitUsage;
  }
  if (flags.client_token_file.empty() != flags.worker_token_file.empty()) {
    std::cerr
        << "mixlaw serve: give both --client-token-file and --worker-token-file, or neither\n";
    return kExitUsage;
  }
  if (!flags.client_token_file.empty()) {
    absl::StatusOr<std::string> client = ReadTokenFile(flags.client_token_file);
    absl::StatusOr<std::string> worker = ReadTokenFile(flags.worker_token_file);
    for (const auto* t : {&client, &worker}) {
      if (!t->ok()) {
        std::cerr << "mixlaw serve: " << t->status().message() << "\n";
        return kExitUsage;
      }
    }
    options.tokens = {*client, *worker};
  }
  InstallStopSignals();
  absl::StatusOr<std::unique_ptr<Orchestrator>> orchestrator = Orchestrator::Start(options);
  if (!orchestrator.ok()) {
    std::cerr << "mixlaw serve: " << orchestrator.status().message() << "\n";
    return kExitError;
  }
  MIXLAW_LOG(Info) << "serving " << flags.db << " on " << flags.listen << " (port "
                   << (*orchestrator)->port() << ", "
                   << (options.tokens.enabled() ? "tokens required" : "no tokens: loopback only")
                   << (flags.tls_cert.empty() ? "" : ", TLS") << ")";
  std::unique_ptr<Dashboard> dashboard;
  if (!flags.http.empty()) {
    DashboardOptions dashboard_options;
    dashboard_options.listen = flags.http;
    dashboard_options.refresh_ms = flags.http_refresh_ms;
    dashboard_options.bootstrap = flags.fit_bootstrap;
    absl::StatusOr<std::unique_ptr<Dashboard>> started =
        Dashboard::Start(dashboard_options, orchestrator->get());
    if (!started.ok()) {
      std::cerr << "mixlaw serve: " << started.status().message() << "\n";
      (*orchestrator)->Shutdown();
      return started.status().code() == absl::StatusCode::kUnavailable ? kExitError : kExitUsage;
    }
    dashboard = std::move(*started);
    MIXLAW_LOG(Info) << "dashboard on " << (flags.tls_cert.empty() ? "http" : "https") << "://"
                     << flags.http.substr(0, flags.http.rfind(':')) << ":" << dashboard->port()
                     << "/ and /metrics";
    // Before "listening": scripts read this line, then wait for that one.
    std::cout << "http " << dashboard->port() << std::endl;
  }
  // The bound port on stdout, for scripts that asked for port 0.
  std::cout << "listening " << (*orchestrator)->port() << std::endl;
  while (!StopRequested().load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  MIXLAW_LOG(Info) << "shutting down";
  if (dashboard != nullptr) dashboard->Shutdown();
  (*orchestrator)->Shutdown();
  return kExitOk;
}

}  // namespace

void AddServeCommand(CLI::App& app, int* exit_code) {
  static ServeFlags flags;
  CLI::App* serve = app.add_subcommand("serve",
                                       "Run the orchestrator: keeps sweeps in a SQLite "
                                       "file and leases runs to workers over gRPC");
  serve->add_option("--db", flags.db, "SQLite store (created if absent)")->required();
  serve->add_option("--listen", flags.listen, "Address to listen on; port 0 picks one")
      ->capture_default_str();
  serve->add_option("--client-token-file", flags.client_token_file,
                    "Token for people and scripts (required off loopback)");
  serve->add_option("--worker-token-file", flags.worker_token_file,
                    "Token for workers: can lease and report runs, not manage sweeps");
  serve->add_option("--tls-cert", flags.tls_cert, "PEM certificate: serve TLS");
  serve->add_option("--tls-key", flags.tls_key, "PEM private key of --tls-cert");
  serve
      ->add_option("--lease-timeout", flags.lease_timeout_s,
                   "Seconds without a heartbeat before a lease expires")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  serve
      ->add_option("--heartbeat-interval", flags.heartbeat_interval_s,
                   "Seconds between worker heartbeats")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  serve
      ->add_option("--http", flags.http,
                   "Serve the live dashboard and /metrics on this address (port 0 picks one); "
                   "same tokens and TLS as the API")
      ->type_name("ADDR");
  serve
      ->add_option("--http-refresh-ms", flags.http_refresh_ms,
                   "The dashboard reads each view from the store at most this often")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  serve
      ->add_option("--fit-bootstrap", flags.fit_bootstrap,
                   "Bootstrap resamples of the dashboard's fits (as `recommend --bootstrap`)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  serve->callback([exit_code] { *exit_code = RunServe(flags); });
}

}  // namespace mixlaw
