#include "elfgen/DwarfTypes.h"

#include <dwarf.h>
#include <libdwarf.h>

#include <algorithm>
#include <fmt/format.h>
#include <fstream>
#include <functional>
#include <optional>

#include "elfgen/ElfObject.h"

namespace lpb::elf {

namespace {

// libdwarf believes the ELF header and section headers: a section table "of" millions of
// entries, or a section of terabytes, past the end of the file makes it allocate for all
// of it. They are checked here first (a read of the headers, no more).
void checkSectionTableFits(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw InputError(path, "cannot read");
  uint64_t fileSize = uint64_t(in.tellg());
  unsigned char h[64] = {};
  in.seekg(0);
  if (!in.read(reinterpret_cast<char*>(h), sizeof h) || h[4] != 2 /*ELFCLASS64*/)
    throw InputError(path, "not a 64-bit ELF file");
  bool le = h[5] == 1;
  auto num = [&](unsigned at, unsigned size) {
    uint64_t v = 0;
    for (unsigned i = 0; i < size; ++i) v |= uint64_t(h[at + (le ? i : size - 1 - i)]) << (8 * i);
    return v;
  };
  uint64_t shoff = num(0x28, 8), shentsize = num(0x3a, 2), shnum = num(0x3c, 2);
  if (shoff == 0) return;
  if (shoff > fileSize || fileSize - shoff < 64 || shentsize != 64)
    throw InputError(path, "corrupt ELF header: the section header table does not fit in the file");
  // Section 0's sh_size is the count when there are more than 0xff00 sections (e_shnum 0),
  // and 0 otherwise; libdwarf takes it as the count either way.
  in.seekg(std::streamoff(shoff + 32));
  if (!in.read(reinterpret_cast<char*>(h), 8)) throw InputError(path, "cannot read the section header table");
  uint64_t extended = num(0, 8);
  if (shnum != 0 && extended != 0) throw InputError(path, "corrupt section header 0: a size where none belongs");
  if (shnum == 0) shnum = extended;
  if (shnum > (fileSize - shoff) / 64)
    throw InputError(path, "corrupt ELF header: the section header table does not fit in the file");
  // And every section's contents, whose sizes libdwarf allocates for as well.
  for (uint64_t i = 1; i < shnum; ++i) {
    in.seekg(std::streamoff(shoff + 64 * i));
    if (!in.read(reinterpret_cast<char*>(h), 64)) throw InputError(path, "cannot read the section header table");
    uint64_t type = num(4, 4), offset = num(0x18, 8), size = num(0x20, 8);
    if (type != 0 /*SHT_NULL*/ && type != 8 /*SHT_NOBITS*/ && (offset > fileSize || size > fileSize - offset))
      throw InputError(path, fmt::format("truncated: section {} lies past the end of the file", i));
  }
}

// One open DWARF reader; walks the top-level DIEs of every compilation unit.
class DwarfFile {
 public:
  explicit DwarfFile(const std::string& path) : path_(path) {
    checkSectionTableFits(path);
    Dwarf_Error err = nullptr;
    int rc = dwarf_init_path(path.c_str(), nullptr, 0, DW_DLC_READ, DW_GROUPNUMBER_ANY, nullptr, nullptr, &dbg_,
                             nullptr, 0, nullptr, &err);
    if (rc == DW_DLV_ERROR) {
      std::string msg = dwarf_errmsg(err);
      dwarf_dealloc_error(nullptr, err);
      dbg_ = nullptr;
      throw InputError(path, "cannot read DWARF: " + msg);
    }
    if (rc == DW_DLV_NO_ENTRY) dbg_ = nullptr;
  }
  ~DwarfFile() {
    if (dbg_) dwarf_finish(dbg_, nullptr);
  }
  DwarfFile(const DwarfFile&) = delete;
  DwarfFile& operator=(const DwarfFile&) = delete;
  bool ok() const { return dbg_ != nullptr; }

