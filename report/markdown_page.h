// The report as Markdown: the same sections, paragraphs, tables and lists as the page, tables
// aligned in columns so that they read in a terminal as well as rendered in a code review; each
// chart is named with a pointer to report.html.
#ifndef MIXLAW_REPORT_MARKDOWN_PAGE_H_
#define MIXLAW_REPORT_MARKDOWN_PAGE_H_

#include <string>

#include "report/content.h"

namespace mixlaw::report {

std::string MarkdownPage(const Content& content);

// A pipe table with padded columns (numeric ones right-aligned); "|" in a cell is escaped.
std::string MarkdownTable(const Table& table);

}  // namespace mixlaw::report

#endif  // MIXLAW_REPORT_MARKDOWN_PAGE_H_
