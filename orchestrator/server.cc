#include "orchestrator/server.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/file_io.h"
#include "common/log.h"
#include "common/time.h"

namespace mixlaw {

absl::StatusOr<std::unique_ptr<Orchestrator>> Orchestrator::Start(
    const OrchestratorOptions& options) {
  if (!options.tokens.enabled() && !IsLoopbackAddress(options.listen)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing to listen on ", options.listen,
        " without tokens: pass --client-token-file and --worker-token-file, or listen on "
        "127.0.0.1"));
  }
  if (options.tokens.enabled() &&
      (options.tokens.worker.empty() || options.tokens.worker == options.tokens.client)) {
    return absl::InvalidArgumentError("the client and worker tokens must both be given and differ");
  }
  if (options.tls_cert_path.empty() != options.tls_key_path.empty()) {
    return absl::InvalidArgumentError("TLS needs both --tls-cert and --tls-key");
  }
  std::unique_ptr<Orchestrator> o(new Orchestrator());
  o->options_ = options;
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(options.db_path);
  if (!store.ok()) return store.status();
  o->store_ = std::move(*store);
  o->store_->SetTransactionHistogram(&o->metrics_.write_transaction);
  int64_t grace =
      options.restart_grace_ms >= 0 ? options.restart_grace_ms : options.policy.lease_timeout_ms;
  absl::Status extended = o->store_->ExtendLeases(UnixMillis(), grace);
  if (!extended.ok()) return extended;

  std::error_code ec;
  std::filesystem::path store_dir = std::filesystem::absolute(options.db_path, ec).parent_path();
  o->sweep_service_ = std::make_unique<SweepServiceImpl>(o->store_.get(), options.tokens,
                                                         (store_dir / "runs").string());
  o->worker_service_ = std::make_unique<WorkerServiceImpl>(o->store_.get(), options.tokens,
                                                           options.policy, &o->metrics_);
  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!options.tls_cert_path.empty()) {
    absl::StatusOr<std::string> cert = ReadFileToString(options.tls_cert_path);
    if (!cert.ok()) return cert.status();
    absl::StatusOr<std::string> key = ReadFileToString(options.tls_key_path);
    if (!key.ok()) return key.status();
    grpc::SslServerCredentialsOptions ssl;
    ssl.pem_key_cert_pairs.push_back({*key, *cert});
    credentials = grpc::SslServerCredentials(ssl);
  }
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, credentials, &o->port_);
  builder.RegisterService(o->sweep_service_.get());
  builder.RegisterService(o->worker_service_.get());
  builder.SetMaxReceiveMessageSize(64 << 20);
  builder.SetMaxSendMessageSize(64 << 20);
  o->server_ = builder.BuildAndStart();
  if (o->server_ == nullptr || o->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen,
                                               " (in use, or not an address of this machine)"));
  }
  o->reaper_ = std::thread([raw = o.get()] { raw->ReapLoop(); });
  return o;
}

Orchestrator::~Orchestrator() { Shutdown(); }

std::string Orchestrator::local_address() const { return absl::StrCat("127.0.0.1:", port_); }

void Orchestrator::ReapLoop() {
  int64_t period_ms = std::clamp<int64_t>(options_.policy.lease_timeout_ms / 4, 50, 1000);
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    stop_cv_.wait_for(lock, std::chrono::milliseconds(period_ms));
    if (stopping_) break;
    lock.unlock();
    absl::StatusOr<int> expired = store_->ExpireLeases(UnixMillis());
    if (!expired.ok()) {
      MIXLAW_LOG(Error) << "expiring leases: " << expired.status().message();
    } else if (*expired > 0) {
      metrics_.leases_expired.fetch_add(static_cast<uint64_t>(*expired), std::memory_order_relaxed);
      MIXLAW_LOG(Warning) << *expired << " lease(s) expired; their runs wait to be leased again";
    }
    lock.lock();
  }
}

void Orchestrator::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && !reaper_.joinable()) return;
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  }
  if (reaper_.joinable()) reaper_.join();
}

void Orchestrator::Wait() {
  std::unique_lock<std::mutex> lock(mutex_);
  stop_cv_.wait(lock, [&] { return stopping_; });
}

}  // namespace mixlaw
