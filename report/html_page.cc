#include "report/html_page.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "report/page_assets.h"

namespace mixlaw::report {

namespace {

// Escaped text, with `code` spans.
std::string Inline(std::string_view text) {
  std::string html;
  bool code = false;
  for (char c : text) {
    if (c != '`') {
      html += HtmlEscape(std::string_view(&c, 1));
      continue;
    }
    html += code ? "</code>" : "<code>";
    code = !code;
  }
  if (code) html += "</code>";  // an unmatched backquote: close what it opened
  return html;
}

void AppendTable(const Table& t, std::string* html) {
  absl::StrAppend(html, "<div class=\"table-box\"><table data-table=\"", HtmlEscape(t.id),
                  "\">\n<thead><tr>");
  for (size_t c = 0; c < t.header.size(); ++c) {
    const bool numeric = c < t.numeric.size() && t.numeric[c];
    absl::StrAppend(html, numeric ? "<th class=\"num\">" : "<th>", HtmlEscape(t.header[c]),
                    "</th>");
  }
  absl::StrAppend(html, "</tr></thead>\n<tbody>\n");
  for (const std::vector<Cell>& row : t.rows) {
    absl::StrAppend(html, "<tr>");
    for (size_t c = 0; c < row.size(); ++c) {
      const bool numeric = c < t.numeric.size() && t.numeric[c];
      absl::StrAppend(html, "<td", numeric ? " class=\"num\"" : "");
      if (!row[c].field.empty()) {
        absl::StrAppend(html, " data-field=\"", HtmlEscape(row[c].field), "\"");
      }
      absl::StrAppend(html, ">", HtmlEscape(row[c].text), "</td>");
    }
    absl::StrAppend(html, "</tr>\n");
  }
  absl::StrAppend(html, "</tbody></table></div>\n");
}

void AppendBlock(const Block& b, nlohmann::json* charts, std::string* html) {
  switch (b.kind) {
    case Block::Kind::kParagraph:
      absl::StrAppend(html, "<p>", Inline(b.text), "</p>\n");
      break;
    case Block::Kind::kTable:
      AppendTable(b.table, html);
      break;
    case Block::Kind::kList:
      absl::StrAppend(html, "<ul>\n");
      for (const std::string& item : b.items)
        absl::StrAppend(html, "<li>", Inline(item), "</li>\n");
      absl::StrAppend(html, "</ul>\n");
      break;
    case Block::Kind::kCharts:
      absl::StrAppend(html, b.charts.size() == 1 ? "<div class=\"charts single\">\n"
                                                 : "<div class=\"charts\">\n");
      for (const Chart& chart : b.charts) {
        // The figure names its data by index; the script draws it into the canvas.
        absl::StrAppend(
            html, "<figure class=\"chart\" data-chart=\"", HtmlEscape(chart.kind),
            "\" data-panel=\"", HtmlEscape(chart.panel), "\" data-index=\"", charts->size(),
            "\"><figcaption>", HtmlEscape(chart.title),
            "</figcaption><div class=\"canvas-box\"><canvas></canvas></div></figure>\n");
        charts->push_back(ChartToJson(chart));
      }
      absl::StrAppend(html, "</div>\n");
      break;
    case Block::Kind::kSvg:
      absl::StrAppend(html, "<figure class=\"svg-chart\" data-chart=\"", HtmlEscape(b.svg_kind),
                      "\">", b.text, "</figure>\n");
      break;
  }
}

// JSON inside a <script> element: "</" would end the element early.
std::string ScriptSafe(const std::string& json) {
  return absl::StrReplaceAll(json, {{"</", "<\\/"}});
}

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string HtmlPage(const Content& content) {
  std::string body;
  nlohmann::json charts = nlohmann::json::array();
  size_t svg_charts = 0;
  std::string nav;
  for (const Section& section : content.sections) {
    absl::StrAppend(&nav, "<a href=\"#", section.id, "\">", HtmlEscape(section.title), "</a>\n");
    absl::StrAppend(&body, "<section id=\"", section.id, "\" data-section=\"", section.id,
                    "\">\n<h2>", HtmlEscape(section.title), "</h2>\n");
    for (const Block& block : section.blocks) {
      AppendBlock(block, &charts, &body);
      svg_charts += block.kind == Block::Kind::kSvg ? 1 : 0;
    }
    absl::StrAppend(&body, "</section>\n");
  }
  const nlohmann::json data = {{"charts", charts}};
  return absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>mixlaw "
      "report: ",
      HtmlEscape(content.title), "</title>\n<style>\n", PageStyle(),
      // The page's script first, so that it catches errors in everything after it; it draws
      // once the document (and Chart.js, at its end) has loaded.
      "</style>\n<script>\n", PageScript(), "\n</script>\n</head>\n", "<body data-charts=\"",
      charts.size() + svg_charts, "\">\n<header>\n<h1>", HtmlEscape(content.title),
      "</h1>\n<p class=\"subtitle\">", HtmlEscape(content.subtitle), "</p>\n<nav>\n", nav,
      "</nav>\n</header>\n",
      "<div id=\"page-errors\" class=\"errors\" hidden><h2>Errors while drawing</h2><ul></ul>"
      "</div>\n<main>\n",
      body,
      "</main>\n<footer>Written by <code>mixlaw report</code> with report.md and fit.json beside "
      "it (docs/report.md).</footer>\n<script type=\"application/json\" id=\"report-data\">",
      ScriptSafe(data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)),
      "</script>\n<script>\n", ChartJs(), "\n</script>\n</body>\n</html>\n");
}

}  // namespace mixlaw::report
