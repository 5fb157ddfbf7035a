// The pre-flight rules. Each compares one entity of a touched file, original against
// patched, and says ok, warn or refuse with a stable rule id (docs/ARCHITECTURE.md,
// "Pre-flight rules"); ids shared with the object differ (changed-data, changed-init,
// no-ftrace-entry, module-static-key, module-static-call) mean the same thing, so --deep can
// compare the two verdicts.
//
// To add a rule: a function here called from applyRules, a row in the table in
// docs/ARCHITECTURE.md, and a testdata/preflight/<case> that triggers it and one that must not.
#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <map>
#include <optional>
#include <set>

#include "preflight/Scan.h"
#include "preflight/State.h"

namespace lpb::preflight {
namespace {

using nlohmann::json;

struct Pair {
  const json* orig = nullptr;
  const json* patched = nullptr;
  const json& any() const { return patched ? *patched : *orig; }
};

std::string str(const json& e, const char* k) { return e.contains(k) && e[k].is_string() ? e[k].get<std::string>() : ""; }
bool flag(const json& e, const char* k) { return e.contains(k) && e[k].is_boolean() && e[k].get<bool>(); }

bool isHeader(const std::string& f) { return f.size() > 2 && f.compare(f.size() - 2, 2, ".h") == 0; }

std::string joinNames(const std::vector<std::string>& names, size_t max = 8) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < max; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > max) out += fmt::format(" and {} more", names.size() - max);
  return out;
}

class FileRules {
 public:
  FileRules(State& s, int fileIdx) : s_(s), idx_(fileIdx), file_(s.touched[static_cast<size_t>(fileIdx)]) {
    const ParsedUnit& u = s.units[s.unitOfFile.at(file_)];
    unit_ = &u;
    collect(u.orig, true);
    collect(u.patched, false);
  }

  void run() {
    // Functions whose text did not change but that expand a macro of this file that did.
    std::set<std::string> changedMacros;
    for (auto& [key, p] : entities_)
      if (p.orig && p.patched && str(*p.orig, "kind") == "macro" && str(*p.orig, "text") != str(*p.patched, "text"))
        changedMacros.insert(str(*p.orig, "name"));
    for (auto& [key, p] : entities_) {
      std::string kind = str(p.any(), "kind");
      if (kind == "function") function(p, changedMacros);
      else if (kind == "variable") variable(p);
      else if (kind == "struct" || kind == "union") record(p, kind);
      else if (kind == "enum") enumeration(p);
      else if (kind == "macro") macro(p);
    }
  }

 private:
  void collect(const json& model, bool orig) {
    for (const json& e : model["entities"]) {
      if (e["file"] != idx_) continue;
      std::string key = str(e, "kind") + ":" + str(e, "name");
      Pair& p = entities_[key];
      (orig ? p.orig : p.patched) = &e;
    }
  }

  Finding& add(const json& e, std::string entity, std::string rule, Verdict v, std::string why,
               std::string instead = {}) {
    Finding f;
    f.file = file_;
    f.line = e["line"];
    f.entity = std::move(entity);
    f.rule = std::move(rule);
    f.verdict = v;
    f.why = std::move(why);
    f.instead = std::move(instead);
    s_.findings.push_back(std::move(f));
    return s_.findings.back();
  }

  const json* patchedFunction(const std::string& name) const {
    for (const json& e : unit_->patched["entities"])
      if (str(e, "kind") == "function" && str(e, "name") == name) return &e;
    return nullptr;
  }

  // Functions of this unit whose object code changes when `fn` does: its callers, when the
  // compiler may have inlined it (a static function), and so on up through static callers.
  std::vector<std::string> inlinedInto(const std::string& fn) const {
    const json& graph = unit_->patched["callGraph"];
    std::map<std::string, std::vector<std::string>> callers;
    for (auto it = graph.begin(); it != graph.end(); ++it)
      for (const auto& callee : it.value()) callers[callee.get<std::string>()].push_back(it.key());
    std::vector<std::string> out;
    std::set<std::string> seen{fn};
    std::vector<std::string> work{fn};
    while (!work.empty()) {
      std::string f = work.back();
      work.pop_back();
      const json* e = patchedFunction(f);
      bool mayBeInlined = !e || !flag(*e, "external") || flag(*e, "inline") || flag(*e, "alwaysInline");
      if (!mayBeInlined) continue;
      for (const auto& c : callers[f])
        if (seen.insert(c).second) {
          out.push_back(c);
          work.push_back(c);
        }
    }
    return out;
  }

