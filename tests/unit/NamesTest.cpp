#include <doctest/doctest.h>

#include "differ/ObjectModel.h"

using lpb::differ::isSpecialStaticName;
using lpb::differ::stripNumbering;

TEST_CASE("compiler numbering is taken out of names") {
  CHECK(stripNumbering("foo.isra.3") == "foo.isra");
  CHECK(stripNumbering("foo.constprop.0.isra.12") == "foo.constprop.isra");
  CHECK(stripNumbering("foo.cold.27") == "foo.cold");
  CHECK(stripNumbering("counter.12") == "counter");
  CHECK(stripNumbering("__UNIQUE_ID_ddebug123.4") == "__UNIQUE_ID_ddebug");
  CHECK(stripNumbering("v4l2.x1") == "v4l2.x1");  // digits that are not a whole component stay
  CHECK(stripNumbering("plain") == "plain");
}

TEST_CASE("bookkeeping statics are recognised in GCC and Clang spellings") {
  CHECK(isSpecialStaticName("__warned.12"));
  CHECK(isSpecialStaticName("__already_done.3"));
  CHECK(isSpecialStaticName("__key.77"));
  CHECK(isSpecialStaticName("__func__.1"));
  CHECK(isSpecialStaticName("CSWTCH.5"));
  CHECK(isSpecialStaticName("my_function.__warned"));  // Clang: function.variable
  CHECK_FALSE(isSpecialStaticName("counter.3"));
  CHECK_FALSE(isSpecialStaticName("warned_count"));
}
