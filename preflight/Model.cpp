// The unit model's schema, as tables: the fields each entity kind carries, with their JSON
// types. preflight/clang/UnitModel.cpp writes these fields and preflight/Rules.cpp reads
// them; a field added to one goes into the table here too (the fuzz_model harness and the
// pre-flight catalogue fail otherwise: a missing required field refuses every model).
#include "preflight/Model.h"

#include <fmt/format.h>

#include "elfgen/ElfObject.h"

namespace lpb::preflight {
namespace {

using nlohmann::json;

enum class Type { String, Bool, Unsigned, Integer, Strings, Object, Array };

struct Field {
  const char* name;
  Type type;
  bool required;
};

// Every entity: what it is, where it is, and a hash of its text.
constexpr Field kCommon[] = {{"kind", Type::String, true},   {"name", Type::String, true},
                             {"file", Type::Unsigned, true}, {"line", Type::Unsigned, true},
                             {"endLine", Type::Unsigned, true}, {"text", Type::String, true}};

constexpr Field kFunction[] = {{"body", Type::String, true},         {"signature", Type::String, true},
                               {"external", Type::Bool, true},       {"inline", Type::Bool, true},
                               {"alwaysInline", Type::Bool, true},   {"variadic", Type::Bool, true},
                               {"notrace", Type::Bool, true},        {"calls", Type::Strings, true},
                               {"addressTaken", Type::Strings, true}, {"types", Type::Strings, true},
                               {"globals", Type::Strings, true},     {"params", Type::Array, true},
                               {"declaredIn", Type::Strings, true},  {"section", Type::String, false},
                               {"lineUses", Type::Array, false},     {"keyUses", Type::Array, false},
                               {"macroUses", Type::Array, false}};

constexpr Field kVariable[] = {{"type", Type::String, true},   {"init", Type::String, true},
                               {"external", Type::Bool, true}, {"const", Type::Bool, true},
                               {"staticLocal", Type::Bool, true}, {"section", Type::String, false}};

constexpr Field kRecord[] = {{"layout", Type::String, true}, {"size", Type::Unsigned, true}};
constexpr Field kEnum[] = {{"values", Type::Object, true}};

// A parameter as the calling convention sees it, and a macro use inside a function.
constexpr Field kParam[] = {{"class", Type::String, true}, {"size", Type::Unsigned, true}, {"align", Type::Unsigned, true}};
constexpr Field kUse[] = {{"macro", Type::String, true}, {"line", Type::Unsigned, true},
                          {"key", Type::String, false}, {"keyDefinedInUnit", Type::Bool, false}};

const char* typeName(Type t) {
  switch (t) {
    case Type::String: return "a string";
    case Type::Bool: return "true or false";
    case Type::Unsigned: return "an unsigned integer";
    case Type::Integer: return "an integer";
    case Type::Strings: return "an array of strings";
    case Type::Object: return "an object";
    case Type::Array: return "an array";
  }
  return "?";
}

bool hasType(const json& v, Type t) {
  switch (t) {
    case Type::String: return v.is_string();
    case Type::Bool: return v.is_boolean();
    case Type::Unsigned: return v.is_number_unsigned() && v.get<uint64_t>() <= UINT32_MAX;
    case Type::Integer: return v.is_number_integer();
    case Type::Strings:
      if (!v.is_array()) return false;
      for (const json& s : v)
        if (!s.is_string()) return false;
      return true;
    case Type::Object: return v.is_object();
    case Type::Array: return v.is_array();
  }
  return false;
}

// The problem with `obj` against `fields`, or "" when there is none; `at` names it.
template <size_t N>
std::string checkFields(const json& obj, const Field (&fields)[N], const std::string& at) {
  if (!obj.is_object()) return at + ": not an object";
  for (const Field& f : fields) {
    auto it = obj.find(f.name);
    if (it == obj.end()) {
      if (f.required) return fmt::format("{}: no \"{}\"", at, f.name);
      continue;
    }
    if (!hasType(*it, f.type)) return fmt::format("{}.{}: not {}", at, f.name, typeName(f.type));
  }
  return {};
}

template <size_t N>
std::string checkEach(const json& array, const Field (&fields)[N], const std::string& at) {
  for (size_t i = 0; i < array.size(); ++i)
    if (std::string p = checkFields(array[i], fields, fmt::format("{}[{}]", at, i)); !p.empty()) return p;
  return {};
}

std::string checkFunction(const json& e, const std::string& at) {
  if (std::string p = checkFields(e, kFunction, at); !p.empty()) return p;
  if (std::string p = checkEach(e["params"], kParam, at + ".params"); !p.empty()) return p;
  for (const char* uses : {"lineUses", "keyUses", "macroUses"})
    if (e.contains(uses))
      if (std::string p = checkEach(e[uses], kUse, at + "." + uses); !p.empty()) return p;
  return {};
}

std::string checkEnum(const json& e, const std::string& at) {
  if (std::string p = checkFields(e, kEnum, at); !p.empty()) return p;
  for (const auto& [name, value] : e["values"].items())
    if (!hasType(value, Type::Integer)) return fmt::format("{}.values.{}: not an integer", at, name);
  return {};
}

std::string checkEntity(const json& e, const std::string& at, size_t touchedFiles) {
  if (std::string p = checkFields(e, kCommon, at); !p.empty()) return p;
  if (e["file"].get<uint64_t>() >= touchedFiles)
    return fmt::format("{}.file: {} is not one of the {} touched files", at, e["file"].get<uint64_t>(), touchedFiles);
  std::string kind = e["kind"].get<std::string>();
  if (kind == "function") return checkFunction(e, at);
  if (kind == "variable") return checkFields(e, kVariable, at);
  if (kind == "struct" || kind == "union") return checkFields(e, kRecord, at);
  if (kind == "enum") return checkEnum(e, at);
  if (kind == "macro") return {};
  return fmt::format("{}.kind: \"{}\" is no kind of entity", at, kind);
}

std::string checkModel(const json& m, size_t touchedFiles) {
  if (!m.is_object()) return "not an object";
  if (!m.contains("entities") || !m["entities"].is_array()) return "no \"entities\" array";
  if (!m.contains("callGraph") || !m["callGraph"].is_object()) return "no \"callGraph\" object";
  const json& entities = m["entities"];
  for (size_t i = 0; i < entities.size(); ++i)
    if (std::string p = checkEntity(entities[i], fmt::format("entities[{}]", i), touchedFiles); !p.empty()) return p;
  for (const auto& [caller, callees] : m["callGraph"].items())
    if (!hasType(callees, Type::Strings)) return fmt::format("callGraph.{}: not an array of strings", caller);
  return {};
}

}  // namespace

json readModel(const std::string& text, const std::string& unit, size_t touchedFiles) {
  json m = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (m.is_discarded()) throw elf::InputError(unit, "the unit model is not JSON");
  if (std::string problem = checkModel(m, touchedFiles); !problem.empty())
    throw elf::InputError(unit, "the unit model does not fit its schema: " + problem);
  return m;
}

}  // namespace lpb::preflight