  // Units that read this file, and their functions that mention `name` (lexically).
  struct Reach {
    size_t units = 0;
    std::vector<std::string> functions;  // "unit-source:function"
  };
  Reach reach(const std::string& name) const {
    Reach r;
    std::vector<kbuild::Unit> users = s_.tree.unitsAffectedBy({file_});
    r.units = users.size();
    std::set<std::string> sources;
    for (const auto& u : users) sources.insert(u.source);
    for (const auto& src : sources) {
      std::string text = readFile(s_.tree.sourceDir() + "/" + src);
      for (const auto& f : functionsUsing(text, name)) r.functions.push_back(f + " (" + src + ")");
    }
    return r;
  }

  bool inInitSection(const json& e) const {
    std::string sec = str(e, "section");
    return sec.rfind(".init.", 0) == 0 || sec.rfind(".exit.", 0) == 0 || sec == ".init.text" || sec == ".exit.text";
  }

  // The functions ftrace and livepatch themselves run on: redirecting them would patch the
  // code doing the patching.
  // Was the unit compiled with ftrace instrumentation? (CC_FLAGS_FTRACE: -pg with -mfentry,
  // -mprofile-kernel or -mrecord-mcount; or -fpatchable-function-entry with nops at the
  // entry on the architectures that use it.) Directories and files remove it
  // (ccflags-remove-y, CFLAGS_REMOVE_x.o); lib/ does for all of lib/*.o.
  bool unitTraced() {
    if (!traced_) {
      traced_ = false;
      // -fpatchable-function-entry=N[,M] puts N nops M of them before the entry: only nops
      // at the entry are an ftrace location (x86's call padding is =16,16, all before).
      const std::string pfe = "-fpatchable-function-entry=";
      for (const auto& w : s_.tree.compileCommand(unit_->unit).compiler) {
        if (w == "-pg") traced_ = true;
        if (w.rfind(pfe, 0) != 0) continue;
        unsigned total = 0, before = 0;
        if (std::sscanf(w.c_str() + pfe.size(), "%u,%u", &total, &before) >= 1 && total > before) traced_ = true;
      }
    }
    return *traced_;
  }

  bool isPatchingMachinery() const {
    namespace fs = std::filesystem;
    const std::string& src = unit_->unit.source;
    std::string base = fs::path(src).filename().string();
    return src.rfind("kernel/livepatch/", 0) == 0 || src == "kernel/trace/ftrace.c" || src == "kernel/trace/fgraph.c" ||
           (src.rfind("arch/", 0) == 0 && base.rfind("ftrace", 0) == 0);
  }

  void function(const Pair& p, const std::set<std::string>& changedMacros) {
    const json& e = p.any();
    std::string name = str(e, "name");
    if (!p.orig) {
      add(e, name, "new-function", Verdict::Ok, "a new function; the patch module carries it");
      return;
    }
    if (!p.patched) {
      add(e, name, "removed-function", Verdict::Ok,
          "removed; the running kernel keeps its copy, which nothing patched calls any more");
      return;
    }
    const json& o = *p.orig;
    const json& n = *p.patched;
    bool textChanged = str(o, "text") != str(n, "text");
    std::vector<std::string> viaMacros;
    if (n.contains("macroUses"))
      for (const auto& u : n["macroUses"])
        if (changedMacros.count(str(u, "macro"))) viaMacros.push_back(str(u, "macro"));
    if (!textChanged && viaMacros.empty()) {
      lineShift(o, n, name);
      return;
    }
    if (refusedAsNotRedirectable(o, n, name)) return;
    std::vector<std::string> with = inlinedInto(name);
    if (flag(n, "alwaysInline") && refusedAsInlineOnly(n, name, with)) return;
    std::string why = textChanged ? "body changed" : "expands changed macro " + joinNames(viaMacros);
    Finding& f = add(n, name, "function-changed", Verdict::Ok,
                     with.empty() ? why : why + "; the object code of " + joinNames(with) + " changes with it",
                     "");
    f.changesWith = with;
    if (isHeader(file_) && (flag(n, "inline") || flag(n, "alwaysInline"))) headerInline(n, name);
    syscallWrapper(n, name);
    keys(n, name);
    stackArguments(n, name);
  }

