#include "preflight/Scan.h"

#include <fstream>
#include <sstream>

#include "preflight/CodeText.h"

namespace lpb::preflight {

bool mentions(std::string_view src, std::string_view id) {
  for (size_t at = src.find(id); at != std::string_view::npos; at = src.find(id, at + 1)) {
    bool startOk = at == 0 || !isIdentChar(src[at - 1]);
    bool endOk = at + id.size() >= src.size() || !isIdentChar(src[at + id.size()]);
    if (startOk && endOk) return true;
  }
  return false;
}

std::vector<std::string> functionsUsing(std::string_view text, std::string_view identifier) {
  std::vector<std::string> out;
  if (!mentions(text, identifier)) return out;
  int depth = 0;
  std::string candidate, current, lastIdent;
  bool sawParen = false, lineStart = true;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n') {
      lineStart = true;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') continue;
    if (c == '#' && lineStart) {  // a directive: to the end of the line, with continuations
      while (i < text.size() && !(text[i] == '\n' && text[i - 1] != '\\')) ++i;
      continue;
    }
    lineStart = false;
    if (c == '/' && i + 1 < text.size() && text[i + 1] == '/') {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < text.size() && text[i + 1] == '*') {
      size_t e = text.find("*/", i + 2);
      i = e == std::string_view::npos ? text.size() : e + 1;
      continue;
    }
    if (c == '"' || c == '\'') {
      for (++i; i < text.size() && text[i] != c; ++i)
        if (text[i] == '\\') ++i;
      continue;
    }
    if (isIdentChar(c)) {
      size_t b = i;
      while (i < text.size() && isIdentChar(text[i])) ++i;
      std::string_view word(text.data() + b, i - b);
      --i;
      if (depth == 0) {
        lastIdent = std::string(word);
      } else if (word == identifier && !current.empty()) {
        bool seen = false;
        for (const auto& f : out) seen |= f == current;
        if (!seen) out.push_back(current);
      }
      continue;
    }
    if (depth == 0) {
      if (c == '(' && !sawParen) {
        candidate = lastIdent;
        sawParen = true;
      } else if (c == ';' || c == '=') {
        sawParen = false;
        candidate.clear();
      }
    }
    if (c == '{') {
      if (depth == 0) {
        current = sawParen ? candidate : std::string();
        sawParen = false;
      }
      ++depth;
    } else if (c == '}') {
      if (depth > 0) --depth;
      if (depth == 0) current.clear();
    }
  }
  return out;
}


}  // namespace lpb::preflight
