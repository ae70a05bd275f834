#include "report/markdown_page.h"

#include <algorithm>
#include <map>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace mixlaw::report {

namespace {

constexpr size_t kWidth = 100;  // paragraphs wrap here, as the project's sources do

// Columns a string takes in a terminal: UTF-8 continuation bytes take none.
size_t Columns(const std::string& s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string Wrapped(const std::string& text, const std::string& indent = "") {
  std::string out, line;
  for (absl::string_view word :
       absl::StrSplit(text, absl::ByAnyChar(" \n\r\t"), absl::SkipEmpty())) {
    if (!line.empty() && Columns(line) + 1 + word.size() > kWidth - indent.size()) {
      absl::StrAppend(&out, out.empty() ? "" : "\n" + std::string(indent.size(), ' '), line);
      line.clear();
    }
    absl::StrAppend(&line, line.empty() ? "" : " ", word);
  }
  if (!line.empty())
    absl::StrAppend(&out, out.empty() ? "" : "\n" + std::string(indent.size(), ' '), line);
  return indent + out;
}

// A cell on one line: line breaks (a trainer's failure reason may end in one) become spaces, and
// "|" is escaped.
std::string Escaped(const std::string& cell) {
  std::string text =
      absl::StrReplaceAll(cell, {{"|", "\\|"}, {"\r\n", " "}, {"\n", " "}, {"\r", " "}});
  absl::StripAsciiWhitespace(&text);
  return text;
}

// "6 charts: 1M eval/additional, 1M eval/base, ..." grouped by kind.
std::string ChartsNote(const std::vector<Chart>& charts) {
  std::map<std::string, std::vector<std::string>> by_kind;
  std::vector<std::string> kinds;
  for (const Chart& c : charts) {
    if (by_kind[c.kind].empty()) kinds.push_back(c.kind);
    by_kind[c.kind].push_back(c.title);
  }
  std::vector<std::string> parts;
  for (const std::string& kind : kinds) {
    parts.push_back(absl::StrCat(kind, " (", absl::StrJoin(by_kind[kind], "; "), ")"));
  }
  return absl::StrCat("_Charts in report.html: ", absl::StrJoin(parts, ", "), "._");
}

}  // namespace

std::string MarkdownTable(const Table& t) {
  const size_t columns = t.header.size();
  std::vector<size_t> width(columns, 3);  // "---" at least
  for (size_t c = 0; c < columns; ++c) width[c] = std::max(width[c], Columns(Escaped(t.header[c])));
  for (const auto& row : t.rows) {
    for (size_t c = 0; c < std::min(columns, row.size()); ++c) {
      width[c] = std::max(width[c], Columns(Escaped(row[c].text)));
    }
  }
  auto numeric = [&](size_t c) { return c < t.numeric.size() && t.numeric[c]; };
  auto cell = [&](const std::string& text, size_t c) {
    std::string padding(width[c] - Columns(text), ' ');
    return numeric(c) ? padding + text : text + padding;
  };
  std::string out = "|";
  for (size_t c = 0; c < columns; ++c)
    absl::StrAppend(&out, " ", cell(Escaped(t.header[c]), c), " |");
  absl::StrAppend(&out, "\n|");
  for (size_t c = 0; c < columns; ++c) {
    absl::StrAppend(
        &out,
        numeric(c) ? " " + std::string(width[c] - 1, '-') + ":" : " " + std::string(width[c], '-'),
        " |");
  }
  absl::StrAppend(&out, "\n");
  for (const auto& row : t.rows) {
    absl::StrAppend(&out, "|");
    for (size_t c = 0; c < columns; ++c) {
      absl::StrAppend(&out, " ", cell(c < row.size() ? Escaped(row[c].text) : "", c), " |");
    }
    absl::StrAppend(&out, "\n");
  }
  return out;
}

std::string MarkdownPage(const Content& content) {
  std::string md =
      absl::StrCat("# mixlaw report: ", content.title, "\n\n", Wrapped(content.subtitle), "\n\n");
  std::vector<std::string> toc;
  for (const Section& s : content.sections) toc.push_back(s.title);
  absl::StrAppend(&md, Wrapped("Sections: " + absl::StrJoin(toc, "; ") + "."), "\n");
  for (const Section& s : content.sections) {
    absl::StrAppend(&md, "\n## ", s.title, "\n");
    for (const Block& b : s.blocks) {
      md += "\n";
      switch (b.kind) {
        case Block::Kind::kParagraph:
          absl::StrAppend(&md, Wrapped(b.text), "\n");
          break;
        case Block::Kind::kTable:
          absl::StrAppend(&md, MarkdownTable(b.table));
          break;
        case Block::Kind::kList:
          for (const std::string& item : b.items) {
            absl::StrAppend(&md, "- ", Wrapped(item, "  ").substr(2), "\n");
          }
          break;
        case Block::Kind::kCharts:
          absl::StrAppend(&md, Wrapped(ChartsNote(b.charts)), "\n");
          break;
        case Block::Kind::kSvg:
          absl::StrAppend(&md, "_Chart in report.html: ", b.svg_kind, " (a heatmap)._\n");
          break;
      }
    }
  }
  return md;
}

}  // namespace mixlaw::report