  // A changed function livepatch cannot redirect: __init/__exit code, notrace, noinstr, a
  // unit built without ftrace, the patching machinery itself. (A prototype change is
  // reported on the way.) True when refused.
  bool refusedAsNotRedirectable(const json& o, const json& n, const std::string& name) {
    bool inlineOnly = flag(n, "inline") || flag(n, "alwaysInline");
    if (inInitSection(o) || inInitSection(n)) {
      add(n, name, "changed-init", Verdict::Refuse,
          fmt::format("{} code ({}) ran once at boot or module load, or runs only at unload; livepatch never "
                      "redirects it", str(o, "section").rfind(".exit", 0) == 0 ? "__exit" : "__init", str(o, "section")),
          "make the fix where the state it set up is used, or apply the initialisation from a pre-patch callback");
      return true;
    }
    if (str(o, "signature") != str(n, "signature")) prototype(o, n, name);
    std::string section = str(n, "section");
    if (!inlineOnly && flag(n, "notrace")) {
      add(n, name, "no-ftrace-entry", Verdict::Refuse,
          "marked notrace: it has no ftrace location, so livepatch cannot redirect it",
          "put the fix in its callers (they are patchable), or in a new function they call");
      return true;
    }
    if (section == ".noinstr.text" || section == ".entry.text" || section == ".cpuidle.text") {
      add(n, name, "no-ftrace-entry", Verdict::Refuse,
          fmt::format("in {} (noinstr): runs where instrumentation is forbidden, so it has no ftrace location",
                      section),
          "fix the caller outside the noinstr region, or make the change in a traceable function it calls");
      return true;
    }
    if (!isHeader(file_) && !unitTraced()) {
      // Neither the function nor the callers it may be inlined into can be redirected.
      std::vector<std::string> with = inlinedInto(name);
      Finding& f = add(n, name, "no-ftrace-entry", Verdict::Refuse,
                       fmt::format("{} is compiled without ftrace instrumentation (kbuild's command for {} has neither "
                                   "-pg nor entry nops from -fpatchable-function-entry: a Makefile removes "
                                   "CC_FLAGS_FTRACE, as lib/Makefile does), so none of its functions has an ftrace "
                                   "location livepatch could redirect{}",
                                   unit_->unit.source, unit_->unit.object,
                                   with.empty() ? "" : "; the object code of " + joinNames(with) + " changes with it"),
                       "put the fix in the callers that live in traced units, e.g. have them call a fixed copy added "
                       "as a new function");
      f.changesWith = with;
      return true;
    }
    if (isPatchingMachinery()) {
      add(n, name, "patches-livepatch", Verdict::Refuse,
          fmt::format("{} is part of the code livepatch or ftrace runs on while patching", unit_->unit.source),
          "this needs a kernel update (reboot); livepatch cannot safely replace itself");
      return true;
    }
    return false;
  }

  // An __always_inline function has no copy of its own: its callers are the targets, and
  // each must be redirectable. True when refused.
  bool refusedAsInlineOnly(const json& n, const std::string& name, const std::vector<std::string>& with) {
    std::vector<std::string> stuck;
    for (const auto& c : with)
      if (const json* ce = patchedFunction(c))
        if (!flag(*ce, "inline") && !flag(*ce, "alwaysInline") &&
            (flag(*ce, "notrace") || str(*ce, "section") == ".noinstr.text"))
          stuck.push_back(c);
    if (stuck.empty() && !(with.empty() && !isHeader(file_))) return false;
    add(n, name, "no-ftrace-entry", Verdict::Refuse,
        stuck.empty() ? "__always_inline with no caller in this unit: there is no function to redirect"
                      : "__always_inline: it exists only inside its callers, and " + joinNames(stuck) +
                            " cannot be redirected (notrace or noinstr)",
        "make the fix in a traceable caller, or leave the noinstr callers unfixed deliberately");
    return true;
  }

  // SYSCALL_DEFINE's __do_sys_ body is folded into the architecture's entry wrapper.
  void syscallWrapper(const json& n, const std::string& name) {
    if (name.rfind("__do_sys_", 0) != 0 && name.rfind("__do_compat_sys_", 0) != 0) return;
    std::string sys = name.substr(name.find("sys_") + 4);
    add(n, name, "syscall", Verdict::Warn,
        fmt::format("defined with SYSCALL_DEFINE: the body is {} (static inline), folded into the architecture's "
                    "syscall entry wrapper for {}, which is what livepatch redirects", name, sys),
        "expect the wrapper to be the changed function; do not change the argument list (the wrapper's "
        "register decoding is generated from it)");
  }