  // Calls `visit(cu)` with each compilation unit's own DIE.
  void forEachUnit(const std::function<void(Dwarf_Die)>& visit) {
    Dwarf_Unsigned hdrLen = 0, typeOff = 0, next = 0;
    Dwarf_Half version = 0, addrSize = 0, lenSize = 0, extSize = 0, cuType = 0;
    Dwarf_Off abbrev = 0;
    Dwarf_Sig8 sig;
    Dwarf_Error err = nullptr;
    while (dwarf_next_cu_header_d(dbg_, true, &hdrLen, &version, &abbrev, &addrSize, &lenSize, &extSize, &sig,
                                  &typeOff, &next, &cuType, &err) == DW_DLV_OK) {
      Dwarf_Die cu = nullptr;
      if (dwarf_siblingof_b(dbg_, nullptr, true, &cu, &err) != DW_DLV_OK) continue;
      visit(cu);
      dwarf_dealloc_die(cu);
    }
  }

  // Calls `visit(die)` for each top-level DIE of each unit until it returns false. (The
  // unit headers are walked to the end either way, so that a second walk starts afresh.)
  void forEachTopLevel(const std::function<bool(Dwarf_Die)>& visit) {
    bool more = true;
    forEachUnit([&](Dwarf_Die cu) {
      Dwarf_Error err = nullptr;
      Dwarf_Die child = nullptr;
      if (!more || dwarf_child(cu, &child, &err) != DW_DLV_OK) return;
      while (child) {
        if (more) more = visit(child);
        Dwarf_Die sib = nullptr;
        int rc = dwarf_siblingof_b(dbg_, child, true, &sib, &err);
        dwarf_dealloc_die(child);
        child = rc == DW_DLV_OK ? sib : nullptr;
      }
    });
  }

  Dwarf_Debug dbg() const { return dbg_; }

