// The health programs the workbench dashboard and the data release pages are organised by:
// each a headline indicator (a rate or a ratio), the counts behind it, and its unit of count.
// They name demo metadata by code; a program whose indicator a catalog lacks is skipped.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "metadata/catalog.h"

namespace weijian::portal {

struct Program {
  std::string code;       // "liangai"
  std::string name;       // 两癌筛查
  std::string indicator;  // headline indicator code, e.g. IND_TC_RATE
  std::string done;       // data element counted as done (完成数), may be empty
  std::string target;     // data element of the task (任务数), may be empty
  std::string unit;       // 人, 人次, 个
};

const std::vector<Program>& Programs();
const Program* FindProgram(const std::string& code);
// {"code","name","indicator":{id,name,code},"done":{…},"target":{…},"unit"}; null when the
// catalog lacks the indicator.
nlohmann::json ProgramJson(const Program& p, const metadata::Catalog& cat);

}  // namespace weijian::portal
