// The three report templates shipped with weijian, in this project's own words. Text slots:
// {ou} the unit, {scope} 全市/全旗/全镇 (the unit's own area), {peer_scope} the area its rank is
// among, {period} the period with its year (2019年1-7月), {period_short} (1-7月), {year},
// {upto} (截止到7月31日), {issue}, {issuer}, {date}; any other {name} is a figure of the
// template's "figures": dx (indicator or data element code), format (count, approx, rate,
// number, completion, change_points, change_percent, rank), unit, pe ("range", the default, or
// "year" for the whole year of the range) and ou ("self", the default, "parent", or a unit code).
// A rank figure reads "，在全市9个旗区中居首位" (with its comma), or nothing when the unit has
// fewer than two peers with data. "numbered_sections": headings get 一、二、… in order; a text
// block with "numbered": true gets （一）（二）… within its section and is left out, with the
// numbers closing up, when none of its figures has data in the period (a program with no data); a
// section left with no blocks is left out. The bulletin prints only content that exists: articles
// of 工作动态 in the period and events the editor entered ("entries" blocks), and figures.
#include "reports/report.h"

namespace weijian::reports {

namespace {

constexpr const char* kProgress = R"json({
  "name": "progress",
  "title": "{ou}{period}卫生健康民生项目工作进展汇报",
  "figures": {
    "tc_target": {"dx": "TC_TARGET", "format": "count", "unit": "人", "pe": "year"},
    "tc_done": {"dx": "TC_DONE", "format": "count", "unit": "人"},
    "tc_rate": {"dx": "IND_TC_RATE", "format": "completion"},
    "tc_rank": {"dx": "IND_TC_RATE", "format": "rank"},
    "tc_rate_parent": {"dx": "IND_TC_RATE", "format": "rate", "ou": "parent"},
    "ps_target": {"dx": "PS_TARGET", "format": "count", "unit": "人", "pe": "year"},
    "ps_done": {"dx": "PS_DONE", "format": "count", "unit": "人"},
    "ps_rate": {"dx": "IND_PS_RATE", "format": "completion"},
    "ps_abnormal": {"dx": "PS_ABNORMAL", "format": "count", "unit": "人"},
    "ps_intervened": {"dx": "PS_INTERVENED", "format": "count", "unit": "人"},
    "ps_intervention": {"dx": "IND_PS_INTERVENTION", "format": "rate"},
    "crc_done": {"dx": "CRC_REPORT", "format": "count", "unit": "人"},
    "crc_rate": {"dx": "IND_CRC_RATE", "format": "completion"}
  },
  "sections": [
    {"heading": "", "blocks": [
      {"type": "text", "text": "今年以来，{ou}卫生健康系统把民生项目作为年度重点工作，按月调度、逐项推进。现将{period}主要项目的进展情况汇报如下。"}
    ]},
    {"heading": "一、主要项目完成情况", "blocks": [
      {"type": "table", "caption": "{ou}{period}民生项目进展", "rows": [
        {"label": "两癌免费检查", "target": "TC_TARGET", "done": "TC_DONE", "rate": "IND_TC_RATE", "unit": "人"},
        {"label": "孕产妇产前筛查", "target": "PS_TARGET", "done": "PS_DONE", "rate": "IND_PS_RATE", "unit": "人"},
        {"label": "结直肠癌筛查", "target": "CRC_TARGET", "done": "CRC_REPORT", "rate": "IND_CRC_RATE", "unit": "人"},
        {"label": "适龄妇女HPV疫苗接种", "target": "HPV_TARGET", "done": "HPV_WOMEN", "rate": "IND_HPV_RATE", "unit": "人"}
      ]}
    ]},
    {"heading": "二、适龄妇女“两癌”免费检查", "blocks": [
      {"type": "text", "text": "{year}年{scope}“两癌”免费检查任务数为{tc_target}，{upto}，{scope}共完成{tc_done}的免费检查，{tc_rate}{tc_rank}（{peer_scope}为{tc_rate_parent}）。"},
      {"type": "text", "text": "各地将检查进度纳入月度调度，对进度偏慢的乡镇逐一督导，异常结果一周内通知本人并跟踪随访。"}
    ]},
    {"heading": "三、孕产妇免费产前筛查", "blocks": [
      {"type": "text", "text": "{year}年{scope}产前筛查任务数为{ps_target}，{upto}，共完成筛查{ps_done}，{ps_rate}。筛查出高风险孕妇{ps_abnormal}，已干预{ps_intervened}，干预率为{ps_intervention}。"}
    ]},
    {"heading": "四、结直肠癌筛查", "blocks": [
      {"type": "text", "text": "{period}{scope}结直肠癌筛查出具报告{crc_done}，{crc_rate}。"}
    ]},
    {"heading": "五、下一步工作", "blocks": [
      {"type": "text", "text": "一是对照年度任务倒排进度，确保按期完成；二是加强数据质量核查，做到按月填报、应报尽报；三是做好筛查异常人员的随访管理。"}
    ]}
  ]
})json";

