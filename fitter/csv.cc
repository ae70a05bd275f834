#include "fitter/csv.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace mixlaw {

namespace {

bool IsBlank(const CsvRecord& record) {
  return record.fields.size() == 1 && record.fields[0].empty();
}

}  // namespace

absl::StatusOr<CsvTable> ParseCsv(std::string_view text, const std::string& source) {
  std::vector<CsvRecord> records;
  CsvRecord record{1, {}};
  std::string field;
  int line = 1;
  size_t i = 0;
  auto end_record = [&] {
    record.fields.push_back(std::move(field));
    field.clear();
    if (!IsBlank(record)) records.push_back(std::move(record));
    record = CsvRecord{line, {}};
  };
  while (i < text.size()) {
    char c = text[i];
    if (c == '"' && field.empty()) {
      // A quoted field: runs to the closing quote; "" is a quote, line breaks are kept.
      int opened = line;
      ++i;
      while (true) {
        if (i >= text.size()) {
          return absl::InvalidArgumentError(
              absl::StrCat(source, ": line ", opened, ": unterminated quoted field"));
        }
        if (text[i] == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        if (text[i] == '\n') ++line;
        field += text[i++];
      }
      if (i < text.size() && text[i] != ',' && text[i] != '\n' && text[i] != '\r') {
        return absl::InvalidArgumentError(
            absl::StrCat(source, ": line ", line, ": unexpected character after a closing quote"));
      }
      continue;
    }
    if (c == ',') {
      record.fields.push_back(std::move(field));
      field.clear();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      // CRLF: the LF ends the record.
    } else if (c == '\n') {
      ++line;
      end_record();
    } else {
      field += c;
    }
    ++i;
  }
  if (!field.empty() || !record.fields.empty()) end_record();
  CsvTable table;
  if (records.empty()) return table;
  table.header = std::move(records.front().fields);
  table.rows.assign(std::make_move_iterator(records.begin() + 1),
                    std::make_move_iterator(records.end()));
  return table;
}

}  // namespace mixlaw
