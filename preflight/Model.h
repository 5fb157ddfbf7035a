// The unit model: what lpb-unit-model (preflight/clang) prints for one parse, and the one
// reader that lets it into the rules. The rules index the model directly (e["line"],
// o["values"]); they may, because nothing reaches them that readModel has not checked
// against the schema in Model.cpp: every field of every entity kind with its JSON type,
// and "file" within the touched files. A model that is not that is the helper's fault or
// a damaged file, and `lp-build check` stops at exit 2 naming the unit, never a verdict.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace lpb::preflight {

// Parses `text` (the helper's stdout for `unit`) and checks it against the schema.
// `touchedFiles` is how many --interest files the helper was given: an entity's "file"
// indexes them. Throws elf::InputError(unit, "the unit model ...: <path>: <problem>").
nlohmann::json readModel(const std::string& text, const std::string& unit, size_t touchedFiles);

}  // namespace lpb::preflight
