// Parses a kernel unit with Clang and describes the declarations of the files of interest.
// The JSON shape is read by preflight/Model.cpp; keep the two in step.
#include "preflight/clang/UnitModel.h"

#include <clang/AST/ASTConsumer.h>
#include <clang/AST/ASTContext.h>
#include <clang/AST/Attr.h>
#include <clang/AST/RecordLayout.h>
#include <clang/AST/RecursiveASTVisitor.h>
#include <clang/Basic/Diagnostic.h>
#include <clang/Basic/FileManager.h>
#include <clang/Basic/SourceManager.h>
#include <clang/Driver/Options.h>
#include <clang/Frontend/CompilerInstance.h>
#include <clang/Frontend/FrontendAction.h>
#include <clang/Lex/Lexer.h>
#include <clang/Lex/MacroArgs.h>
#include <clang/Lex/PPCallbacks.h>
#include <clang/Lex/Preprocessor.h>
#include <clang/Tooling/Tooling.h>
#include <llvm/Option/ArgList.h>
#include <llvm/Option/OptTable.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/TargetParser/Host.h>

#include <map>
#include <set>
#include <stdexcept>

#include "preflight/CodeText.h"

namespace lpb::preflight {
namespace {

using nlohmann::json;

// GCC options of kernel builds that Clang does not know or that only matter for code
// generation; a syntax-only parse needs none of them. Anything else Clang's option table
// does not know is dropped as well (see clangArgsFromGcc).
bool isCodegenOnlyGccFlag(const std::string& a) {
  static const char* exact[] = {"-fconserve-stack", "-mrecord-mcount", "-fno-allow-store-data-races",
                                "-mindirect-branch-register", "-mindirect-branch-cs-prefix", "-mskip-rax-setup",
                                "-fno-stack-clash-protection", "-pg", "-mfentry", "-c", "-g",
                                "-mno-fp-ret-in-387", "-fno-var-tracking-assignments", "-fno-ipa-sra",
                                "-mprofile-kernel", "-fsanitize-coverage=trace-pc"};
  static const char* prefixes[] = {"-Wp,", "-W", "-mindirect-branch=", "-mfunction-return=", "-mharden-sls=",
                                   "-fmin-function-alignment=", "-mpreferred-stack-boundary=", "-falign-jumps=",
                                   "-falign-loops=", "-falign-functions=", "-fpatchable-function-entry=",
                                   "-fcf-protection", "-gdwarf", "-fno-inline-functions-called-once",
                                   "-mstack-protector-guard", "-fzero-call-used-regs=", "-fplugin", "-fdebug-prefix-map"};
  for (const char* e : exact)
    if (a == e) return true;
  for (const char* p : prefixes)
    if (a.rfind(p, 0) == 0) return true;
  return false;
}

// The target triple from the compiler name: "powerpc64le-linux-gnu-gcc" -> powerpc64le-linux-gnu;
// a plain "gcc" compiles for the machine lp-build runs on, whose triple LLVM knows.
std::string tripleFromCompiler(const std::string& compiler) {
  std::string base = compiler.substr(compiler.rfind('/') + 1);
  auto dash = base.rfind('-');
  if (dash != std::string::npos && base.find("-linux-") != std::string::npos) return base.substr(0, dash);
  return llvm::sys::getDefaultTargetTriple();
}

class ErrorCollector : public clang::DiagnosticConsumer {
 public:
  void HandleDiagnostic(clang::DiagnosticsEngine::Level level, const clang::Diagnostic& info) override {
    clang::DiagnosticConsumer::HandleDiagnostic(level, info);
    if (level < clang::DiagnosticsEngine::Error || !first.empty()) return;
    llvm::SmallString<256> msg;
    info.FormatDiagnostic(msg);
    std::string where;
    if (info.hasSourceManager() && info.getLocation().isValid()) {
      clang::PresumedLoc p = info.getSourceManager().getPresumedLoc(info.getLocation());
      if (p.isValid()) where = std::string(p.getFilename()) + ":" + std::to_string(p.getLine()) + ": ";
    }
    first = where + std::string(msg);
  }
  std::string first;
};

// Facts gathered while the preprocessor runs, attached to functions afterwards.
struct PPFacts {
  struct Use {
    int file;
    unsigned line;
    std::string macro;  // the macro written in the file at that line
    std::string arg;    // first argument (static keys and calls)
  };
  std::vector<Use> lineUses;     // __LINE__ expansions
  std::vector<Use> keyUses;      // static_branch_*(), static_key_enabled(), static_call*()
  std::vector<Use> macroUses;    // expansions of macros defined in the files of interest
  json macros = json::array();   // definitions in the files of interest
  std::set<std::string> interestMacros;
};

class FileIndex {
 public:
  FileIndex(const clang::SourceManager& sm, const std::vector<std::string>& interest) : sm_(sm) {
    for (size_t i = 0; i < interest.size(); ++i) {
      llvm::SmallString<256> real;
      if (!llvm::sys::fs::real_path(interest[i], real)) paths_[std::string(real)] = static_cast<int>(i);
    }
  }
  // Which file of interest `loc` (its expansion point) lies in, or -1.
  int fileOf(clang::SourceLocation loc) const {
    if (loc.isInvalid()) return -1;
    clang::FileID fid = sm_.getFileID(sm_.getExpansionLoc(loc));
    auto it = cache_.find(fid);
    if (it != cache_.end()) return it->second;
    int idx = -1;
    if (auto fe = sm_.getFileEntryRefForID(fid)) {
      llvm::StringRef real = fe->getFileEntry().tryGetRealPathName();
      auto p = paths_.find(real.str());
      if (p != paths_.end()) idx = p->second;
    }
    cache_[fid] = idx;
    return idx;
  }
  unsigned lineOf(clang::SourceLocation loc) const { return sm_.getExpansionLineNumber(loc); }
  bool inMainFile(clang::SourceLocation loc) const { return sm_.isInMainFile(sm_.getExpansionLoc(loc)); }

