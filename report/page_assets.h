// What report.html carries inline besides its content, compiled into the binary from files read
// at build time (report/CMakeLists.txt): Chart.js from Debian's libjs-chart.js, so that the
// binary does not need the package where it runs, and the page's own script and style.
#ifndef MIXLAW_REPORT_PAGE_ASSETS_H_
#define MIXLAW_REPORT_PAGE_ASSETS_H_

#include <string>

namespace mixlaw::report {

const std::string& ChartJs();     // chart.min.js (UMD: defines window.Chart)
const std::string& PageScript();  // report/page.js
const std::string& PageStyle();   // report/page.css

}  // namespace mixlaw::report

#endif  // MIXLAW_REPORT_PAGE_ASSETS_H_
