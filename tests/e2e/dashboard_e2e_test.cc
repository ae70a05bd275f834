// `mixlaw serve --http` as its users meet it: a real orchestrator and workers training synthetic
// sweeps on loopback, the page opened in headless Chromium while they train, /metrics read by
// Prometheus' own parser, and the tokens and TLS of the API guarding both.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <regex>
#include <set>
#include <thread>

#include "httplib.h"
#include "tests/e2e/chromium.h"
#include "tests/e2e/cluster.h"

namespace mixlaw {
namespace {

using testing_support::BrowserArgs;
using testing_support::Cluster;
using testing_support::ConsoleProblems;
using testing_support::FindChromium;
using testing_support::kBrowserTimeoutMs;
using testing_support::Mixlaw;
using testing_support::Result;
using testing_support::RunFor;
using testing_support::SyntheticPoints;
using testing_support::SyntheticSpec;
using testing_support::TestDir;
using testing_support::WriteFile;

// GET `path` from the dashboard on loopback; the body, or nullopt on a status other than 200.
std::optional<nlohmann::json> GetJson(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  httplib::Result r = client.Get(path.c_str());
  if (!r || r->status != 200) return std::nullopt;
  return nlohmann::json::parse(r->body);
}

// The page's DOM after its scripts ran for `budget_ms` of virtual time, and Chromium's console.
Result DumpDom(const std::string& chromium, const std::filesystem::path& dir,
               const std::string& url, int budget_ms) {
  std::vector<std::string> argv =
      BrowserArgs(chromium, dir / "chromium-profile", 1280, 2000, budget_ms);
  argv.insert(argv.end(), {"--dump-dom", url});
  return RunFor(argv, kBrowserTimeoutMs);
}

std::string Unescape(std::string text) {
  for (auto [from, to] : {std::pair{"&quot;", "\""}, std::pair{"&amp;", "&"}}) {
    for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + 1)) {
      text.replace(at, std::strlen(from), to);
    }
  }
  return text;
}

// The value of attribute `name` in the first tag with id `id`, or empty.
std::string AttributeOf(const std::string& dom, const std::string& id, const std::string& name) {
  std::smatch tag;
  if (!std::regex_search(dom, tag, std::regex("<[a-z]+ [^>]*id=\"" + id + "\"[^>]*>"))) return "";
  std::smatch value;
  const std::string text = tag.str();
  if (!std::regex_search(text, value, std::regex(" " + name + "=\"([^\"]*)\""))) return "";
  return Unescape(value[1].str());
}

// Every heatmap cell with a loss: "almr|lr" -> loss, as the page wrote them.
std::map<std::string, double> CellLosses(const std::string& dom) {
  std::map<std::string, double> cells;
  const std::regex cell("<td [^>]*class=\"cell[^\"]*\"[^>]*>");
  const std::regex almr(" data-almr=\"([^\"]*)\""), lr(" data-lr=\"([^\"]*)\""),
      loss(" data-loss=\"([^\"]*)\"");
  for (auto it = std::sregex_iterator(dom.begin(), dom.end(), cell); it != std::sregex_iterator();
       ++it) {
    const std::string tag = it->str();
    std::smatch a, l, v;
    if (!std::regex_search(tag, v, loss)) continue;
    if (!std::regex_search(tag, a, almr) || !std::regex_search(tag, l, lr)) continue;
    cells[std::to_string(std::stod(a[1].str())) + "|" + std::to_string(std::stod(l[1].str()))] =
        std::stod(v[1].str());
  }
  return cells;
}

// A synthetic sweep over three sizes, fast, with a target to recommend for.
nlohmann::json ThreeSizeSpec() {
  nlohmann::json spec = SyntheticSpec("sizes", {0.25, 0.5}, {1e-3, 3e-3, 1e-2}, 40, 0);
  spec["models"] = {{{"name", "s1"}, {"params", 1e6}},
                    {{"name", "s2"}, {"params", 3e6}},
                    {{"name", "s3"}, {"params", 1e7}}};
  spec["trainer"]["synthetic"]["noise"] = 0.002;
  spec["fit"] = {{"target_params", 4e7}};
  return spec;
}