constexpr const char* kAnnual = R"json({
  "name": "annual",
  "title": "{ou}{year}年卫生健康工作年度盘点",
  "numbered_sections": true,
  "figures": {
    "tc_done": {"dx": "TC_DONE", "format": "count", "unit": "人"},
    "tc_rate": {"dx": "IND_TC_RATE", "format": "completion"},
    "tc_change": {"dx": "IND_TC_RATE", "format": "change_points"},
    "ps_done": {"dx": "PS_DONE", "format": "count", "unit": "人"},
    "ps_change": {"dx": "PS_DONE", "format": "change_percent"},
    "ps_abnormal": {"dx": "PS_ABNORMAL", "format": "count", "unit": "人"},
    "ps_intervention": {"dx": "IND_PS_INTERVENTION", "format": "rate"},
    "hpv_done": {"dx": "HPV_WOMEN", "format": "count", "unit": "人"},
    "hpv_rate": {"dx": "IND_HPV_RATE", "format": "rate"},
    "hpv_teen": {"dx": "HPV_DOSES", "format": "count", "unit": "剂次"},
    "hrp_reg": {"dx": "HRP_REG", "format": "count", "unit": "人"},
    "hrp_rate": {"dx": "IND_HRP_RATE", "format": "rate"},
    "pnv_visited": {"dx": "PNV_VISITED", "format": "count", "unit": "人"},
    "pnv_rate": {"dx": "IND_PNV_RATE", "format": "rate"},
    "pmc_premarital": {"dx": "PMC_PREMARITAL", "format": "count", "unit": "人"},
    "pmc_preconception": {"dx": "PMC_PRECONCEPTION", "format": "count", "unit": "人"},
    "pmc_rate": {"dx": "IND_PMC_RATE", "format": "completion"},
    "crc_appoint": {"dx": "CRC_APPOINT", "format": "count", "unit": "人"},
    "crc_report": {"dx": "CRC_REPORT", "format": "count", "unit": "人"},
    "crc_highrisk": {"dx": "CRC_HIGHRISK", "format": "count", "unit": "人"},
    "bru_tested": {"dx": "BRU_TESTED", "format": "count", "unit": "人"},
    "bru_change": {"dx": "BRU_TESTED", "format": "change_percent"},
    "bru_confirmed": {"dx": "BRU_CONFIRMED", "format": "count", "unit": "例"},
    "bru_treat": {"dx": "IND_BRU_TREAT_RATE", "format": "rate"},
    "epi_doses": {"dx": "EPI_DOSES", "format": "approx", "unit": "剂次"},
    "smi_registered": {"dx": "SMI_REGISTERED", "format": "count", "unit": "人"},
    "smi_rate": {"dx": "IND_SMI_RATE", "format": "rate"},
    "vc_visits": {"dx": "VC_VISITS", "format": "approx", "unit": "人次"},
    "vc_rate": {"dx": "IND_VC_STANDARD_RATE", "format": "rate"},
    "clinic_events": {"dx": "FREE_CLINIC_EVENTS", "format": "count", "unit": "场"},
    "clinic_served": {"dx": "FREE_CLINIC_SERVED", "format": "count", "unit": "人次"},
    "edu_events": {"dx": "HEALTH_EDU_EVENTS", "format": "count", "unit": "场"},
    "edu_reached": {"dx": "HEALTH_EDU_REACHED", "format": "approx", "unit": "人次"},
    "cc_institutions": {"dx": "CHILDCARE_INSTITUTIONS", "format": "count", "unit": "家"},
    "cc_slots": {"dx": "CHILDCARE_SLOTS", "format": "count", "unit": "个"},
    "slots": {"dx": "IND_CHILDCARE_SLOTS_PER_1000", "format": "number"}
  },
  "sections": [
    {"heading": "", "blocks": [
      {"type": "text", "text": "{year}年，{ou}卫生健康系统围绕群众看病就医和健康服务需求，扎实推进各项重点工作。以下按主题盘点全年有数据的各项工作。"}
    ]},
    {"heading": "妇幼健康", "blocks": [
      {"type": "text", "numbered": true, "text": "两癌筛查。全年完成两癌筛查{tc_done}，{tc_rate}，{tc_change}。"},
      {"type": "text", "numbered": true, "text": "产前筛查。完成孕产妇产前筛查{ps_done}，{ps_change}；筛查出高风险孕妇{ps_abnormal}，干预率为{ps_intervention}。"},
      {"type": "text", "numbered": true, "text": "HPV疫苗接种。适龄妇女HPV疫苗接种{hpv_done}，完成率{hpv_rate}；13-18岁女生接种{hpv_teen}。"},
      {"type": "text", "numbered": true, "text": "高危孕产妇管理。登记高危孕产妇{hrp_reg}，规范管理率为{hrp_rate}。"},
      {"type": "text", "numbered": true, "text": "产后访视。完成产后访视{pnv_visited}，访视率为{pnv_rate}。"},
      {"type": "text", "numbered": true, "text": "婚前孕前检查。完成婚前医学检查{pmc_premarital}、孕前优生健康检查{pmc_preconception}，{pmc_rate}。"}
    ]},
    {"heading": "疾病预防控制", "blocks": [
      {"type": "text", "numbered": true, "text": "结直肠癌筛查。预约{crc_appoint}，出具报告{crc_report}，发现高风险人员{crc_highrisk}。"},
      {"type": "text", "numbered": true, "text": "布病防治。开展布病血清学检测{bru_tested}，{bru_change}；确诊病例{bru_confirmed}，规范治疗率为{bru_treat}。"},
      {"type": "text", "numbered": true, "text": "免疫规划。全年接种免疫规划疫苗{epi_doses}。"},
      {"type": "text", "numbered": true, "text": "严重精神障碍患者管理。在册患者{smi_registered}，规范管理率为{smi_rate}。"}
    ]},
    {"heading": "基层卫生", "blocks": [
      {"type": "text", "numbered": true, "text": "村卫生室服务。村卫生室全年诊疗{vc_visits}，达标率为{vc_rate}。"},
      {"type": "text", "numbered": true, "text": "义诊进基层。组织义诊{clinic_events}，服务群众{clinic_served}。"}
    ]},
    {"heading": "健康促进", "blocks": [
      {"type": "text", "numbered": true, "text": "健康科普。开展健康科普活动{edu_events}，覆盖{edu_reached}。"}
    ]},
    {"heading": "托育服务", "blocks": [
      {"type": "text", "numbered": true, "text": "托育服务供给。现有托育机构{cc_institutions}，托位{cc_slots}，每千人口托位数为{slots}个。"}
    ]}
  ]
})json";

