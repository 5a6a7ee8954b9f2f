// cli/yaml_docs on hostile input: the multi-document YAML that `kubectl vane lint` and `plan`
// read is split by hand (yaml-cpp 0.7's LoadAll loops forever on ","), and each document's
// expansion is bounded (aliases, nesting, size).
#include "cli/yaml_docs.h"

#include <gtest/gtest.h>

namespace vane::cli {
namespace {

TEST(YamlDocsTest, SplitsOnSeparatorLinesAndTypesScalars) {
  auto docs = splitYamlDocuments("---\na: 1\n---  # two\nb: [x, \"2\", 2.5e1, .5, true, ~]\n");
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(docs[1].first_line, 4);
  auto b = yamlToJson(docs[1].text);
  ASSERT_TRUE(b.ok()) << b.status().toString();
  EXPECT_EQ(b->dump(), R"({"b":["x","2",25.0,0.5,true,null]})");
  auto a = yamlToJson(docs[0].text);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ((*a)["a"], 1);
}

TEST(YamlDocsTest, ACommaAloneDoesNotHang) {
  // jbeder/yaml-cpp#1040: YAML::LoadAll(",") never returns in 0.7.0.
  auto docs = splitYamlDocuments(",\n---\n,");
  ASSERT_EQ(docs.size(), 2u);
  for (const auto& d : docs) (void)yamlToJson(d.text);
}

TEST(YamlDocsTest, NumbersAreRecognisedWithoutRegexRecursion) {
  // std::regex recursed once per character: a long scalar exhausted the stack.
  std::string digits(200000, '7');
  auto j = yamlToJson("n: " + digits + "\nf: -1." + digits + "e+3\nx: 1.2.3\ny: +.e5\n");
  ASSERT_TRUE(j.ok()) << j.status().toString();
  EXPECT_EQ((*j)["n"], digits) << "out of int64 range: kept as text";
  EXPECT_TRUE((*j)["f"].is_number_float());
  EXPECT_EQ((*j)["x"], "1.2.3");
  EXPECT_EQ((*j)["y"], "+.e5");
}

TEST(YamlDocsTest, AliasExpansionIsBounded) {
  std::string yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    std::string p = "*a" + std::to_string(i - 1);
    yaml += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [" + p + ", " + p + ", " + p +
            ", " + p + ", " + p + ", " + p + ", " + p + ", " + p + ", " + p + ", " + p + "]\n";
  }
  auto j = yamlToJson(yaml);  // 10^9 values once expanded
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.status().message().find("expands to more than"), std::string::npos)
      << j.status().message();
}

TEST(YamlDocsTest, NestingAndSizeAreBounded) {
  std::string deep(kMaxYamlDepth + 10, '[');
  deep += std::string(kMaxYamlDepth + 10, ']');
  // Refused, by our bound or by yaml-cpp's own depth guard, never a stack overflow.
  auto j = yamlToJson("a: " + deep);
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), Code::kBadRequest) << j.status().toString();
  auto big = yamlToJson("a: \"" + std::string(kMaxYamlDocumentBytes, 'x') + "\"");
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("larger than"), std::string::npos);
}

TEST(YamlDocsTest, InvalidUtf8IsAnErrorNotAThrowLater) {
  // Found by yaml_docs_fuzz: a scalar with 0xFF became a JSON string whose dump() threw.
  auto j = yamlToJson("a: b\xff\xff\xffy\n");
  ASSERT_FALSE(j.ok());
  EXPECT_NE(j.status().message().find("not printable UTF-8 at byte 5"), std::string::npos)
      << j.status().message();
  auto ok = yamlToJson("a: \"h\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"\n");
  ASSERT_TRUE(ok.ok()) << ok.status().toString();
  EXPECT_EQ(ok->dump(), "{\"a\":\"h\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}");
  EXPECT_FALSE(yamlToJson("a: \xc0\xaf\n").ok()) << "overlong encoding";
  EXPECT_FALSE(yamlToJson("a: \xed\xa0\x80\n").ok()) << "surrogate";
  // Found by yaml_docs_fuzz: NULs made yaml-cpp read the text as UTF-32 and emit invalid UTF-8.
  auto nul = yamlToJson(std::string(":a 2\n\0\0\0\0\0\0\0\0 - b\n", 18));
  ASSERT_FALSE(nul.ok());
  EXPECT_NE(nul.status().message().find("not printable UTF-8 at byte 6"), std::string::npos)
      << nul.status().message();
}

}  // namespace
}  // namespace vane::cli