  void lineShift(const json& o, const json& n, const std::string& name) {
    if (!o.contains("lineUses") || !n.contains("lineUses")) return;
    const json& a = o["lineUses"];
    const json& b = n["lineUses"];
    if (a.size() != b.size()) return;
    std::vector<std::string> moved;
    for (size_t i = 0; i < a.size(); ++i)
      if (a[i]["line"] != b[i]["line"])
        moved.push_back(fmt::format("{} {}→{}", str(a[i], "macro"), a[i]["line"].get<unsigned>(),
                                    b[i]["line"].get<unsigned>()));
    if (moved.empty()) return;
    add(n, name, "line-shift", Verdict::Warn,
        "not changed by the fix, but its __LINE__ users move: " + joinNames(moved, 4) +
            "; the line is compiled into the code or the bug table, so the object code changes",
        "keep the line count above it (join the added lines onto existing ones) or put the new code below it; "
        "lp-build diff ignores pure line-number immediates, not line changes in __bug_table");
  }

  void prototype(const json& o, const json& n, const std::string& name) {
    if (!flag(o, "external")) return;  // every caller of a static function is in this unit
    // Callers need a declaration: the units reading the headers that declare it, plus this one.
    std::set<std::string> headers;
    for (const auto& d : o["declaredIn"]) {
      std::string path = d.get<std::string>();
      std::string src = s_.tree.sourceDir() + "/";
      if (path.rfind(src, 0) == 0) headers.insert(path.substr(src.size()));
    }
    std::vector<std::string> outside;
    std::set<std::string> sources;
    if (!headers.empty())
      for (const auto& u : s_.tree.unitsAffectedBy(std::vector<std::string>(headers.begin(), headers.end())))
        sources.insert(u.source);
    bool exported = false;
    for (const auto& src : sources) {
      if (std::find(s_.touched.begin(), s_.touched.end(), src) != s_.touched.end()) continue;
      std::string text = readFile(s_.tree.sourceDir() + "/" + src);
      if (!mentions(text, name)) continue;
      for (const auto& f : functionsUsing(text, name)) outside.push_back(f + " (" + src + ")");
    }
    std::string own = readFile(s_.tree.sourceDir() + "/" + unit_->unit.source);
    exported = mentions(own, "EXPORT_SYMBOL(" + name + ")") || own.find("EXPORT_SYMBOL_GPL(" + name + ")") != std::string::npos ||
               own.find("EXPORT_SYMBOL(" + name + ")") != std::string::npos;
    if (outside.empty() && !exported) {
      add(n, name, "prototype-changed", Verdict::Ok,
          fmt::format("prototype {} → {}; every caller is in the patch", str(o, "signature"), str(n, "signature")));
      return;
    }
    Finding& f = add(n, name, "prototype-changed", Verdict::Refuse,
                     fmt::format("prototype {} → {} of a function with external linkage; {}", str(o, "signature"),
                                 str(n, "signature"),
                                 outside.empty() ? "it is exported, so modules call it with the old prototype"
                                                 : "unpatched callers would call it the old way: " + joinNames(outside)),
                     "keep the prototype and add a new function with the new one (called by the patched callers), "
                     "or patch every caller");
    f.changesWith = outside;
  }

  void headerInline(const json& n, const std::string& name) {
    Reach r = reach(name);
    Finding& f = add(n, name, "header-change", Verdict::Warn,
                     fmt::format("static inline in a header: reaches {} units; {} functions use it directly "
                                 "and change with it{}{}",
                                 r.units, r.functions.size(), r.functions.empty() ? "" : ": ", joinNames(r.functions)),
                     "each of those functions becomes part of the patch; prefer fixing the few callers that need it "
                     "if the list is long");
    f.changesWith = r.functions;
  }