 private:
  std::string path_;
  Dwarf_Debug dbg_ = nullptr;
};

Dwarf_Half tagOf(Dwarf_Die d) {
  Dwarf_Half t = 0;
  dwarf_tag(d, &t, nullptr);
  return t;
}

std::string nameOf(Dwarf_Die d) {
  char* n = nullptr;
  if (dwarf_diename(d, &n, nullptr) != DW_DLV_OK || !n) return {};
  return n;
}

bool isDeclaration(Dwarf_Die d) {
  Dwarf_Bool has = false;
  return dwarf_hasattr(d, DW_AT_declaration, &has, nullptr) == DW_DLV_OK && has;
}

// Calls `visit(child)` for each child DIE of `d`, in order, until it returns false.
void forEachChild(Dwarf_Debug dbg, Dwarf_Die d, const std::function<bool(Dwarf_Die)>& visit) {
  Dwarf_Die c = nullptr;
  if (dwarf_child(d, &c, nullptr) != DW_DLV_OK) return;
  while (c) {
    bool more = visit(c);
    Dwarf_Die next = nullptr;
    int r = more ? dwarf_siblingof_b(dbg, c, true, &next, nullptr) : DW_DLV_NO_ENTRY;
    dwarf_dealloc_die(c);
    c = r == DW_DLV_OK ? next : nullptr;
  }
}

std::optional<uint64_t> byteSize(Dwarf_Die d) {
  Dwarf_Unsigned n = 0;
  if (dwarf_bytesize(d, &n, nullptr) != DW_DLV_OK) return std::nullopt;
  return n;
}

std::optional<int64_t> numberAttr(Dwarf_Die d, Dwarf_Half at) {
  Dwarf_Attribute a = nullptr;
  if (dwarf_attr(d, at, &a, nullptr) != DW_DLV_OK) return std::nullopt;
  std::optional<int64_t> out;
  Dwarf_Unsigned u = 0;
  Dwarf_Signed s = 0;
  Dwarf_Half form = 0;
  dwarf_whatform(a, &form, nullptr);
  if (form == DW_FORM_sdata || form == DW_FORM_implicit_const) {
    if (dwarf_formsdata(a, &s, nullptr) == DW_DLV_OK) out = s;
  } else if (dwarf_formudata(a, &u, nullptr) == DW_DLV_OK) {
    out = int64_t(u);
  } else if (dwarf_formsdata(a, &s, nullptr) == DW_DLV_OK) {
    out = s;
  }
  dwarf_dealloc_attribute(a);
  return out;
}

// A short, stable name for the type a DIE refers to (DW_AT_type), without recursing into
// aggregate members: "int", "struct list_head", "ptr", "array[4] of char"...
std::string typeName(Dwarf_Debug dbg, Dwarf_Die d, int depth = 0) {
  if (depth > 8) return "...";
  Dwarf_Attribute a = nullptr;
  if (dwarf_attr(d, DW_AT_type, &a, nullptr) != DW_DLV_OK) return "void";
  Dwarf_Off off = 0;
  Dwarf_Bool isInfo = true;
  int rc = dwarf_global_formref(a, &off, nullptr);
  dwarf_dealloc_attribute(a);
  if (rc != DW_DLV_OK) return "?";
  Dwarf_Die t = nullptr;
  if (dwarf_offdie_b(dbg, off, isInfo, &t, nullptr) != DW_DLV_OK) return "?";
  std::string out;
  switch (tagOf(t)) {
    case DW_TAG_base_type: out = nameOf(t); break;
    case DW_TAG_structure_type: out = "struct " + nameOf(t); break;
    case DW_TAG_union_type: out = "union " + nameOf(t); break;
    case DW_TAG_enumeration_type: out = "enum " + nameOf(t); break;
    case DW_TAG_typedef: out = nameOf(t); break;
    case DW_TAG_pointer_type: out = "ptr"; break;
    case DW_TAG_subroutine_type: out = "fn"; break;
    case DW_TAG_const_type: out = "const " + typeName(dbg, t, depth + 1); break;
    case DW_TAG_volatile_type: out = "volatile " + typeName(dbg, t, depth + 1); break;
    case DW_TAG_array_type: {
      std::string dims;
      forEachChild(dbg, t, [&](Dwarf_Die sub) {
        auto ub = numberAttr(sub, DW_AT_upper_bound);
        auto cnt = numberAttr(sub, DW_AT_count);
        dims += fmt::format("[{}]", cnt ? *cnt : ub ? *ub + 1 : 0);
        return true;
      });
      out = typeName(dbg, t, depth + 1) + dims;
      break;
    }
    default: out = fmt::format("tag{}", tagOf(t)); break;
  }
  dwarf_dealloc_die(t);
  return out;
}

// The DIE `d`'s DW_AT_type refers to (the caller deallocates it), or nullptr.
Dwarf_Die referencedType(Dwarf_Debug dbg, Dwarf_Die d) {
  Dwarf_Attribute a = nullptr;
  if (dwarf_attr(d, DW_AT_type, &a, nullptr) != DW_DLV_OK) return nullptr;
  Dwarf_Off off = 0;
  int rc = dwarf_global_formref(a, &off, nullptr);
  dwarf_dealloc_attribute(a);
  Dwarf_Die t = nullptr;
  if (rc != DW_DLV_OK || dwarf_offdie_b(dbg, off, true, &t, nullptr) != DW_DLV_OK) return nullptr;
  return t;
}

// "enum:FIRST" for an anonymous enum (the pre-flight checker names them the same way).
std::string anonymousEnumName(Dwarf_Debug dbg, Dwarf_Die d) {
  std::string out;
  forEachChild(dbg, d, [&](Dwarf_Die m) {
    if (tagOf(m) == DW_TAG_enumerator) out = "enum:" + nameOf(m);
    return out.empty();
  });
  return out;
}

std::string layoutOf(Dwarf_Debug dbg, Dwarf_Die d, bool isEnum) {
  std::string out = fmt::format("size={}", byteSize(d).value_or(0));
  forEachChild(dbg, d, [&](Dwarf_Die m) {
    Dwarf_Half t = tagOf(m);
    if (isEnum && t == DW_TAG_enumerator) {
      out += fmt::format(";{}={}", nameOf(m), numberAttr(m, DW_AT_const_value).value_or(0));
    } else if (!isEnum && t == DW_TAG_member) {
      auto off = numberAttr(m, DW_AT_data_member_location);
      auto bit = numberAttr(m, DW_AT_data_bit_offset);
      auto bits = numberAttr(m, DW_AT_bit_size);
      out += fmt::format(";{}@{}", nameOf(m), off ? *off * 8 : bit.value_or(0));
      if (bits) out += fmt::format("/{}", *bits);
      out += ":" + typeName(dbg, m);
    }
    return true;
  });
  return out;
}

// The type behind typedefs and qualifiers (the caller deallocates it), or nullptr.
Dwarf_Die underlyingType(Dwarf_Debug dbg, Dwarf_Die d) {
  Dwarf_Die t = referencedType(dbg, d);
  for (int depth = 0; t && depth < 16; ++depth) {
    Dwarf_Half tag = tagOf(t);
    if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type &&
        tag != DW_TAG_restrict_type && tag != DW_TAG_atomic_type)
      return t;
    Dwarf_Die next = referencedType(dbg, t);
    dwarf_dealloc_die(t);
    t = next;
  }
  return t;
}

// The alignment of a type: DW_AT_alignment when the source set one, else its scalar size,
// else the largest of its members'.
uint64_t alignmentOf(Dwarf_Debug dbg, Dwarf_Die t, int depth = 0) {
  if (auto a = numberAttr(t, DW_AT_alignment)) return uint64_t(*a);
  Dwarf_Half tag = tagOf(t);
  if (depth > 8) return 8;
  if (tag == DW_TAG_array_type || (tag != DW_TAG_structure_type && tag != DW_TAG_union_type)) {
    if (tag != DW_TAG_array_type) return std::min<uint64_t>(byteSize(t).value_or(8), 16);
    Dwarf_Die e = underlyingType(dbg, t);
    uint64_t a = e ? alignmentOf(dbg, e, depth + 1) : 1;
    if (e) dwarf_dealloc_die(e);
    return a;
  }
  uint64_t align = 1;
  forEachChild(dbg, t, [&](Dwarf_Die m) {
    if (tagOf(m) == DW_TAG_member)
      if (Dwarf_Die mt = underlyingType(dbg, m)) {
        align = std::max(align, alignmentOf(dbg, mt, depth + 1));
        dwarf_dealloc_die(mt);
      }
    return true;
  });
  return align;
}

ParameterLayout parameterLayout(Dwarf_Debug dbg, Dwarf_Die param) {
  ParameterLayout p;
  Dwarf_Die t = underlyingType(dbg, param);
  if (!t) return {ParameterLayout::Class::Integer, 8, 8};
  Dwarf_Half tag = tagOf(t);
  p.size = byteSize(t).value_or(8);
  p.align = alignmentOf(dbg, t);
  if (tag == DW_TAG_structure_type || tag == DW_TAG_union_type || tag == DW_TAG_array_type) {
    p.cls = ParameterLayout::Class::Aggregate;
  } else if (tag == DW_TAG_base_type) {
    auto enc = numberAttr(t, DW_AT_encoding);
    if (enc && (*enc == DW_ATE_float || *enc == DW_ATE_complex_float)) p.cls = ParameterLayout::Class::Float;
  }
  dwarf_dealloc_die(t);
  return p;
}

FunctionSignature signatureOf(Dwarf_Debug dbg, Dwarf_Die fn) {
  FunctionSignature s;
  forEachChild(dbg, fn, [&](Dwarf_Die c) {
    Dwarf_Half tag = tagOf(c);
    if (tag == DW_TAG_formal_parameter) s.params.push_back(parameterLayout(dbg, c));
    if (tag == DW_TAG_unspecified_parameters) s.variadic = true;
    return true;
  });
  return s;
}

}  // namespace

