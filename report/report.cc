#include "report/report.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/file_io.h"
#include "fitter/fit_json.h"
#include "report/html_page.h"
#include "report/markdown_page.h"
#include "report/sections.h"

namespace mixlaw {

absl::StatusOr<std::string> ReportHtml(const ReportInput& input) {
  absl::StatusOr<report::Content> content = report::BuildContent(input);
  if (!content.ok()) return content.status();
  return report::HtmlPage(*content);
}

absl::StatusOr<std::string> ReportMarkdown(const ReportInput& input) {
  absl::StatusOr<report::Content> content = report::BuildContent(input);
  if (!content.ok()) return content.status();
  return report::MarkdownPage(*content);
}

absl::StatusOr<ReportFiles> WriteReport(const ReportInput& input, const std::string& dir) {
  absl::StatusOr<report::Content> content = report::BuildContent(input);
  if (!content.ok()) return content.status();
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error)
    return absl::InternalError(absl::StrCat(dir, ": cannot be created: ", error.message()));
  const std::filesystem::path base(dir);
  ReportFiles files{(base / "report.html").string(), (base / "report.md").string(),
                    (base / "fit.json").string()};
  absl::Status status = WriteFileAtomically(files.html, report::HtmlPage(*content));
  if (status.ok()) status = WriteFileAtomically(files.markdown, report::MarkdownPage(*content));
  if (status.ok()) status = WriteFitFile(input.fit, files.fit);
  if (!status.ok()) return status;
  return files;
}

}  // namespace mixlaw
