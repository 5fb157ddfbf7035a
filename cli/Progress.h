// Progress for the long steps: on a terminal, one status line that is rewritten in place
// (step, detail, elapsed time); otherwise one plain line per step, for logs and CI.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fmt/format.h>
#include <string>

namespace lpb::cli {

class Progress {
 public:
  Progress() : tty_(::isatty(2)), start_(std::chrono::steady_clock::now()) {}
  ~Progress() { clear(); }

  void step(const std::string& step, const std::string& detail) {
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    if (tty_) {
      std::string line = fmt::format("[{:6.1f}s] {}: {}", s, step, detail);
      if (line.size() > 100) line = line.substr(0, 97) + "...";
      fmt::print(stderr, "\r\033[K{}", line);
      std::fflush(stderr);
      dirty_ = true;
    } else {
      fmt::print(stderr, "lp-build: [{:.1f}s] {}: {}\n", s, step, detail);
    }
  }
  // Ends the in-place line before other output.
  void clear() {
    if (tty_ && dirty_) fmt::print(stderr, "\r\033[K");
    dirty_ = false;
  }

 private:
  bool tty_;
  bool dirty_ = false;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace lpb::cli