std::map<std::string, FunctionSignature> functionSignatures(const std::string& path,
                                                            const std::set<std::string>& names) {
  DwarfFile f(path);
  if (!f.ok()) throw InputError(path, "has no DWARF debug information");
  std::map<std::string, FunctionSignature> out;
  std::set<std::string> defined;
  f.forEachTopLevel([&](Dwarf_Die d) {
    if (tagOf(d) != DW_TAG_subprogram) return true;
    std::string name = nameOf(d);
    if (!names.count(name) || defined.count(name)) return true;
    // A definition wins over a prototype (both carry the parameters in C).
    if (!isDeclaration(d)) defined.insert(name);
    out[name] = signatureOf(f.dbg(), d);
    return true;
  });
  return out;
}

std::map<std::string, uint64_t> structSizes(const std::string& path, const std::set<std::string>& names) {
  DwarfFile f(path);
  if (!f.ok()) throw InputError(path, "has no DWARF debug information (build the kernel with CONFIG_DEBUG_INFO)");
  std::map<std::string, uint64_t> out;
  f.forEachTopLevel([&](Dwarf_Die d) {
    if (tagOf(d) == DW_TAG_structure_type && !isDeclaration(d)) {
      std::string n = nameOf(d);
      if (names.count(n) && !out.count(n))
        if (auto sz = byteSize(d)) out[n] = *sz;
    }
    return out.size() < names.size();
  });
  return out;
}

