#include "fitter/observations.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/file_io.h"
#include "common/json_fields.h"
#include "fitter/csv.h"

namespace mixlaw {

namespace {

// One record's cells by column name, checked into a FieldReader that knows the file.
class RowReader {
 public:
  RowReader(const std::vector<std::string>& header, const CsvRecord& record, FieldReader* problems)
      : header_(header), record_(record), problems_(problems) {}

  bool Has(const std::string& column) const { return !Cell(column).empty(); }
  std::string Cell(const std::string& column) const {
    for (size_t i = 0; i < header_.size() && i < record_.fields.size(); ++i) {
      if (header_[i] == column) return record_.fields[i];
    }
    return "";
  }
  std::string Where(const std::string& column) const {
    return absl::StrCat("line ", record_.line, ", column ", column);
  }

  // The cell as a number within `bounds`; nullopt (and a problem) when empty, not a number or
  // out of bounds.
  std::optional<double> Number(const std::string& column, Bounds bounds) {
    std::string text = Cell(column);
    if (text.empty()) {
      problems_->Problem(Where(column), "missing value");
      return std::nullopt;
    }
    char* end = nullptr;
    errno = 0;
    double value = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0' || errno == ERANGE) {
      problems_->Problem(Where(column), absl::StrCat(CsvQuote(text), " is not a number"));
      return std::nullopt;
    }
    if (!problems_->CheckBounds(value, Where(column), bounds)) return std::nullopt;
    return value;
  }

  // The cell as a whole number in [0, 2^53] (every such number is exact in a double); nullopt
  // (and a problem) otherwise.
  std::optional<int64_t> Count(const std::string& column) {
    std::optional<double> value = Number(column, Bounds::Closed(0, kLargestExactInteger));
    if (!value) return std::nullopt;
    if (std::floor(*value) != *value) {
      problems_->Problem(Where(column), absl::StrCat(FormatNumber(*value), " is not an integer"));
      return std::nullopt;
    }
    return static_cast<int64_t>(*value);
  }

 private:
  static std::string CsvQuote(const std::string& text) {
    return text.size() > 40 ? "'" + text.substr(0, 37) + "...'" : "'" + text + "'";
  }
  const std::vector<std::string>& header_;
  const CsvRecord& record_;
  FieldReader* problems_;
};

bool HeaderHas(const std::vector<std::string>& header, const std::string& column) {
  for (const std::string& h : header) {
    if (h == column) return true;
  }
  return false;
}

struct Form {
  bool exported = false;     // the sweep export (peak_lr, state, stage, final_SPLIT)
  bool single_loss = false;  // one `loss` column; almr and lr optional
  std::string lr_column;     // "peak_lr" or "lr"
  bool has_almr = true, has_lr = true;
  std::vector<std::pair<std::string, std::string>> loss_columns;  // (column, split)
};

Form FormOf(const std::vector<std::string>& header) {
  Form form;
  form.exported = HeaderHas(header, "peak_lr");
  form.lr_column = form.exported ? "peak_lr" : "lr";
  if (form.exported) {
    for (const std::string& h : header) {
      if (h.rfind("final_", 0) == 0) form.loss_columns.emplace_back(h, h.substr(6));
    }
  } else if (HeaderHas(header, "loss") && !HeaderHas(header, "loss_base") &&
             !HeaderHas(header, "loss_additional")) {
    form.single_loss = true;
    form.has_almr = HeaderHas(header, "almr");
    form.has_lr = HeaderHas(header, "lr");
    form.loss_columns = {{"loss", kSplitLoss}};
  } else {
    form.loss_columns = {{"loss_base", kSplitBase}, {"loss_additional", kSplitAdditional}};
  }
  return form;
}

// Reads one data row into `out`; problems go to `problems`. False when the row has problems.
bool ReadRow(const std::vector<std::string>& header, const Form& form, const CsvRecord& record,
             bool need_losses, FieldReader* problems, Observation* out) {
  size_t before = problems->problems().size();
  RowReader row(header, record, problems);
  out->line = record.line;
  out->name = row.Has("name") ? row.Cell("name") : absl::StrCat("line ", record.line);
  if (auto v = row.Number("params", Bounds::Positive())) out->params = *v;
  if (form.has_almr) {
    if (auto v = row.Number("almr", Bounds::Closed(0, 1))) out->almr = *v;
  }
  if (form.has_lr) {
    if (auto v = row.Number(form.lr_column, Bounds::Positive())) out->peak_lr = *v;
  }
  if (row.Has("tokens")) {
    if (auto v = row.Number("tokens", Bounds::NonNegative())) out->tokens = *v;
  }
  if (row.Has("batch_size")) {
    if (auto v = row.Number("batch_size", Bounds::Positive())) out->batch_size = *v;
  }
  if (row.Has("seed")) {
    if (auto v = row.Count("seed")) out->seed = *v;
  }
  if (need_losses) {
    for (const auto& [column, split] : form.loss_columns) {
      if (form.exported && !row.Has(column)) continue;  // this run has no loss on that split
      if (auto v = row.Number(column, Bounds::Positive())) out->final_loss[split] = *v;
    }
  }
  return problems->problems().size() == before;
}

}  // namespace

