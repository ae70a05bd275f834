// The dashboard's page, compiled into the binary from files read at build time
// (dashboard/CMakeLists.txt); Chart.js is the report's (report/page_assets.h).
#ifndef MIXLAW_DASHBOARD_PAGE_ASSETS_H_
#define MIXLAW_DASHBOARD_PAGE_ASSETS_H_

#include <string>

namespace mixlaw::dashboard {

const std::string& PageHtml();    // dashboard/page.html
const std::string& PageScript();  // dashboard/page.js
const std::string& PageStyle();   // dashboard/page.css

}  // namespace mixlaw::dashboard

#endif  // MIXLAW_DASHBOARD_PAGE_ASSETS_H_
