#include "dashboard/server.h"

#include <charconv>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/log.h"
#include "common/thread_priority.h"
#include "common/time.h"
#include "dashboard/access.h"
#include "dashboard/metrics_text.h"
#include "dashboard/page_assets.h"
#include "httplib.h"
#include "orchestrator/auth.h"
#include "report/page_assets.h"

namespace mixlaw {

namespace {

// cpp-httplib compresses a response whose type is exactly "application/json" or
// "application/javascript", or any "text/...", each time it is sent, with brotli at its slowest
// quality when the browser accepts it (0.6 s for Chart.js). The views are built once for many
// readers, so theirs and the scripts' types carry a charset, which keeps them as they are.
constexpr char kJson[] = "application/json; charset=utf-8";
constexpr char kScript[] = "application/javascript; charset=utf-8";

// "host:port", "[::1]:port" -> host and port; false when it is not of that form.
bool SplitAddress(const std::string& address, std::string* host, int* port) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  *host = address.substr(0, colon);
  if (host->size() >= 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  return absl::SimpleAtoi(address.substr(colon + 1), port) && *port >= 0 && *port <= 65535;
}

int HttpStatus(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

void Error(httplib::Response& response, int status, const std::string& message) {
  response.status = status;
  response.set_content(nlohmann::json{{"error", message}}.dump(), kJson);
}

// Serves a view with its ETag: 304 when the browser holds that version already.
void Serve(const httplib::Request& request, httplib::Response& response,
           const absl::StatusOr<Views::BodyPtr>& found) {
  if (!found.ok()) {
    return Error(response, HttpStatus(found.status()), std::string(found.status().message()));
  }
  const Views::BodyPtr& body = *found;
  response.set_header("ETag", body->etag);
  response.set_header("Cache-Control", "no-cache");
  response.set_header("Vary", "Accept-Encoding");
  if (request.get_header_value("If-None-Match") == body->etag) {
    response.status = 304;
    return;
  }
  if (!body->gzip.empty() &&
      request.get_header_value("Accept-Encoding").find("gzip") != std::string::npos) {
    response.set_header("Content-Encoding", "gzip");
    response.set_content(body->gzip, kJson);
    return;
  }
  response.set_content(body->json, kJson);
}

// The id in path segment 1 of the route's pattern; false (and a 400) when it is not one.
bool PathId(const httplib::Request& request, httplib::Response& response, int64_t* id) {
  if (absl::SimpleAtoi(request.matches[1].str(), id) && *id > 0) return true;
  Error(response, 400, absl::StrCat("'", request.matches[1].str(), "' is not an id"));
  return false;
}

// A cookie-octet of RFC 6265: what a cookie value may hold unquoted.
bool CookieSafe(const std::string& token) {
  for (unsigned char c : token) {
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == ',' || c == ';' || c == '\\') return false;
  }
  return true;
}

// cpp-httplib's pool, its threads at background priority: on a busy orchestrator, serving pages
// takes the cores the leases leave idle.
class BackgroundPool : public httplib::ThreadPool {
 public:
  using httplib::ThreadPool::ThreadPool;
  void enqueue(std::function<void()> fn) override {
    httplib::ThreadPool::enqueue([fn = std::move(fn)] {
      RunInBackground();
      fn();
    });
  }
};

}  // namespace

Dashboard::Dashboard(const DashboardOptions& options, Orchestrator* orchestrator)
    : options_(options),
      orchestrator_(orchestrator),
      views_(orchestrator->store(), options.refresh_ms),
      fits_(
          orchestrator->store(),
          [&options] {
            FitOptions fit;
            fit.bootstrap = options.bootstrap;
            fit.threads = options.fit_threads;
            return fit;
          }(),
          options.refresh_ms) {}

absl::StatusOr<std::unique_ptr<Dashboard>> Dashboard::Start(const DashboardOptions& options,
                                                            Orchestrator* orchestrator) {
  const OrchestratorOptions& served = orchestrator->options();
  std::string host;
  int port = 0;
  if (!SplitAddress(options.listen, &host, &port)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--http ", options.listen, ": not HOST:PORT (127.0.0.1:7680, [::1]:0)"));
  }
  if (!served.tokens.enabled() && !IsLoopbackAddress(options.listen)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "refusing to serve the dashboard on ", options.listen,
        " without tokens: pass --client-token-file and --worker-token-file, or listen on "
        "127.0.0.1"));
  }
  std::unique_ptr<Dashboard> d(new Dashboard(options, orchestrator));
  if (!served.tls_cert_path.empty()) {
    d->http_ = std::make_unique<httplib::SSLServer>(served.tls_cert_path.c_str(),
                                                    served.tls_key_path.c_str());
    d->tls_ = true;
  } else {
    d->http_ = std::make_unique<httplib::Server>();
  }
  if (!d->http_->is_valid()) {
    return absl::InvalidArgumentError(absl::StrCat("--tls-cert ", served.tls_cert_path,
                                                   " / --tls-key ", served.tls_key_path,
                                                   ": not a PEM certificate and its key"));
  }
  d->http_->new_task_queue = [threads = options.http_threads] {
    return new BackgroundPool(static_cast<size_t>(threads));
  };
  d->http_->set_keep_alive_timeout(options.keep_alive_s);
  d->Route();
  d->port_ = port == 0 ? d->http_->bind_to_any_port(host) : port;
  if (d->port_ <= 0 || (port != 0 && !d->http_->bind_to_port(host, port))) {
    return absl::UnavailableError(absl::StrCat("--http ", options.listen,
                                               ": cannot listen (in use, or not an address of "
                                               "this machine)"));
  }
  d->listener_ = std::thread([raw = d.get()] { raw->http_->listen_after_bind(); });
  return d;
}