 private:
  const clang::SourceManager& sm_;
  std::map<std::string, int> paths_;
  mutable std::map<clang::FileID, int> cache_;
};

std::string textOf(const clang::SourceManager& sm, const clang::LangOptions& lo, clang::SourceRange r) {
  clang::CharSourceRange cr = sm.getExpansionRange(r);
  return normalizeCode(clang::Lexer::getSourceText(cr, sm, lo).str());
}

class Callbacks : public clang::PPCallbacks {
 public:
  Callbacks(clang::Preprocessor& pp, const FileIndex& files, PPFacts& facts) : pp_(pp), files_(files), facts_(facts) {}

  void MacroDefined(const clang::Token& name, const clang::MacroDirective* md) override {
    const clang::MacroInfo* mi = md->getMacroInfo();
    int file = files_.fileOf(mi->getDefinitionLoc());
    if (file < 0) return;
    const clang::SourceManager& sm = pp_.getSourceManager();
    std::string text = textOf(sm, pp_.getLangOpts(), {mi->getDefinitionLoc(), mi->getDefinitionEndLoc()});
    std::string id = name.getIdentifierInfo()->getName().str();
    facts_.interestMacros.insert(id);
    facts_.macros.push_back({{"kind", "macro"},
                             {"name", id},
                             {"file", file},
                             {"line", files_.lineOf(mi->getDefinitionLoc())},
                             {"endLine", files_.lineOf(mi->getDefinitionEndLoc())},
                             {"text", textHash(text)}});
  }

  void MacroExpands(const clang::Token& tok, const clang::MacroDefinition& def, clang::SourceRange range,
                    const clang::MacroArgs* args) override {
    const clang::IdentifierInfo* ii = tok.getIdentifierInfo();
    if (!ii) return;
    llvm::StringRef name = ii->getName();
    clang::SourceLocation at = range.getBegin();
    int file = files_.fileOf(at);
    if (file < 0) return;
    unsigned line = files_.lineOf(at);
    if (name == "__LINE__") {
      facts_.lineUses.push_back({file, line, writtenMacroAt(at), {}});
      return;
    }
    if (isKeyMacro(name)) facts_.keyUses.push_back({file, line, name.str(), firstArgument(args)});
    if (def.getMacroInfo() && facts_.interestMacros.count(name.str()) &&
        files_.fileOf(def.getMacroInfo()->getDefinitionLoc()) >= 0)
      facts_.macroUses.push_back({file, line, name.str(), {}});
  }

