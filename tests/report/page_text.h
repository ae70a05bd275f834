// Reading a written report back in tests: whole files, counts and the fields the page marks.
#ifndef MIXLAW_TESTS_REPORT_PAGE_TEXT_H_
#define MIXLAW_TESTS_REPORT_PAGE_TEXT_H_

#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace mixlaw::testing_support {

inline std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// How many times `what` occurs in `text` (overlaps counted).
inline size_t Count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// The text of the element with data-field="field"; empty when there is none.
inline std::string FieldText(const std::string& html, const std::string& field) {
  const std::string key = "data-field=\"" + field + "\">";
  size_t at = html.find(key);
  if (at == std::string::npos) return "";
  at += key.size();
  return html.substr(at, html.find('<', at) - at);
}

}  // namespace mixlaw::testing_support

#endif  // MIXLAW_TESTS_REPORT_PAGE_TEXT_H_
