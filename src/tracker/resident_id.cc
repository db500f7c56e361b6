#include "tracker/resident_id.h"

#include <algorithm>
#include <chrono>
#include <iterator>
#include <utility>

#include "core/digits.h"

namespace weijian::tracker {

namespace {

constexpr int kWeights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
constexpr char kCheck[11] = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};

int Digits(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

Status Bad(std::string message) { return InvalidArgument(std::move(message), "idNumber"); }

}  // namespace

char ResidentIdCheckCharacter(std::string_view first17) {
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (first17[i] - '0') * kWeights[i];
  return kCheck[sum % 11];
}

Result<ResidentId> ParseResidentId(std::string_view text, Date today) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  std::string number(text);
  if (number.size() == 15) {
    if (!IsAsciiDigits(number)) return Bad("身份证号只能由数字组成（15 位旧号码）");
    number.insert(6, "19");  // the old numbers' years are 19xx
    number.push_back(ResidentIdCheckCharacter(number));
  } else if (number.size() == 18) {
    if (number[17] == 'x') number[17] = 'X';
    if (!IsAsciiDigits(std::string_view(number).substr(0, 17)) ||
        !(IsAsciiDigits(std::string_view(number).substr(17)) || number[17] == 'X')) {
      return Bad("身份证号前 17 位必须是数字，最后一位是数字或 X");
    }
  } else {
    return Bad("身份证号应为 18 位（或 15 位旧号码），这里是 " + std::to_string(number.size()) +
               " 位");
  }

  // The address code (GB/T 2260) begins with a province-level division: 11-15, 21-23, 31-37,
  // 41-46, 50-54, 61-65, 71 (台湾), 81-82 (香港, 澳门), and 83 (the 港澳台居民居住证's).
  static constexpr int kProvinces[] = {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34,
                                       35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
                                       53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83};
  const int province = Digits(std::string_view(number).substr(0, 2));
  if (std::find(std::begin(kProvinces), std::end(kProvinces), province) == std::end(kProvinces))
    return Bad("身份证号前 6 位是地址码，" + number.substr(0, 2) + " 不是省级行政区划代码");

  const std::string digits8 = number.substr(6, 8);
  const int y = Digits(std::string_view(digits8).substr(0, 4));
  const int m = Digits(std::string_view(digits8).substr(4, 2));
  const int d = Digits(std::string_view(digits8).substr(6, 2));
  using namespace std::chrono;
  const year_month_day ymd{year(y), month(static_cast<unsigned>(m)), day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return Bad("身份证号中的出生日期 " + digits8 + " 不是真实的日期");
  const Date birth(ymd);
  if (y < 1900) return Bad("身份证号中的出生日期 " + digits8 + " 早于 1900 年");
  if (birth > today) return Bad("身份证号中的出生日期 " + digits8 + " 晚于今天");

  const char expected = ResidentIdCheckCharacter(number);
  if (number[17] != expected) {
    // Appended in place: GCC 12 at -O1 (the TSan build) warns falsely about the chain of
    // temporary strings that operator+ builds here (-Warray-bounds, GCC bug 105651).
    std::string message = "身份证号校验位不对：按前 17 位应为 ";
    message += expected;
    message += "，这里是 ";
    message += number[17];
    message += "，请核对号码";
    return Bad(std::move(message));
  }

  ResidentId id;
  id.region = number.substr(0, 6);
  id.birth_date = birth;
  id.sex = ((number[16] - '0') % 2 == 1) ? Sex::kMale : Sex::kFemale;
  id.number = std::move(number);
  return id;
}

}  // namespace weijian::tracker