 private:
  static bool isKeyMacro(llvm::StringRef n) {
    return n.startswith("static_branch_") || n == "static_key_enabled" || n == "static_call" ||
           n == "static_call_cond" || n == "static_call_update" || n == "static_call_mod";
  }
  // The identifier written at the expansion point: the outermost macro (WARN_ON, might_sleep).
  std::string writtenMacroAt(clang::SourceLocation loc) const {
    const clang::SourceManager& sm = pp_.getSourceManager();
    clang::SourceLocation e = sm.getExpansionLoc(loc);
    unsigned len = clang::Lexer::MeasureTokenLength(e, sm, pp_.getLangOpts());
    return std::string(sm.getCharacterData(e), len);
  }
  std::string firstArgument(const clang::MacroArgs* args) const {
    if (!args || args->getNumMacroArguments() == 0) return {};
    std::string out;
    for (const clang::Token* t = args->getUnexpArgument(0); t->isNot(clang::tok::eof); ++t)
      out += pp_.getSpelling(*t);
    return out;
  }

  clang::Preprocessor& pp_;
  const FileIndex& files_;
  PPFacts& facts_;
};

// Per function body: what it calls and which types and globals it uses.
class BodyScan : public clang::RecursiveASTVisitor<BodyScan> {
 public:
  bool VisitCallExpr(clang::CallExpr* c) {
    if (const clang::FunctionDecl* fd = c->getDirectCallee()) calls.insert(fd->getNameAsString());
    return true;
  }
  bool VisitDeclRefExpr(clang::DeclRefExpr* e) {
    if (auto* ec = llvm::dyn_cast<clang::EnumConstantDecl>(e->getDecl())) {
      if (auto* ed = llvm::dyn_cast<clang::EnumDecl>(ec->getDeclContext())) types.insert(tagName(ed));
    } else if (auto* fd = llvm::dyn_cast<clang::FunctionDecl>(e->getDecl())) {
      refs.insert(fd->getNameAsString());
    } else if (auto* vd = llvm::dyn_cast<clang::VarDecl>(e->getDecl())) {
      if (vd->hasGlobalStorage()) globals.insert(vd->getNameAsString());
    }
    return true;
  }
  bool VisitMemberExpr(clang::MemberExpr* m) {
    if (auto* f = llvm::dyn_cast<clang::FieldDecl>(m->getMemberDecl())) types.insert(tagName(f->getParent()));
    return true;
  }
  bool VisitTagTypeLoc(clang::TagTypeLoc tl) {
    types.insert(tagName(tl.getDecl()));
    return true;
  }
  static std::string tagName(const clang::TagDecl* td) {
    if (!td) return {};
    if (!td->getName().empty()) return td->getName().str();
    if (auto* tn = td->getTypedefNameForAnonDecl()) return tn->getName().str();
    if (auto* ed = llvm::dyn_cast<clang::EnumDecl>(td))
      if (ed->enumerator_begin() != ed->enumerator_end()) return "enum:" + ed->enumerator_begin()->getNameAsString();
    return {};
  }
  std::set<std::string> calls, refs, types, globals;
};

class Collector : public clang::RecursiveASTVisitor<Collector> {
 public:
  Collector(clang::ASTContext& ctx, const FileIndex& files) : ctx_(ctx), sm_(ctx.getSourceManager()), files_(files) {}
  bool shouldVisitTemplateInstantiations() const { return false; }