Dashboard::~Dashboard() { Shutdown(); }

void Dashboard::Shutdown() {
  if (http_ != nullptr) http_->stop();
  if (listener_.joinable()) listener_.join();
}

void Dashboard::Route() {
  const std::string token = orchestrator_->options().tokens.client;
  // Every path but the login form and the style it uses needs the client token when tokens are on.
  http_->set_pre_routing_handler(
      [token](const httplib::Request& request, httplib::Response& response) {
        if (request.path == "/login" || request.path == "/assets/dashboard.css") {
          return httplib::Server::HandlerResponse::Unhandled;
        }
        const Access access = CheckAccess(request, token);
        if (access == Access::kAllowed) return httplib::Server::HandlerResponse::Unhandled;
        response.status = access == Access::kNoToken ? 401 : 403;
        response.set_header("WWW-Authenticate", "Bearer realm=\"mixlaw\"");
        if (request.path == "/") {
          response.set_content(LoginPage(access == Access::kNoToken ? "" : "Wrong token."),
                               "text/html; charset=utf-8");
        } else {
          response.set_content(access == Access::kNoToken
                                   ? "the client token is required: send 'Authorization: Bearer "
                                     "TOKEN' or sign in at /login\n"
                                   : "wrong token\n",
                               "text/plain; charset=utf-8");
        }
        return httplib::Server::HandlerResponse::Handled;
      });
  http_->set_post_routing_handler([](const httplib::Request&, httplib::Response& response) {
    response.set_header("X-Content-Type-Options", "nosniff");
    response.set_header("Content-Security-Policy",
                        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                        "img-src 'self' data:; frame-ancestors 'none'");
  });

  http_->Get("/", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(dashboard::PageHtml(), "text/html; charset=utf-8");
  });
  http_->Get("/assets/dashboard.js", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(dashboard::PageScript(), kScript);
  });
  http_->Get("/assets/dashboard.css", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(dashboard::PageStyle(), "text/css; charset=utf-8");
  });
  http_->Get("/assets/chart.js", [](const httplib::Request&, httplib::Response& response) {
    response.set_header("Cache-Control", "max-age=86400");
    response.set_content(report::ChartJs(), kScript);
  });
  http_->Get("/login", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(LoginPage(""), "text/html; charset=utf-8");
  });
  http_->Post("/login", [token, this](const httplib::Request& request,
                                      httplib::Response& response) {
    const std::string sent = request.get_param_value("token");
    if (token.empty()) {
      response.set_redirect("/", 303);  // no tokens: nothing to sign in to
      return;
    }
    if (!SameToken(sent, token)) {
      response.status = 403;
      response.set_content(LoginPage("Wrong token."), "text/html; charset=utf-8");
      return;
    }
    if (!CookieSafe(token)) {
      response.status = 400;
      response.set_content(LoginPage("This token holds characters a cookie cannot carry (spaces, "
                                     "quotes, commas, semicolons): send it as a bearer header."),
                           "text/html; charset=utf-8");
      return;
    }
    response.set_header("Set-Cookie", SessionCookie(token, tls_));
    response.set_redirect("/", 303);
  });

  http_->Get("/api/sweeps", [this](const httplib::Request& request, httplib::Response& response) {
    Serve(request, response, views_.Sweeps());
  });
  http_->Get(R"(/api/sweeps/([^/]+))",
             [this](const httplib::Request& request, httplib::Response& response) {
               int64_t id = 0;
               if (PathId(request, response, &id)) Serve(request, response, views_.Sweep(id));
             });
  http_->Get(R"(/api/runs/([^/]+)/points)",
             [this](const httplib::Request& request, httplib::Response& response) {
               int64_t id = 0;
               if (PathId(request, response, &id)) Serve(request, response, views_.RunPoints(id));
             });
  auto fit = [this](bool refit) {
    return [this, refit](const httplib::Request& request, httplib::Response& response) {
      int64_t id = 0;
      if (!PathId(request, response, &id)) return;
      absl::StatusOr<nlohmann::json> j = fits_.Get(id, refit);
      if (!j.ok())
        return Error(response, HttpStatus(j.status()), std::string(j.status().message()));
      response.set_header("Cache-Control", "no-store");
      response.set_content(j->dump(), kJson);
    };
  };
  http_->Get(R"(/api/sweeps/([^/]+)/fit)", fit(false));
  http_->Post(R"(/api/sweeps/([^/]+)/fit)", fit(true));

  http_->Get("/metrics", [this](const httplib::Request&, httplib::Response& response) {
    const OrchestratorOptions& served = orchestrator_->options();
    absl::StatusOr<StoreGauges> gauges =
        ReadStoreGauges(*orchestrator_->store(), served.db_path, orchestrator_->metrics(),
                        UnixMillis(), served.policy.lease_timeout_ms);
    if (!gauges.ok()) {
      response.status = 500;
      response.set_content(absl::StrCat("reading the store: ", gauges.status().message(), "\n"),
                           "text/plain; charset=utf-8");
      return;
    }
    response.set_content(MetricsText(orchestrator_->metrics(), *gauges),
                         "text/plain; version=0.0.4; charset=utf-8");
  });
  http_->set_error_handler([](const httplib::Request& request, httplib::Response& response) {
    if (response.status == 404 && response.body.empty()) {
      response.set_content(absl::StrCat("no such page: ", request.path, "\n"),
                           "text/plain; charset=utf-8");
    }
  });
}

}  // namespace mixlaw
