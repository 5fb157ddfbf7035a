#include "pipeline/Report.h"

#include <cstdio>
#include <fmt/format.h>

namespace lpb::pipeline {

namespace {
struct StatusRow {
  BuildStatus status;
  std::string_view name;
  int exitCode;
};
constexpr StatusRow kStatuses[] = {
    {BuildStatus::Ok, "ok", 0},
    {BuildStatus::Refused, "refused", 1},
    {BuildStatus::NoChange, "nochange", 3},
    {BuildStatus::Error, "error", 2},
};
}  // namespace

std::string_view buildStatusName(BuildStatus s) {
  for (const auto& row : kStatuses)
    if (row.status == s) return row.name;
  return "error";
}

int exitCodeFor(BuildStatus s) {
  for (const auto& row : kStatuses)
    if (row.status == s) return row.exitCode;
  return 2;
}

std::optional<BuildStatus> statusOfExitCode(int code) {
  for (const auto& row : kStatuses)
    if (row.exitCode == code) return row.status;
  return std::nullopt;
}

BuildReport::BuildReport(StepFn step, std::function<void()> clearStep)
    : step_(std::move(step)), clear_(std::move(clearStep)) {
  json["refusals"] = nlohmann::json::array();
}

void BuildReport::warn(const std::string& text) const {
  clear_();
  fmt::print(stderr, "lp-build: warning: {}\n", text);
}

void BuildReport::say(const std::string& text) const {
  clear_();
  fmt::print(stderr, "lp-build: {}\n", text);
}

void BuildReport::refuse(const std::string& rule, const std::string& name, const std::string& reason,
                         const std::string& unit) {
  refused_ = true;
  clear_();
  if (unit.empty()) fmt::print(stderr, "lp-build: refuse [{}] {}: {}\n", rule, name, reason);
  else fmt::print(stderr, "lp-build: refuse [{}] {}: {} ({})\n", rule, name, reason, unit);
  nlohmann::json r = {{"rule", rule}, {"name", name}, {"reason", reason}};
  if (!unit.empty()) r["unit"] = unit;
  json["refusals"].push_back(std::move(r));
}

void BuildReport::lap(const std::string& stage, std::chrono::steady_clock::time_point since) {
  timings_[stage] += std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

nlohmann::json BuildReport::finished(BuildStatus status) const {
  nlohmann::json out = json;
  out["status"] = std::string(buildStatusName(status));
  out["timings"] = timings_;
  out["timings"]["total"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return out;
}

}  // namespace lpb::pipeline