  bool VisitFunctionDecl(clang::FunctionDecl* fd) {
    if (!fd->doesThisDeclarationHaveABody()) return true;
    int file = files_.fileOf(fd->getLocation());
    bool inMain = files_.inMainFile(fd->getLocation());
    if (file < 0 && !inMain) return true;
    clang::Stmt* body = fd->getBody();
    // Functions a macro writes wholesale (the __se_sys_/__x64_sys_ wrappers of SYSCALL_DEFINE)
    // carry nothing the patch author wrote; the body they wrap (__do_sys_) is described.
    if (body->getBeginLoc().isMacroID()) return true;
    BodyScan scan;
    scan.TraverseDecl(fd);
    std::string name = fd->getNameAsString();
    json calls = json::array();
    for (const auto& c : scan.calls) calls.push_back(c);
    callGraph[name] = calls;
    if (file < 0) return true;

    json e{{"kind", "function"},
           {"name", name},
           {"file", file},
           {"line", files_.lineOf(fd->getBeginLoc())},
           {"endLine", files_.lineOf(fd->getEndLoc())},
           {"text", textHash(textOf(sm_, ctx_.getLangOpts(), fd->getSourceRange()))},
           {"body", textHash(textOf(sm_, ctx_.getLangOpts(), body->getSourceRange()))},
           {"signature", fd->getType().getCanonicalType().getAsString()},
           {"external", fd->getFormalLinkage() == clang::ExternalLinkage},
           {"inline", fd->isInlineSpecified()},
           {"alwaysInline", fd->hasAttr<clang::AlwaysInlineAttr>()},
           {"variadic", fd->isVariadic()},
           {"calls", calls}};
    bool notrace = fd->hasAttr<clang::NoInstrumentFunctionAttr>();
    if (auto* pfe = fd->getAttr<clang::PatchableFunctionEntryAttr>()) notrace |= pfe->getCount() == 0;
    e["notrace"] = notrace;
    if (auto* sec = fd->getAttr<clang::SectionAttr>()) e["section"] = sec->getName().str();
    json refs = json::array(), types = json::array(), globals = json::array();
    for (const auto& r : scan.refs)
      if (!scan.calls.count(r)) refs.push_back(r);
    for (const auto& t : scan.types)
      if (!t.empty()) types.push_back(t);
    for (const auto& g : scan.globals) globals.push_back(g);
    e["addressTaken"] = refs;
    e["types"] = types;
    e["globals"] = globals;
    // Parameters as the calling convention sees them: class, size and alignment in bytes.
    json params = json::array();
    for (const clang::ParmVarDecl* p : fd->parameters()) {
      clang::QualType t = p->getType().getCanonicalType();
      std::string cls = t->isRealFloatingType() ? "float"
                        : (t->isRecordType() || t->isArrayType() || t->isAnyComplexType()) ? "aggregate"
                                                                                              : "integer";
      uint64_t size = t->isIncompleteType() ? 0 : ctx_.getTypeSizeInChars(t).getQuantity();
      uint64_t align = t->isIncompleteType() ? 0 : ctx_.getTypeAlignInChars(t).getQuantity();
      params.push_back({{"class", cls}, {"size", size}, {"align", align}});
    }
    e["params"] = params;
    // Where its other declarations are (the headers through which other units call it).
    std::set<std::string> declaredIn;
    for (const clang::FunctionDecl* r : fd->redecls()) {
      if (r == fd) continue;
      clang::FileID fid = sm_.getFileID(sm_.getExpansionLoc(r->getLocation()));
      if (auto fe = sm_.getFileEntryRefForID(fid)) declaredIn.insert(fe->getFileEntry().tryGetRealPathName().str());
    }
    e["declaredIn"] = declaredIn;
    entities.push_back(std::move(e));
    return true;
  }

  bool VisitVarDecl(clang::VarDecl* vd) {
    if (!vd->hasGlobalStorage() || llvm::isa<clang::ParmVarDecl>(vd)) return true;
    if (vd->isThisDeclarationADefinition() == clang::VarDecl::DeclarationOnly) return true;
    int file = files_.fileOf(vd->getLocation());
    if (file < 0) return true;
    std::string name = vd->getNameAsString();
    if (vd->isStaticLocal())
      if (auto* fn = llvm::dyn_cast<clang::FunctionDecl>(vd->getDeclContext())) name = fn->getNameAsString() + "." + name;
    definedVars.insert(vd->getNameAsString());
    json e{{"kind", "variable"},
           {"name", name},
           {"file", file},
           {"line", files_.lineOf(vd->getBeginLoc())},
           {"endLine", files_.lineOf(vd->getEndLoc())},
           {"text", textHash(textOf(sm_, ctx_.getLangOpts(), vd->getSourceRange()))},
           {"type", vd->getType().getCanonicalType().getAsString()},
           {"init", vd->getInit() ? textHash(textOf(sm_, ctx_.getLangOpts(), vd->getInit()->getSourceRange())) : ""},
           {"external", vd->getFormalLinkage() == clang::ExternalLinkage},
           {"const", vd->getType().isConstQualified()},
           {"staticLocal", vd->isStaticLocal()}};
    if (auto* sec = vd->getAttr<clang::SectionAttr>()) e["section"] = sec->getName().str();
    entities.push_back(std::move(e));
    return true;
  }

