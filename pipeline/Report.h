// What a build says while it runs and what it leaves behind: progress lines, warnings and
// refusals on stderr, and the JSON report (`--json`) that records the same things.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace lpb::pipeline {

// How a build ended. The names are the JSON report's "status"; the exit codes are the
// command's (docs/ARCHITECTURE.md, "Exit status").
enum class BuildStatus { Ok, Refused, NoChange, Error };
std::string_view buildStatusName(BuildStatus s);
int exitCodeFor(BuildStatus s);
// The status an lp-build exit code stands for (nullopt: none, e.g. a crash).
std::optional<BuildStatus> statusOfExitCode(int code);

class BuildReport {
 public:
  using StepFn = std::function<void(const std::string& stage, const std::string& what)>;
  BuildReport(StepFn step, std::function<void()> clearStep);

  // A progress line for a long stage ("compile", "2 unit(s), original and patched").
  void step(const std::string& stage, const std::string& what) const { step_(stage, what); }
  void clearStep() const { clear_(); }
  // "lp-build: warning: TEXT".
  void warn(const std::string& text) const;
  // "lp-build: NOTE" for a plain statement of what happened.
  void say(const std::string& text) const;
  // One refusal: printed as `refuse [rule] name: reason (unit)` and recorded in the report.
  void refuse(const std::string& rule, const std::string& name, const std::string& reason,
              const std::string& unit = "");
  bool refused() const { return refused_; }

  // Seconds spent in `stage` since `since` (stages may overlap: compile and profile).
  void lap(const std::string& stage, std::chrono::steady_clock::time_point since);
  // The report with its timings and final status filled in.
  nlohmann::json finished(BuildStatus status) const;

  nlohmann::json json;  // the stages' own fields ("units", "functions", "references", ...)

 private:
  StepFn step_;
  std::function<void()> clear_;
  bool refused_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::map<std::string, double> timings_;
};

}  // namespace lpb::pipeline