TEST(DashboardE2ETest, ChromiumShowsACurveGrowWhileItTrainsAndAFinishedSweepsFit) {
  std::optional<std::string> chromium = FindChromium();
  ASSERT_TRUE(chromium.has_value()) << "chromium is not on PATH: scripts/setup.sh installs it";
  auto dir = TestDir();
  Cluster cluster(dir);
  cluster.StartServer(
      {"--http", "127.0.0.1:0", "--heartbeat-interval", "0.2", "--fit-bootstrap", "10"});
  const int http = cluster.http_port();
  ASSERT_GT(http, 0) << "serve --http says its port on stdout";
  // One slow run (sweep 1, leased first) keeps a worker busy while the other trains sweep 2.
  const int64_t slow = cluster.Submit(SyntheticSpec("slow", {0.5}, {1e-3}, 800, 40));
  const int64_t sizes = cluster.Submit(ThreeSizeSpec());
  cluster.StartWorker();
  cluster.StartWorker();

  // The slow run's curve, read twice seconds apart while it trains.
  int64_t slow_run = 0;
  for (int i = 0; i < 200; ++i) {
    std::optional<nlohmann::json> view = GetJson(http, "/api/sweeps/" + std::to_string(slow));
    // The run's row: its id first, its latest points last (docs/dashboard.md).
    if (view && (*view)["columns"].front() == "id" && (*view)["columns"].back() == "latest") {
      const nlohmann::json& row = (*view)["runs"][0];
      if (row.back().contains("train") && row.back()["train"][0].get<int64_t>() >= 20) {
        slow_run = row.front().get<int64_t>();
        break;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_GT(slow_run, 0) << "the slow run never reached step 20: " << cluster.WorkerLog(0);
  const std::string curve_url = "http://127.0.0.1:" + std::to_string(http) +
                                "/#sweep=" + std::to_string(slow) +
                                "&runs=" + std::to_string(slow_run) + "&split=train";
  std::vector<int64_t> drawn;
  nlohmann::json last_drawn;  // [step, loss] of the curve's last point, from the second read
  for (int read = 0; read < 2; ++read) {
    if (read > 0) std::this_thread::sleep_for(std::chrono::seconds(3));
    Result dom = DumpDom(*chromium, dir, curve_url, 3000);
    ASSERT_EQ(dom.status.code, 0) << dom.err;
    EXPECT_TRUE(ConsoleProblems(dom.err).empty()) << ConsoleProblems(dom.err)[0];
    const std::string points = AttributeOf(dom.Out(), "curves", "data-points");
    ASSERT_FALSE(points.empty()) << "the page records the points it drew:\n" << dom.Out();
    drawn.push_back(nlohmann::json::parse(points)[std::to_string(slow_run)].get<int64_t>());
    last_drawn = nlohmann::json::parse(AttributeOf(dom.Out(), "curves", "data-last"))
                     .value(std::to_string(slow_run), nlohmann::json());
  }
  EXPECT_GT(drawn[0], 0);
  EXPECT_GT(drawn[1], drawn[0]) << "the curve grew between two reads 3 s apart";
  std::optional<nlohmann::json> stored =
      GetJson(http, "/api/runs/" + std::to_string(slow_run) + "/points");
  ASSERT_TRUE(stored.has_value());
  EXPECT_LE(drawn[1], static_cast<int64_t>((*stored)["splits"]["train"].size()))
      << "every point drawn is a stored one";
  ASSERT_TRUE(last_drawn.is_array()) << "the page records its curve's last point";
  bool found = false;
  for (const nlohmann::json& p : (*stored)["splits"]["train"]) {
    if (p[0] != last_drawn[0]) continue;
    found = true;
    EXPECT_DOUBLE_EQ(p[1].get<double>(), last_drawn[1].get<double>())
        << "the curve's last point is the stored loss at its step";
  }
  EXPECT_TRUE(found) << "step " << last_drawn[0] << " is stored";

  // The finished sweep: its heatmap shows the export's losses and its fit recommend's numbers.
  ASSERT_TRUE(cluster.WaitForEnd(sizes, 180)) << cluster.WorkerLog(1);
  std::optional<nlohmann::json> fit;
  for (int i = 0; i < 600; ++i) {
    fit = GetJson(http, "/api/sweeps/" + std::to_string(sizes) + "/fit");
    if (fit && (*fit)["state"] != "fitting") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_TRUE(fit.has_value());
  ASSERT_EQ((*fit)["state"], "ready") << fit->dump();
  EXPECT_EQ((*fit)["fitted_sizes"], nlohmann::json({1e6, 3e6, 1e7}));
  Result recommend = Mixlaw({"recommend", std::to_string(sizes), "--orchestrator",
                             cluster.address(), "--bootstrap", "10", "--json"});
  ASSERT_EQ(recommend.status.code, 0) << recommend.err;
  const nlohmann::json rec = nlohmann::json::parse(recommend.Out());
  const nlohmann::json& shown = (*fit)["recommendation"];
  EXPECT_DOUBLE_EQ(shown["almr"].get<double>(), rec["almr"].get<double>());
  EXPECT_DOUBLE_EQ(shown["lr"].get<double>(), rec["lr"].get<double>());
  EXPECT_EQ(shown["lr_interval"], rec["lr_interval"]);
  EXPECT_EQ(shown["fit"]["runs"], rec["fit"]["runs"]);

  Result dom = DumpDom(*chromium, dir,
                       "http://127.0.0.1:" + std::to_string(http) +
                           "/#sweep=" + std::to_string(sizes) + "&split=eval/additional",
                       4000);
  ASSERT_EQ(dom.status.code, 0) << dom.err;
  EXPECT_TRUE(ConsoleProblems(dom.err).empty()) << ConsoleProblems(dom.err)[0];
  EXPECT_EQ(AttributeOf(dom.Out(), "fit", "data-state"), "ready");
  EXPECT_DOUBLE_EQ(std::stod(AttributeOf(dom.Out(), "fit", "data-lr")), rec["lr"].get<double>());
  // Cells are per size: read each size's runs against its own heatmap table.
  const std::string page = dom.Out();
  const v1::GetSweepResponse exported = cluster.Get(sizes);
  ASSERT_EQ(exported.runs_size(), 18);
  for (const std::string model : {"s1", "s2", "s3"}) {
    const size_t at = page.find("data-model=\"" + model + "\"");
    ASSERT_NE(at, std::string::npos) << "a heatmap for " << model;
    const std::map<std::string, double> cells =
        CellLosses(page.substr(at, page.find("</table>", at) - at));
    EXPECT_EQ(cells.size(), 6u) << model << ": 2 ALMRs x 3 LRs";
    for (const v1::Run& run : exported.runs()) {
      if (run.model() != model) continue;
      const std::string key = std::to_string(run.almr()) + "|" + std::to_string(run.peak_lr());
      ASSERT_EQ(cells.count(key), 1u) << run.name();
      EXPECT_DOUBLE_EQ(cells.at(key), run.final_loss().at("eval/additional")) << run.name();
    }
  }
}

TEST(DashboardE2ETest, MetricsParseAsPrometheusTextAndMatchTheStore) {
  auto dir = TestDir();
  Cluster cluster(dir);
  cluster.StartServer(
      {"--http", "127.0.0.1:0", "--heartbeat-interval", "0.2", "--lease-timeout", "1"});
  const int64_t id = cluster.Submit(SyntheticSpec("metrics", {0.25, 0.5}, {1e-3, 3e-3}, 30, 5));
  // A worker that leases a run and is never heard from again: its lease expires.
  auto lost = cluster.WorkerStub();
  v1::RegisterWorkerRequest hello;
  hello.set_hostname("lost");
  hello.add_devices("cpu");
  v1::RegisterWorkerResponse registered;
  ASSERT_TRUE(lost->RegisterWorker(cluster.Context().get(), hello, &registered).ok());
  v1::LeaseRunRequest ask;
  ask.set_worker_id(registered.worker_id());
  ask.add_devices("cpu");
  v1::LeaseRunResponse leased;
  ASSERT_TRUE(lost->LeaseRun(cluster.Context().get(), ask, &leased).ok());
  ASSERT_TRUE(leased.has_lease());
  cluster.StartWorker();
  cluster.StartWorker();
  ASSERT_TRUE(cluster.WaitForEnd(id, 120)) << cluster.WorkerLog(0);

  httplib::Client client("127.0.0.1", cluster.http_port());
  httplib::Result scrape = client.Get("/metrics");
  ASSERT_TRUE(scrape);
  ASSERT_EQ(scrape->status, 200);
  EXPECT_EQ(scrape->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string file = WriteFile(dir / "metrics.txt", scrape->body);
  Result parsed = RunFor(
      {MIXLAW_VENV_PYTHON, std::string(MIXLAW_SOURCE_DIR) + "/tests/e2e/parse_metrics.py", file},
      60000);
  ASSERT_EQ(parsed.status.code, 0) << parsed.err << scrape->body;
  const nlohmann::json families = nlohmann::json::parse(parsed.Out());
  // Each family's samples as "name{labels}" -> value.
  auto value = [&](const std::string& family, const std::string& sample,
                   const nlohmann::json& labels = nlohmann::json::object()) {
    for (const nlohmann::json& s : families.at(family).at("samples")) {
      if (s[0] == sample && s[1] == labels) return s[2].get<double>();
    }
    ADD_FAILURE() << "no sample " << sample << labels.dump() << " in " << family;
    return -1.0;
  };

  const v1::GetSweepResponse stored = cluster.Get(id);
  int64_t attempts = 0;
  for (const v1::Run& r : stored.runs()) attempts += r.attempts();
  EXPECT_EQ(value("mixlaw_runs", "mixlaw_runs", {{"state", "succeeded"}}), 4);
  EXPECT_EQ(value("mixlaw_runs", "mixlaw_runs", {{"state", "pending"}}), 0);
  EXPECT_EQ(value("mixlaw_sweeps", "mixlaw_sweeps", {{"state", "finished"}}), 1);
  EXPECT_EQ(families["mixlaw_leases_granted"]["type"], "counter");
  EXPECT_EQ(value("mixlaw_leases_granted", "mixlaw_leases_granted_total"), attempts);
  EXPECT_EQ(attempts, 5) << "four runs, one of them leased twice";
  EXPECT_EQ(value("mixlaw_leases_expired", "mixlaw_leases_expired_total"), 1);
  EXPECT_EQ(value("mixlaw_points_ingested", "mixlaw_points_ingested_total"),
            static_cast<double>(cluster.Points(id).size()));
  EXPECT_EQ(cluster.Points(id).size(), 4u * SyntheticPoints(30));
  EXPECT_GE(value("mixlaw_heartbeats", "mixlaw_heartbeats_total"), 4)
      << "150 ms runs under a 200 ms heartbeat: at least one each";
  EXPECT_EQ(value("mixlaw_workers_connected", "mixlaw_workers_connected"), 2)
      << "the two that are still calling, not the lost one";
  EXPECT_GE(value("mixlaw_store_size_bytes", "mixlaw_store_size_bytes"),
            static_cast<double>(std::filesystem::file_size(dir / "store.db")));
  const std::string h = "mixlaw_store_write_transaction_seconds";
  EXPECT_EQ(families[h]["type"], "histogram");
  const double count = value(h, h + "_count");
  EXPECT_GT(count, attempts) << "a lease, a completion and heartbeats each write";
  EXPECT_EQ(value(h, h + "_bucket", {{"le", "+Inf"}}), count);
  double previous = 0;
  for (const nlohmann::json& s : families[h]["samples"]) {
    if (s[0] != h + "_bucket") continue;
    EXPECT_GE(s[2].get<double>(), previous) << "buckets are cumulative: " << s.dump();
    previous = s[2].get<double>();
  }

  // A view is sent again only when the store changed: the browser's copy is revalidated.
  httplib::Result first = client.Get(("/api/sweeps/" + std::to_string(id)).c_str());
  ASSERT_TRUE(first);
  const std::string etag = first->get_header_value("ETag");
  ASSERT_FALSE(etag.empty());
  httplib::Result again =
      client.Get(("/api/sweeps/" + std::to_string(id)).c_str(), {{"If-None-Match", etag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_EQ(client.Get("/api/sweeps/99")->status, 404);
  EXPECT_EQ(client.Get("/api/sweeps/x")->status, 400);
}

TEST(DashboardE2ETest, TokensGuardThePageAndMetricsOverTls) {
  auto dir = TestDir();
  const std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  Result made = RunFor({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                        "-out", cert, "-days", "2", "-subj", "/CN=localhost", "-addext",
                        "subjectAltName=IP:127.0.0.1,DNS:localhost"},
                       60000);
  ASSERT_EQ(made.status.code, 0) << made.err;
  const std::string client_token = "client-token-0123456789";
  const std::string worker_token = "worker-token-0123456789";
  const std::string client_file = WriteFile(dir / "c.token", client_token + "\n");
  const std::string worker_file = WriteFile(dir / "w.token", worker_token + "\n");
  Cluster cluster(dir);
  cluster.StartServer({"--http", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key,
                       "--client-token-file", client_file, "--worker-token-file", worker_file});
  httplib::SSLClient https("127.0.0.1", cluster.http_port());
  https.set_ca_cert_path(cert.c_str());
  https.enable_server_certificate_verification(true);

  // With the client token: each page, and a sweep the store does not hold (not found, not a
  // refusal).
  const std::map<std::string, int> allowed = {
      {"/", 200}, {"/metrics", 200}, {"/api/sweeps", 200}, {"/api/sweeps/1/fit", 404}};
  for (const auto& [path, status] : allowed) {
    httplib::Result none = https.Get(path);
    ASSERT_TRUE(none) << path << ": " << httplib::to_string(none.error());
    EXPECT_EQ(none->status, 401) << path;
    EXPECT_EQ(none->body.find("mixlaw_runs"), std::string::npos) << path;
    EXPECT_EQ(https.Get(path, {{"Authorization", "Bearer " + worker_token}})->status, 403)
        << path << ": the worker token reads nothing here";
    EXPECT_EQ(https.Get(path, {{"Authorization", "Bearer " + client_token}})->status, status)
        << path;
  }
  EXPECT_NE(https.Get("/")->body.find("<form method=\"post\" action=\"/login\">"),
            std::string::npos)
      << "a browser without the token gets the login form";

  // The login form sets the token as an HttpOnly cookie, over TLS a Secure one.
  httplib::Result wrong = https.Post("/login", "token=nope", "application/x-www-form-urlencoded");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 403);
  EXPECT_FALSE(wrong->has_header("Set-Cookie"));
  httplib::Result login =
      https.Post("/login", "token=" + client_token, "application/x-www-form-urlencoded");
  ASSERT_TRUE(login);
  EXPECT_EQ(login->status, 303);
  const std::string cookie = login->get_header_value("Set-Cookie");
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("Secure"), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos) << cookie;
  const std::string session = cookie.substr(0, cookie.find(';'));
  EXPECT_EQ(https.Get("/metrics", {{"Cookie", session}})->status, 200);
  EXPECT_EQ(https.Get("/metrics", {{"Cookie", "mixlaw_session=nope"}})->status, 403);

  httplib::Client plain("127.0.0.1", cluster.http_port());
  httplib::Result cleartext = plain.Get("/metrics");
  EXPECT_TRUE(!cleartext || cleartext->status != 200) << "the dashboard speaks only TLS";
}

TEST(DashboardE2ETest, WithoutTokensTheDashboardRefusesToListenOffLoopback) {
  auto dir = TestDir();
  Result refused = Mixlaw(
      {"serve", "--db", (dir / "s.db").string(), "--listen", "127.0.0.1:0", "--http", "0.0.0.0:0"});
  EXPECT_EQ(refused.status.code, 2) << refused.err;
  EXPECT_NE(refused.err.find("refusing to serve the dashboard on 0.0.0.0:0 without tokens"),
            std::string::npos)
      << refused.err;
  Result malformed =
      Mixlaw({"serve", "--db", (dir / "s.db").string(), "--listen", "127.0.0.1:0", "--http", "80"});
  EXPECT_EQ(malformed.status.code, 2);
  EXPECT_NE(malformed.err.find("--http 80: not HOST:PORT"), std::string::npos) << malformed.err;
}

}  // namespace
}  // namespace mixlaw
