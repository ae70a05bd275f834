// The report as one HTML page that opens offline from a file: the style, Chart.js (from Debian's
// libjs-chart.js, compiled in), the page's script and every chart's data are inline; links only
// point inside the page.
#ifndef MIXLAW_REPORT_HTML_PAGE_H_
#define MIXLAW_REPORT_HTML_PAGE_H_

#include <string>
#include <string_view>

#include "report/content.h"

namespace mixlaw::report {

std::string HtmlPage(const Content& content);

// `text` with &, <, >, " and ' escaped for HTML text and attribute values.
std::string HtmlEscape(std::string_view text);

}  // namespace mixlaw::report

#endif  // MIXLAW_REPORT_HTML_PAGE_H_
