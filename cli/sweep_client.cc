#include "cli/sweep_client.h"

#include <filesystem>
#include <thread>

#include "cli/output.h"
#include "common/file_io.h"
#include "common/time.h"
#include "orchestrator/run_state.h"

namespace mixlaw {

grpc::Status SubmitSpecFile(v1::SweepService::Stub& stub, const ConnectionOptions& connection,
                            const std::string& spec_path, bool resume_existing,
                            v1::SubmitSweepResponse* response) {
  absl::StatusOr<std::string> text = ReadFileToString(spec_path);
  if (!text.ok()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, std::string(text.status().message()));
  }
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::absolute(spec_path, ec).parent_path();
  v1::SubmitSweepRequest request;
  request.set_spec_json(*std::move(text));
  request.set_spec_dir(dir.string());
  request.set_resume_existing(resume_existing);
  grpc::Status s =
      stub.SubmitSweep(MakeContext(connection, std::chrono::seconds(60)).get(), request, response);
  if (s.error_code() == grpc::StatusCode::INVALID_ARGUMENT) {
    // Name the file the user gave rather than "sweep spec".
    std::string message = s.error_message();
    for (size_t at = 0; (at = message.find("sweep spec", at)) != std::string::npos;) {
      message.replace(at, 10, spec_path);
      at += spec_path.size();
    }
    return grpc::Status(s.error_code(), message);
  }
  return s;
}

grpc::Status WatchProgress(v1::SweepService::Stub& stub, const ConnectionOptions& connection,
                           int64_t sweep_id, bool json, bool terminal, int64_t line_interval_ms,
                           std::ostream& out, v1::Sweep* last, const std::atomic<bool>* stop) {
  auto context = MakeContext(connection, std::chrono::milliseconds(0));
  std::atomic<bool> done{false};
  std::thread canceller;
  if (stop != nullptr) {
    canceller = std::thread([&] {
      while (!done.load()) {
        if (stop->load()) {
          context->TryCancel();
          return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }
  v1::WatchSweepRequest request;
  request.set_sweep_id(sweep_id);
  std::unique_ptr<grpc::ClientReader<v1::Sweep>> reader = stub.WatchSweep(context.get(), request);
  v1::Sweep sweep;
  int64_t last_line_ms = 0;
  bool printed_unfinished = false;
  auto line = [&](const v1::Sweep& s) {
    return "sweep " + std::to_string(s.id()) + " " + ProgressBar(s, 30) + "  " + CountsText(s);
  };
  while (reader->Read(&sweep)) {
    *last = sweep;
    if (json) {
      out << SweepJson(sweep).dump() << std::endl;
    } else if (terminal) {
      out << "\r\033[K" << line(sweep) << std::flush;
      printed_unfinished = true;
    } else if (MonotonicMillis() - last_line_ms >= line_interval_ms) {
      out << line(sweep) << std::endl;
      last_line_ms = MonotonicMillis();
      printed_unfinished = false;
    } else {
      printed_unfinished = true;
    }
  }
  grpc::Status s = reader->Finish();
  done.store(true);
  if (canceller.joinable()) canceller.join();
  if (!json) {
    if (terminal && printed_unfinished) {
      out << "\n";
    } else if (printed_unfinished) {
      out << line(*last) << "\n";
    }
    out.flush();
  }
  return s;
}

}  // namespace mixlaw