std::map<std::string, std::string> typeLayouts(const std::string& path) {
  DwarfFile f(path);
  std::map<std::string, std::string> out;
  if (!f.ok()) return out;
  auto kindOf = [](Dwarf_Half t) -> const char* {
    return t == DW_TAG_structure_type ? "struct " : t == DW_TAG_union_type ? "union "
           : t == DW_TAG_enumeration_type                                  ? "enum "
                                                                           : nullptr;
  };
  f.forEachTopLevel([&](Dwarf_Die d) {
    Dwarf_Half t = tagOf(d);
    if (t == DW_TAG_typedef) {
      // `typedef struct { ... } Node;`: the anonymous type goes by the typedef's name.
      Dwarf_Die target = referencedType(f.dbg(), d);
      if (!target) return true;
      Dwarf_Half tt = tagOf(target);
      const char* kind = kindOf(tt);
      if (kind && !isDeclaration(target) && nameOf(target).empty() && !nameOf(d).empty())
        out.emplace(kind + nameOf(d), layoutOf(f.dbg(), target, tt == DW_TAG_enumeration_type));
      dwarf_dealloc_die(target);
      return true;
    }
    const char* kind = kindOf(t);
    if (!kind || isDeclaration(d)) return true;
    std::string n = nameOf(d);
    // `enum { A, B };`: named after its first enumerator, "enum enum:A".
    if (n.empty() && t == DW_TAG_enumeration_type) n = anonymousEnumName(f.dbg(), d);
    if (n.empty()) return true;
    out.emplace(kind + n, layoutOf(f.dbg(), d, t == DW_TAG_enumeration_type));
    return true;
  });
  return out;
}

std::vector<std::string> compileUnitNames(const std::string& path) {
  DwarfFile f(path);
  if (!f.ok()) throw InputError(path, "has no DWARF debug information (a stripped image; the -dbg package has it)");
  std::vector<std::string> out;
  f.forEachUnit([&](Dwarf_Die cu) {
    char* name = nullptr;
    if (dwarf_diename(cu, &name, nullptr) == DW_DLV_OK && name) out.emplace_back(name);
  });
  return out;
}

}  // namespace lpb::elf
