// The pre-flight unit model's reader (preflight/Model.cpp): what the rules may rely on.
#include <doctest/doctest.h>

#include <string>

#include "elfgen/ElfObject.h"
#include "preflight/Model.h"

using lpb::preflight::readModel;

namespace {

const char* kFunction =
    R"m({"kind":"function","name":"f","file":0,"line":3,"endLine":5,"text":"a","body":"b","signature":"int (void)",)m"
    R"("external":true,"inline":false,"alwaysInline":false,"variadic":false,"notrace":false,"calls":[],)"
    R"("addressTaken":[],"types":[],"globals":[],"params":[{"class":"integer","size":4,"align":4}],"declaredIn":[]})";

std::string model(const std::string& entity) { return R"({"entities":[)" + entity + R"(],"callGraph":{"f":["g"]}})"; }

std::string problemOf(const std::string& text, size_t files = 1) {
  try {
    readModel(text, "fs/x.c (patched parse)", files);
  } catch (const lpb::elf::InputError& e) {
    return e.what();
  }
  return "";
}

std::string replaced(std::string s, const std::string& from, const std::string& to) {
  s.replace(s.find(from), from.size(), to);
  return s;
}

}  // namespace

TEST_CASE("a model as the helper writes it reads") {
  CHECK(problemOf(model(kFunction)) == "");
  CHECK(problemOf(model(R"({"kind":"macro","name":"M","file":0,"line":1,"endLine":1,"text":"x"})")) == "");
}

TEST_CASE("a model that does not fit the schema is named, field and all") {
  CHECK(problemOf("{\"entities\": [") == "fs/x.c (patched parse): the unit model is not JSON");
  CHECK(problemOf("[]") == "fs/x.c (patched parse): the unit model does not fit its schema: not an object");
  CHECK(problemOf(R"({"entities":[]})") ==
        "fs/x.c (patched parse): the unit model does not fit its schema: no \"callGraph\" object");
  CHECK(problemOf(model(replaced(kFunction, "\"line\":3", "\"line\":\"3\""))) ==
        "fs/x.c (patched parse): the unit model does not fit its schema: entities[0].line: not an unsigned integer");
  CHECK(problemOf(model(replaced(kFunction, "\"line\":3", "\"line\":-3"))).find("entities[0].line") != std::string::npos);
  CHECK(problemOf(model(replaced(kFunction, "\"file\":0", "\"file\":1"))) ==
        "fs/x.c (patched parse): the unit model does not fit its schema: entities[0].file: 1 is not one of the 1 "
        "touched files");
  CHECK(problemOf(model(replaced(kFunction, "\"size\":4", "\"size\":true"))) ==
        "fs/x.c (patched parse): the unit model does not fit its schema: entities[0].params[0].size: not an unsigned "
        "integer");
  CHECK(problemOf(model(replaced(kFunction, "\"calls\":[]", "\"calls\":[1]"))).find("entities[0].calls: not an array of "
                                                                                  "strings") != std::string::npos);
  CHECK(problemOf(model(replaced(kFunction, "\"body\":\"b\",", ""))).find("entities[0]: no \"body\"") !=
        std::string::npos);
  CHECK(problemOf(model(replaced(kFunction, "function", "functor"))).find("\"functor\" is no kind of entity") !=
        std::string::npos);
  CHECK(problemOf(R"({"entities":[],"callGraph":{"f":"g"}})").find("callGraph.f: not an array of strings") !=
        std::string::npos);
  CHECK(problemOf(model(R"({"kind":"enum","name":"e","file":0,"line":1,"endLine":2,"text":"x","values":{"A":1.5}})"))
            .find("entities[0].values.A: not an integer") != std::string::npos);
}