  bool VisitRecordDecl(clang::RecordDecl* rd) {
    if (!rd->isCompleteDefinition() || rd->isInvalidDecl()) return true;
    int file = files_.fileOf(rd->getLocation());
    std::string name = BodyScan::tagName(rd);
    if (file < 0 || name.empty()) return true;
    // Layout: each member's name, type, bit-field width and offset; then size and alignment.
    std::string layout;
    const clang::ASTRecordLayout& rl = ctx_.getASTRecordLayout(rd);
    unsigned i = 0;
    for (const clang::FieldDecl* f : rd->fields()) {
      // Appended piece by piece: GCC 12 at -O3 warns (-Wrestrict, a false positive, GCC
      // PR 105651) about `"literal" + std::string` here.
      layout.append(f->getNameAsString()).append(":").append(f->getType().getCanonicalType().getAsString());
      if (f->isBitField()) layout.append(":").append(std::to_string(f->getBitWidthValue(ctx_)));
      layout.append("@").append(std::to_string(rl.getFieldOffset(i++))).append(";");
    }
    layout.append("size=").append(std::to_string(rl.getSize().getQuantity()));
    layout.append(";align=").append(std::to_string(rl.getAlignment().getQuantity()));
    entities.push_back({{"kind", rd->isUnion() ? "union" : "struct"},
                        {"name", name},
                        {"file", file},
                        {"line", files_.lineOf(rd->getBeginLoc())},
                        {"endLine", files_.lineOf(rd->getEndLoc())},
                        {"text", textHash(textOf(sm_, ctx_.getLangOpts(), rd->getSourceRange()))},
                        {"layout", layout},
                        {"size", rl.getSize().getQuantity()}});
    return true;
  }

  bool VisitEnumDecl(clang::EnumDecl* ed) {
    if (!ed->isCompleteDefinition()) return true;
    int file = files_.fileOf(ed->getLocation());
    std::string name = BodyScan::tagName(ed);
    if (file < 0 || name.empty()) return true;
    json values = json::object();
    for (const clang::EnumConstantDecl* c : ed->enumerators())
      values[c->getNameAsString()] = c->getInitVal().getSExtValue();
    entities.push_back({{"kind", "enum"},
                        {"name", name},
                        {"file", file},
                        {"line", files_.lineOf(ed->getBeginLoc())},
                        {"endLine", files_.lineOf(ed->getEndLoc())},
                        {"text", textHash(textOf(sm_, ctx_.getLangOpts(), ed->getSourceRange()))},
                        {"values", values}});
    return true;
  }

  json entities = json::array();
  json callGraph = json::object();
  std::set<std::string> definedVars;

 private:
  clang::ASTContext& ctx_;
  const clang::SourceManager& sm_;
  const FileIndex& files_;
};

class ModelAction : public clang::ASTFrontendAction {
 public:
  ModelAction(const std::vector<std::string>& interest, json& out) : interest_(interest), out_(out) {}

  bool BeginSourceFileAction(clang::CompilerInstance& ci) override {
    files_ = std::make_unique<FileIndex>(ci.getSourceManager(), interest_);
    ci.getPreprocessor().addPPCallbacks(std::make_unique<Callbacks>(ci.getPreprocessor(), *files_, facts_));
    return true;
  }

  std::unique_ptr<clang::ASTConsumer> CreateASTConsumer(clang::CompilerInstance&, llvm::StringRef) override {
    struct Consumer : clang::ASTConsumer {
      explicit Consumer(ModelAction& a) : action(a) {}
      void HandleTranslationUnit(clang::ASTContext& ctx) override { action.describe(ctx); }
      ModelAction& action;
    };
    return std::make_unique<Consumer>(*this);
  }

