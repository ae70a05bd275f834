// The report as a document before it is written out: sections of paragraphs, tables, lists and
// charts. Built once from a ReportInput (report/sections.h) and rendered twice, as HTML
// (html_page.h) and as Markdown (markdown_page.h), so that both show the same numbers in the
// same words.
#ifndef MIXLAW_REPORT_CONTENT_H_
#define MIXLAW_REPORT_CONTENT_H_

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"

namespace mixlaw::report {

// A table cell. `field` names the number for the page's readers (data-field="rec:almr").
struct Cell {
  std::string text{};
  std::string field{};
};

struct Table {
  std::string id{};  // data-table in the page
  std::vector<std::string> header{};
  std::vector<bool> numeric{};  // per column: right-aligned
  std::vector<std::vector<Cell>> rows{};
};

struct Axis {
  std::string title{};  // with its unit: "final loss (nats/token)"
  bool log = false;
  std::optional<double> min{}, max{};
};

// One set of points on a chart: markers, or a line through them.
struct Series {
  std::string label{};
  std::string color{};  // CSS colour
  bool line = false;
  bool dashed = false;
  bool hollow = false;            // markers drawn as outlines
  bool in_legend = true;          // false for the second of a pair already in the legend
  std::string marker = "circle";  // Chart.js point style: circle, rect, triangle, star, ...
  int fill_to = -1;               // a band: fill to the series at this index of the chart
  std::vector<std::array<double, 2>> points{};  // (x, y)
  std::vector<std::string> tips{};              // per point, shown on hover; may be empty
};

// A chart drawn by Chart.js in the page. `kind` names what it shows (data-chart="loss-vs-lr");
// `panel` tells its panels apart ("p1m eval/additional").
struct Chart {
  std::string kind{}, panel{}, title{};
  Axis x{}, y{};
  std::vector<Series> series{};
};

nlohmann::json ChartToJson(const Chart& chart);

struct Block {
  enum class Kind { kParagraph, kTable, kList, kCharts, kSvg };
  Kind kind = Kind::kParagraph;
  std::string text;  // a paragraph (plain text; `code` in backquotes), or the SVG markup
  Table table;
  std::vector<std::string> items;  // a list
  std::vector<Chart> charts;       // drawn side by side
  std::string svg_kind;            // data-chart of the SVG
};

Block Paragraph(std::string text);
Block TableBlock(Table table);
Block List(std::vector<std::string> items);
Block Charts(std::vector<Chart> charts);
Block Svg(std::string kind, std::string markup);

struct Section {
  std::string id{}, title{};
  std::vector<Block> blocks{};
};

struct Content {
  std::string title;     // "Sweep 1 (demo-synthetic)"
  std::string subtitle;  // the fit and the target in one line
  std::vector<Section> sections;
};

}  // namespace mixlaw::report

#endif  // MIXLAW_REPORT_CONTENT_H_
