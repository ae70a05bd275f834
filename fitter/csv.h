// RFC 4180 CSV: comma-separated fields, "double quotes" around fields that hold commas, quotes or
// line breaks, "" for a quote inside them; records end with LF or CRLF. Each record keeps the
// line it starts on, so that a reader can say where a bad value is.
#ifndef MIXLAW_FITTER_CSV_H_
#define MIXLAW_FITTER_CSV_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace mixlaw {

struct CsvRecord {
  int line = 0;  // 1-based line on which the record starts
  std::vector<std::string> fields;
};

struct CsvTable {
  std::vector<std::string> header;  // the first record
  std::vector<CsvRecord> rows;      // every later record; blank lines are dropped
};

// Splits `text` into records. InvalidArgument ("FILE: line 4: unterminated quoted field") for a
// quote that never closes or a stray character after a closing quote; `source` names the file.
absl::StatusOr<CsvTable> ParseCsv(std::string_view text, const std::string& source);

}  // namespace mixlaw

#endif  // MIXLAW_FITTER_CSV_H_
