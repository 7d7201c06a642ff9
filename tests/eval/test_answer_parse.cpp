// parse_answer: the first number in the generated text.
#include <gtest/gtest.h>

#include "eval/answer_parse.hpp"

using socrates::parse_answer;

namespace {

struct Case {
  const char* text;
  std::optional<double> want;
};

TEST(ParseAnswer, Table) {
  const Case cases[] = {
      {"4", 4},
      {" 4\n", 4},
      {"Answer: 4", 4},
      {"-2", -2},
      {"  -2 ", -2},
      {"7<|im_end|>", 7},
      {"5.", 5},                    // sentence end, not a decimal point
      {"3.5", 3.5},                 // decimals are kept
      {"-0.25", -0.25},
      {"1,000", 1000},              // thousands separator
      {"12,345,678 people", 12345678},
      {"1,2", 1},                   // a list, not a thousands group
      {"1,0000", 1},                // four digits after the comma: not a group
      {"4-5", 4},                   // a range: the first number
      {"COVID-19", 19},             // '-' glued to a word is not a sign
      {"x -3", -3},
      {"I'd say 6 out of 7", 6},
      {"0", 0},
      {"-0", 0},
      {"007", 7},
      {"", std::nullopt},
      {"   ", std::nullopt},
      {"four", std::nullopt},
      {"N/A", std::nullopt},
      {"-", std::nullopt},
      {"<|endoftext|>", std::nullopt},
  };
  for (const Case& c : cases) {
    const std::optional<double> got = parse_answer(c.text);
    EXPECT_EQ(got.has_value(), c.want.has_value()) << "\"" << c.text << "\"";
    if (got && c.want) EXPECT_DOUBLE_EQ(*got, *c.want) << "\"" << c.text << "\"";
  }
}

TEST(ParseAnswer, NegativeZeroIsZero) {
  const auto v = parse_answer("-0");
  ASSERT_TRUE(v);
  EXPECT_FALSE(std::signbit(*v));
}

}  // namespace
