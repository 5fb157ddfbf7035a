// C source text without what cannot change the object code: comments and the amount of
// white space. Two spellings of a declaration that normalise to the same text are the same
// declaration; used on both sides (Clang extents in lpb-unit-model, lexical scans here).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lpb::preflight {

inline bool isIdentChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// Comments become a space; runs of white space become one space, kept only between two
// characters that would otherwise merge into one token. String and character literals are
// copied as written.
inline std::string normalizeCode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  bool pendingSpace = false;
  auto emit = [&](char c) {
    if (pendingSpace && !out.empty() && isIdentChar(out.back()) && isIdentChar(c)) out.push_back(' ');
    pendingSpace = false;
    out.push_back(c);
  };
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '/' && i + 1 < in.size() && in[i + 1] == '/') {
      while (i < in.size() && in[i] != '\n') ++i;
      pendingSpace = true;
    } else if (c == '/' && i + 1 < in.size() && in[i + 1] == '*') {
      size_t end = in.find("*/", i + 2);
      i = end == std::string_view::npos ? in.size() : end + 1;
      pendingSpace = true;
    } else if (c == '"' || c == '\'') {
      emit(c);
      for (++i; i < in.size() && in[i] != c; ++i) {
        out.push_back(in[i]);
        if (in[i] == '\\' && i + 1 < in.size()) out.push_back(in[++i]);
      }
      if (i < in.size()) out.push_back(c);
    } else if (c == '\\' && i + 1 < in.size() && in[i + 1] == '\n') {
      ++i;  // line continuation
      pendingSpace = true;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      pendingSpace = true;
    } else {
      emit(c);
    }
  }
  return out;
}

// A stable 64-bit FNV-1a hash, printed as hex: what the model records instead of the text.
inline std::string textHash(std::string_view text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  static const char* digits = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4) s[static_cast<size_t>(i)] = digits[h & 15];
  return s;
}

}  // namespace lpb::preflight