  void keys(const json& n, const std::string& name) {
    if (!n.contains("keyUses")) return;
    bool inModule = unit_->unit.linkedInto != "vmlinux" && !unit_->unit.linkedInto.empty();
    for (const auto& u : n["keyUses"]) {
      std::string macro = str(u, "macro"), key = str(u, "key");
      if (macro == "static_call_update" || macro == "static_branch_enable" || macro == "static_branch_disable" ||
          macro == "static_branch_inc" || macro == "static_branch_dec")
        continue;  // changing a key's state is plain code
      bool isCall = macro.rfind("static_call", 0) == 0;
      std::string symbol = isCall ? "__SCK__" + key : key;
      bool moduleKey = inModule && (flag(u, "keyDefinedInUnit") || !s_.inVmlinux(symbol));
      if (!moduleKey) continue;
      if (isCall)
        add(n, name, "module-static-call", Verdict::Refuse,
            fmt::format("{}({}) at line {}: the static call's key lives in module {}; the patch module's call site "
                        "cannot be registered with a key of another module",
                        macro, key, u["line"].get<unsigned>(), unit_->unit.linkedInto),
            "in the patched function call through the static call's current target instead "
            "(static_call_query(" + key + ") and an indirect call)");
      else
        add(n, name, "module-static-key", Verdict::Refuse,
            fmt::format("{}({}) at line {}: the key lives in module {}; a jump label in the patch module cannot "
                        "refer to a key of another module",
                        macro, key, u["line"].get<unsigned>(), unit_->unit.linkedInto),
            "in the patched function test the key with static_key_enabled(&" + key +
                ".key) (a plain load) instead of " + macro + "()");
    }
  }

  void stackArguments(const json& n, const std::string& name) {
    if (!s_.target) return;
    std::vector<arch::Target::Parameter> params;
    for (const auto& p : n["params"]) {
      arch::Target::Parameter q;
      std::string c = str(p, "class");
      q.cls = c == "float" ? arch::Target::Parameter::Class::Float
              : c == "aggregate" ? arch::Target::Parameter::Class::Aggregate
                                 : arch::Target::Parameter::Class::Integer;
      q.size = p["size"];
      q.align = p["align"];
      params.push_back(q);
    }
    arch::Target::StackArguments r = s_.target->checkStackArguments(params, flag(n, "variadic"), s_.tree.sourceDir());
    if (!r.onStack) return;
    std::string rule = std::string(s_.target->name()) + "-stack-args";
    add(n, name, rule, r.safe ? Verdict::Ok : Verdict::Refuse, "receives arguments on the stack: " + r.reason);
  }

  void variable(const Pair& p) {
    const json& e = p.any();
    std::string name = str(e, "name");
    if (!p.orig) {
      add(e, name, "new-data", Verdict::Ok, "a new variable; the patch module carries it, initialised as written");
      return;
    }
    if (!p.patched) {
      add(e, name, "removed-data", Verdict::Ok, "removed; the running kernel keeps it");
      return;
    }
    const json& o = *p.orig;
    const json& n = *p.patched;
    if (str(o, "text") == str(n, "text")) return;
    if (inInitSection(o) || inInitSection(n)) {
      add(n, name, "changed-init", Verdict::Refuse,
          fmt::format("init data ({}) is used at boot or module load and freed after", str(o, "section")),
          "make the change where the data's effect is used, or set it from a pre-patch callback");
      return;
    }
    std::string what = str(o, "type") != str(n, "type")   ? fmt::format("type {} → {}", str(o, "type"), str(n, "type"))
                       : str(o, "init") != str(n, "init") ? "initializer changed"
                                                          : "definition changed (attributes or section)";
    add(n, name, "changed-data", Verdict::Refuse,
        fmt::format("existing {} variable: {}; the running kernel's copy already holds live state and is what "
                    "unpatched code uses",
                    flag(o, "external") ? "global" : "static", what),
        "leave the definition alone: set the new value from a pre-patch callback, or keep extra state in a "
        "shadow variable (klp_shadow_get_or_alloc)");
  }

  void record(const Pair& p, const std::string& kind) {
    const json& e = p.any();
    std::string name = kind + " " + str(e, "name");
    if (!p.orig || !p.patched) return;  // a new type is only used by new code
    const json& o = *p.orig;
    const json& n = *p.patched;
    if (str(o, "layout") == str(n, "layout")) return;
    // Who else uses the type: every other unit for a header; unchanged functions and
    // variables of this unit for a .c file.
    std::vector<std::string> users;
    std::string typeName = str(e, "name");
    if (isHeader(file_)) {
      size_t units = s_.tree.unitsAffectedBy({file_}).size();
      users.push_back(fmt::format("{} units include {}", units, file_));
    } else {
      for (const json& f : unit_->patched["entities"]) {
        if (f["file"] != idx_) continue;
        std::string k = str(f, "kind");
        if (k == "function" && f.contains("types")) {
          bool uses = false;
          for (const auto& t : f["types"]) uses |= t == typeName;
          if (!uses) continue;
          auto op = entities_.find("function:" + str(f, "name"));
          bool changed = op == entities_.end() || !op->second.orig || str(*op->second.orig, "text") != str(f, "text");
          if (!changed) users.push_back(str(f, "name"));
        } else if (k == "variable" && str(f, "type").find(typeName) != std::string::npos) {
          users.push_back(str(f, "name") + " (variable)");
        }
      }
    }
    if (users.empty()) {
      add(n, name, "layout-changed", Verdict::Ok, "layout changed, but only patched code uses the type");
      return;
    }
    Finding& f = add(n, name, "layout-changed", Verdict::Refuse,
                     fmt::format("layout changed (size {} → {}); code the patch does not replace uses it: {}",
                                 o["size"].get<uint64_t>(), n["size"].get<uint64_t>(), joinNames(users)),
                     "keep the layout; attach the new member as a shadow variable (klp_shadow_get_or_alloc) to "
                     "each object, and free it in the object's release path");
    f.changesWith = users;
  }