absl::StatusOr<ObservationSet> ParseObservationsCsv(std::string_view text,
                                                    const std::string& source) {
  absl::StatusOr<CsvTable> table = ParseCsv(text, source);
  if (!table.ok()) return table.status();
  ObservationSet set;
  set.source = source;
  FieldReader problems(source);
  if (table->header.empty()) {
    problems.Problem("line 1", "empty file: expected a header line");
    return problems.ToStatus();
  }
  Form form = FormOf(table->header);
  set.single_loss = form.single_loss;
  set.has_almr = form.has_almr;
  set.has_lr = form.has_lr;
  std::vector<std::string> required = {"params"};
  if (!form.single_loss) required.insert(required.end(), {"almr", form.lr_column});
  for (const auto& [column, split] : form.loss_columns) required.push_back(column);
  for (const std::string& column : required) {
    if (!HeaderHas(table->header, column)) {
      const bool loss = column == "loss_base" || column == "loss_additional";
      problems.Problem(absl::StrCat("line 1, column ", column),
                       loss ? "missing column (or give one `loss` column: the single-loss form)"
                            : "missing column");
    }
  }
  if (form.exported && form.loss_columns.empty()) {
    problems.Problem("line 1", "no final_SPLIT column (final_eval/base, final_eval/additional)");
  }
  if (!problems.ok()) return problems.ToStatus();

  for (const CsvRecord& record : table->rows) {
    if (record.fields.size() != table->header.size()) {
      problems.Problem(
          absl::StrCat("line ", record.line),
          absl::StrCat(record.fields.size(), " fields, the header has ", table->header.size()));
      continue;
    }
    RowReader row(table->header, record, &problems);
    std::string stage = row.Cell("stage");
    std::string state = row.Cell("state");
    if (stage == "pretrain") continue;
    bool diverged = state == "diverged";
    if (form.exported && !diverged && state != "succeeded") {
      set.notes.push_back(absl::StrCat("line ", record.line, ": run ", row.Cell("name"), " is ",
                                       state.empty() ? "of no state" : state, ": skipped"));
      continue;
    }
    Observation o;
    if (!ReadRow(table->header, form, record, !diverged, &problems, &o)) continue;
    if (diverged) {
      set.diverged.push_back(std::move(o));
    } else if (o.final_loss.empty()) {
      set.notes.push_back(
          absl::StrCat("line ", record.line, ": run ", o.name, " has no final loss: skipped"));
    } else {
      set.runs.push_back(std::move(o));
    }
  }
  if (!problems.ok()) return problems.ToStatus();
  return set;
}

absl::StatusOr<ObservationSet> ReadObservationsCsv(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileToString(path);
  if (!text.ok()) return text.status();
  return ParseObservationsCsv(*text, path);
}

}  // namespace mixlaw