  void describe(clang::ASTContext& ctx) {
    if (ctx.getDiagnostics().hasErrorOccurred()) return;
    Collector c(ctx, *files_);
    c.TraverseDecl(ctx.getTranslationUnitDecl());
    json entities = std::move(c.entities);
    for (auto& m : facts_.macros) entities.push_back(m);
    // Attach line-number takers, static key uses and macro uses to the function around them.
    auto attach = [&](const std::vector<PPFacts::Use>& uses, const char* field, bool withArg) {
      for (const PPFacts::Use& u : uses) {
        for (auto& e : entities) {
          if (e["kind"] != "function" || e["file"] != u.file || u.line < e["line"].get<unsigned>() ||
              u.line > e["endLine"].get<unsigned>())
            continue;
          json use{{"macro", u.macro}, {"line", u.line}};
          if (withArg) {
            std::string key = u.arg;
            while (!key.empty() && (key[0] == '&' || key[0] == '(')) key.erase(0, 1);
            use["key"] = key;
            use["keyDefinedInUnit"] = c.definedVars.count(key) > 0;
          }
          e[field].push_back(use);
          break;
        }
      }
    };
    attach(facts_.lineUses, "lineUses", false);
    attach(facts_.keyUses, "keyUses", true);
    attach(facts_.macroUses, "macroUses", false);
    out_ = {{"entities", entities}, {"callGraph", c.callGraph}};
  }

 private:
  const std::vector<std::string>& interest_;
  json& out_;
  PPFacts facts_;
  std::unique_ptr<FileIndex> files_;
};

}  // namespace

std::vector<std::string> clangArgsFromGcc(const std::vector<std::string>& gcc) {
  std::vector<std::string> out{"clang", "--target=" + tripleFromCompiler(gcc.empty() ? "" : gcc[0])};
  for (size_t i = 1; i < gcc.size(); ++i) {
    const std::string& a = gcc[i];
    if (a == "-o" && i + 1 < gcc.size()) {
      ++i;  // a syntax-only parse writes nothing
      continue;
    }
    if (!isCodegenOnlyGccFlag(a)) out.push_back(a);
  }
  // Whatever else Clang's driver does not know is a GCC code-generation option too.
  std::vector<const char*> cargs;
  for (size_t i = 1; i < out.size(); ++i) cargs.push_back(out[i].c_str());
  unsigned missingIndex = 0, missingCount = 0;
  llvm::opt::InputArgList parsed =
      clang::driver::getDriverOptTable().ParseArgs(cargs, missingIndex, missingCount);
  std::set<std::string> unknown;
  for (const llvm::opt::Arg* a : parsed.filtered(clang::driver::options::OPT_UNKNOWN))
    unknown.insert(a->getAsString(parsed));
  std::vector<std::string> kept;
  for (auto& a : out)
    if (!unknown.count(a)) kept.push_back(a);
  // Kernel headers are written for GCC and Clang alike; diagnostics other than errors are
  // noise for this purpose.
  for (const char* extra : {"-fsyntax-only", "-Wno-everything", "-Qunused-arguments", "-ferror-limit=1", "-fno-caret-diagnostics"})
    kept.push_back(extra);
  return kept;
}

nlohmann::json buildUnitModel(const UnitModelRequest& req) {
  std::vector<std::string> args = clangArgsFromGcc(req.gccArgv);
  clang::FileSystemOptions fso;
  fso.WorkingDir = req.workingDir;
  llvm::IntrusiveRefCntPtr<llvm::vfs::FileSystem> fs = llvm::vfs::createPhysicalFileSystem();
  fs->setCurrentWorkingDirectory(req.workingDir);
  llvm::IntrusiveRefCntPtr<clang::FileManager> files(new clang::FileManager(fso, fs));
  json out;
  ErrorCollector errors;
  clang::tooling::ToolInvocation inv(args, std::make_unique<ModelAction>(req.interest, out), files.get());
  inv.setDiagnosticConsumer(&errors);
  bool ok = inv.run();
  if (!errors.first.empty()) throw std::runtime_error(errors.first);
  if (!ok || out.is_null()) throw std::runtime_error("clang could not parse the unit");
  return out;
}

}  // namespace lpb::preflight