  void enumeration(const Pair& p) {
    if (!p.orig || !p.patched) return;
    const json& ov = (*p.orig)["values"];
    const json& nv = (*p.patched)["values"];
    std::vector<std::string> moved, added;
    for (auto it = ov.begin(); it != ov.end(); ++it)
      if (nv.contains(it.key()) && nv[it.key()] != it.value())
        moved.push_back(fmt::format("{} {}→{}", it.key(), it.value().get<int64_t>(), nv[it.key()].get<int64_t>()));
    for (auto it = nv.begin(); it != nv.end(); ++it)
      if (!ov.contains(it.key())) added.push_back(it.key());
    std::string name = "enum " + str(*p.patched, "name");
    if (!moved.empty())
      add(*p.patched, name, "enum-value-changed", Verdict::Refuse,
          "existing enumerators change value: " + joinNames(moved) + "; unpatched code still uses the old numbers",
          "add new values at the end (after the last one, before any count/MAX marker only if nothing sizes "
          "arrays with it), keeping every existing value");
    else if (!added.empty())
      add(*p.patched, name, "enum-extended", Verdict::Ok,
          "new enumerators " + joinNames(added) + " after the existing ones; existing values unchanged");
  }

  void macro(const Pair& p) {
    if (!p.orig || !p.patched) return;
    if (str(*p.orig, "text") == str(*p.patched, "text")) return;
    std::string name = str(*p.patched, "name");
    if (!isHeader(file_)) {
      std::vector<std::string> users;
      for (const json& f : unit_->patched["entities"])
        if (str(f, "kind") == "function" && f.contains("macroUses"))
          for (const auto& u : f["macroUses"])
            if (str(u, "macro") == name && std::find(users.begin(), users.end(), str(f, "name")) == users.end())
              users.push_back(str(f, "name"));
      Finding& f = add(*p.patched, name, "macro-changed", Verdict::Ok,
                       users.empty() ? "macro changed; no function of this unit expands it"
                                     : "macro changed; the functions expanding it change: " + joinNames(users));
      f.changesWith = users;
      return;
    }
    Reach r = reach(name);
    Finding& f = add(*p.patched, name, "header-change", Verdict::Warn,
                     fmt::format("macro in a header: reaches {} units; {} functions expand it directly{}{}", r.units,
                                 r.functions.size(), r.functions.empty() ? "" : ": ", joinNames(r.functions)),
                     "every one of those functions becomes part of the patch; prefer a new macro or function used "
                     "only where the fix needs it");
    f.changesWith = r.functions;
  }

  State& s_;
  int idx_;
  std::string file_;
  const ParsedUnit* unit_ = nullptr;
  std::optional<bool> traced_;  // unitTraced(), read once
  std::map<std::string, Pair> entities_;
};

}  // namespace

void applyRules(State& s) {
  for (size_t i = 0; i < s.touched.size(); ++i) {
    const std::string& f = s.touched[i];
    if (!s.unitOfFile.count(f)) {
      Finding x;
      x.file = f;
      x.rule = "not-analysed";
      x.verdict = Verdict::Warn;
      x.why = isHeader(f) ? "no unit of this build includes it, so the change reaches no object code"
                          : "not a C source or header; pre-flight only reads C";
      x.instead = "check by hand that the change needs no livepatch (build files, documentation, assembly)";
      if (s.notBuilt.count(f)) {
        x.why = "not built in this kernel configuration; its changes are ignored";
        x.instead = "nothing to patch in this kernel; the build ignores the file too";
      }
      s.findings.push_back(x);
      continue;
    }
    FileRules(s, static_cast<int>(i)).run();
  }
}

}  // namespace lpb::preflight
