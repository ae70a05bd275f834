#include "report/content.h"

#include <cmath>

namespace mixlaw::report {

namespace {

using nlohmann::json;

json AxisToJson(const Axis& axis) {
  json j = {{"title", axis.title}, {"log", axis.log}};
  if (axis.min) j["min"] = *axis.min;
  if (axis.max) j["max"] = *axis.max;
  return j;
}

}  // namespace

json ChartToJson(const Chart& chart) {
  json series = json::array();
  for (const Series& s : chart.series) {
    // JSON has no NaN, and a log axis has no place for x <= 0: such points are left out.
    json points = json::array(), tips = json::array();
    for (size_t i = 0; i < s.points.size(); ++i) {
      auto [x, y] = s.points[i];
      if (!std::isfinite(x) || !std::isfinite(y)) continue;
      if ((chart.x.log && x <= 0) || (chart.y.log && y <= 0)) continue;
      points.push_back({x, y});
      if (i < s.tips.size()) tips.push_back(s.tips[i]);
    }
    json j = {{"label", s.label},   {"color", s.color},           {"line", s.line},
              {"dashed", s.dashed}, {"hollow", s.hollow},         {"legend", s.in_legend},
              {"marker", s.marker}, {"points", std::move(points)}};
    if (s.fill_to >= 0) j["fill_to"] = s.fill_to;
    if (!tips.empty()) j["tips"] = std::move(tips);
    series.push_back(std::move(j));
  }
  return {{"kind", chart.kind},       {"panel", chart.panel},     {"title", chart.title},
          {"x", AxisToJson(chart.x)}, {"y", AxisToJson(chart.y)}, {"series", std::move(series)}};
}

Block Paragraph(std::string text) {
  Block b;
  b.kind = Block::Kind::kParagraph;
  b.text = std::move(text);
  return b;
}

Block TableBlock(Table table) {
  Block b;
  b.kind = Block::Kind::kTable;
  b.table = std::move(table);
  return b;
}

Block List(std::vector<std::string> items) {
  Block b;
  b.kind = Block::Kind::kList;
  b.items = std::move(items);
  return b;
}

Block Charts(std::vector<Chart> charts) {
  Block b;
  b.kind = Block::Kind::kCharts;
  b.charts = std::move(charts);
  return b;
}

Block Svg(std::string kind, std::string markup) {
  Block b;
  b.kind = Block::Kind::kSvg;
  b.svg_kind = std::move(kind);
  b.text = std::move(markup);
  return b;
}

}  // namespace mixlaw::report
