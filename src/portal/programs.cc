#include "portal/programs.h"

namespace weijian::portal {

const std::vector<Program>& Programs() {
  static const std::vector<Program> programs = {
      {"liangai", "两癌筛查", "IND_TC_RATE", "TC_DONE", "TC_TARGET", "人"},
      {"chanqian", "产前筛查", "IND_PS_RATE", "PS_DONE", "PS_TARGET", "人"},
      {"jiezhichang", "结直肠癌筛查", "IND_CRC_RATE", "CRC_REPORT", "CRC_TARGET", "人"},
      {"hpv", "适龄妇女HPV疫苗接种", "IND_HPV_RATE", "HPV_WOMEN", "HPV_TARGET", "人"},
      {"hunqian", "婚前孕前检查", "IND_PMC_RATE", "", "PMC_TARGET", "人"},
      {"jingshen", "严重精神障碍患者管理", "IND_SMI_RATE", "SMI_MANAGED", "SMI_REGISTERED", "人"},
      {"gaowei", "高危孕产妇管理", "IND_HRP_RATE", "HRP_MANAGED", "HRP_REG", "人"},
      {"tuoyu", "托育服务", "IND_CHILDCARE_SLOTS_PER_1000", "CHILDCARE_SLOTS", "", "个"},
  };
  return programs;
}

const Program* FindProgram(const std::string& code) {
  for (const auto& p : Programs())
    if (p.code == code) return &p;
  return nullptr;
}

nlohmann::json ProgramJson(const Program& p, const metadata::Catalog& cat) {
  const auto* ind = cat.Indicators().ByCode(p.indicator);
  if (!ind) return nullptr;
  auto element = [&](const std::string& code) -> nlohmann::json {
    if (code.empty()) return nullptr;
    const auto* de = cat.DataElements().ByCode(code);
    if (!de) return nullptr;
    return {{"id", de->uid}, {"code", de->code}, {"name", de->name}};
  };
  return {{"code", p.code},
          {"name", p.name},
          {"unit", p.unit},
          {"indicator", {{"id", ind->uid}, {"code", ind->code}, {"name", ind->name}}},
          {"done", element(p.done)},
          {"target", element(p.target)}};
}

}  // namespace weijian::portal