constexpr const char* kBulletin = R"json({
  "name": "bulletin",
  "title": "卫生健康信息",
  "masthead": true,
  "figures": {
    "tc_done": {"dx": "TC_DONE", "format": "count", "unit": "人"},
    "tc_rate": {"dx": "IND_TC_RATE", "format": "rate"},
    "clinic_served": {"dx": "FREE_CLINIC_SERVED", "format": "approx", "unit": "人次"}
  },
  "sections": [
    {"heading": "工作动态", "blocks": [
      {"type": "entries", "from": "article"}
    ]},
    {"heading": "数据速览", "blocks": [
      {"type": "item", "title": "民生项目进度", "text": "{period}，{scope}完成两癌免费检查{tc_done}，完成率{tc_rate}；各地义诊服务群众{clinic_served}。", "source": "统计直报数据"}
    ]},
    {"heading": "工作简讯", "blocks": [
      {"type": "entries", "from": "event"}
    ]}
  ]
})json";

}  // namespace

const std::vector<std::string>& BuiltInTemplateNames() {
  static const std::vector<std::string> names = {"progress", "annual", "bulletin"};
  return names;
}

Result<nlohmann::json> BuiltInTemplate(const std::string& name) {
  const char* text = name == "progress"   ? kProgress
                     : name == "annual"   ? kAnnual
                     : name == "bulletin" ? kBulletin
                                          : nullptr;
  if (!text)
    return NotFound("no report template \"" + name + "\" (progress, annual, bulletin)", "template");
  return nlohmann::json::parse(text);
}

}  // namespace weijian::reports
