#include "metadata/value_type.h"

#include <gtest/gtest.h>

namespace weijian::metadata {
namespace {

struct Case {
  const char* type;
  const char* value;
  bool ok;
  const char* fragment;  // expected in the message (rejections) or the stored value
};

class ValueTypeTest : public ::testing::TestWithParam<Case> {};

TEST_P(ValueTypeTest, ValidatesAsAClerkExpects) {
  const Case& c = GetParam();
  auto r = ValidateValue(c.type, c.value);
  ASSERT_EQ(r.ok(), c.ok) << c.type << " " << c.value << " " << r.status().ToString();
  if (c.ok) {
    EXPECT_EQ(*r, c.fragment);
  } else {
    EXPECT_NE(r.status().message().find(c.fragment), std::string::npos) << r.status().message();
    EXPECT_EQ(r.status().field(), "value");
  }
}

INSTANTIATE_TEST_SUITE_P(
    Values, ValueTypeTest,
    ::testing::Values(
        Case{"INTEGER_ZERO_OR_POSITIVE", "2748", true, "2748"},
        Case{"INTEGER_ZERO_OR_POSITIVE", "0", true, "0"},
        Case{"INTEGER_ZERO_OR_POSITIVE", "-3", false, "must not be negative"},
        Case{"INTEGER_ZERO_OR_POSITIVE", "十二", false, "\"十二\" is not an integer"},
        Case{"INTEGER_ZERO_OR_POSITIVE", "12,345", false, "without thousands separators"},
        Case{"INTEGER_ZERO_OR_POSITIVE", "1 234", false, "remove the spaces"},
        Case{"INTEGER_ZERO_OR_POSITIVE", "12.5", false, "not an integer"},
        Case{"INTEGER_ZERO_OR_POSITIVE", "１２", false, "not an integer"},  // full-width digits
        Case{"INTEGER", "-7", true, "-7"},
        Case{"INTEGER", "99999999999999999999999", false, "too large"},
        Case{"INTEGER_POSITIVE", "0", false, "positive"},
        Case{"INTEGER_NEGATIVE", "5", false, "negative"}, Case{"NUMBER", "83.86", true, "83.86"},
        Case{"NUMBER", "1e3", true, "1e3"}, Case{"NUMBER", "nan", false, "not a number"},
        Case{"NUMBER", "inf", false, "not a number"}, Case{"NUMBER", ".", false, "not a number"},
        Case{"PERCENTAGE", "105.69", false, "between 0 and 100"},
        Case{"PERCENTAGE", "95.78", true, "95.78"},
        Case{"UNIT_INTERVAL", "1.5", false, "between 0 and 1"},
        Case{"BOOLEAN", "TRUE", true, "true"}, Case{"BOOLEAN", "0", true, "false"},
        Case{"BOOLEAN", "是", false, "not true or false"},
        // DHIS2's spellings (ValidationUtils.normalizeBoolean; dataValueSetBooleanTest.csv).
        Case{"BOOLEAN", "t", true, "true"}, Case{"BOOLEAN", "T", true, "true"},
        Case{"BOOLEAN", "f", true, "false"}, Case{"BOOLEAN", "F", true, "false"},
        Case{"BOOLEAN", "not true", false, "not true or false"},
        Case{"TRUE_ONLY", "t", true, "true"}, Case{"TRUE_ONLY", "True", true, "true"},
        Case{"TRUE_ONLY", "false", false, "can only be true"},
        Case{"TRUE_ONLY", "f", false, "can only be true"},
        Case{"DATE", "2024-02-29", true, "2024-02-29"},
        Case{"DATE", "2023-02-29", false, "not a calendar date"},
        Case{"DATE", "2024/07/31", false, "YYYY-MM-DD"},
        Case{"TEXT", "乌兰镇卫生院", true, "乌兰镇卫生院"}, Case{"INTEGER", "", false, "empty"}));

TEST(ValueTypeTest, KnowsDhis2TypeNames) {
  EXPECT_TRUE(IsKnownValueType("INTEGER_ZERO_OR_POSITIVE"));
  EXPECT_FALSE(IsKnownValueType("INT"));
  EXPECT_TRUE(IsKnownAggregationType("LAST_AVERAGE_ORG_UNIT"));
  EXPECT_FALSE(IsKnownAggregationType("MEDIAN"));
  EXPECT_TRUE(IsNumericValueType("PERCENTAGE"));
  EXPECT_FALSE(IsNumericValueType("TEXT"));
}

}  // namespace
}  // namespace weijian::metadata
