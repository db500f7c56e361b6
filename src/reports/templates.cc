// The three report templates shipped with weijian, in this project's own words. Text slots:
// {ou} the unit, {scope} 全市/全旗/全镇 (the unit's own area), {peer_scope} the area its rank is
// among, {period} the period with its year (2019年1-7月), {period_short} (1-7月), {year},
// {upto} (截止到7月31日), {issue}, {issuer}, {date}; any other {name} is a figure of the
// template's "figures": dx (indicator or data element code), format (count, approx, rate,
// number, completion, change_points, change_percent, rank), unit, pe ("range", the default, or
// "year" for the whole year of the range) and ou ("self", the default, "parent", or a unit code).
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
      {"type": "text", "text": "{year}年{scope}“两癌”免费检查任务数为{tc_target}，{upto}，{scope}共完成{tc_done}的免费检查，{tc_rate}，完成率{tc_rank}（{peer_scope}为{tc_rate_parent}）。"},
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
  "figures": {
    "tc_done": {"dx": "TC_DONE", "format": "count", "unit": "人"},
    "tc_rate": {"dx": "IND_TC_RATE", "format": "completion"},
    "tc_change": {"dx": "IND_TC_RATE", "format": "change_points"},
    "ps_done": {"dx": "PS_DONE", "format": "count", "unit": "人"},
    "ps_change": {"dx": "PS_DONE", "format": "change_percent"},
    "hpv_done": {"dx": "HPV_WOMEN", "format": "count", "unit": "人"},
    "hpv_rate": {"dx": "IND_HPV_RATE", "format": "rate"},
    "crc_appoint": {"dx": "CRC_APPOINT", "format": "count", "unit": "人"},
    "crc_report": {"dx": "CRC_REPORT", "format": "count", "unit": "人"},
    "crc_highrisk": {"dx": "CRC_HIGHRISK", "format": "count", "unit": "人"},
    "bru_tested": {"dx": "BRU_TESTED", "format": "count", "unit": "人"},
    "bru_change": {"dx": "BRU_TESTED", "format": "change_percent"},
    "bru_confirmed": {"dx": "BRU_CONFIRMED", "format": "count", "unit": "例"},
    "clinic_events": {"dx": "FREE_CLINIC_EVENTS", "format": "count", "unit": "场"},
    "clinic_served": {"dx": "FREE_CLINIC_SERVED", "format": "count", "unit": "人次"},
    "edu_events": {"dx": "HEALTH_EDU_EVENTS", "format": "count", "unit": "场"},
    "edu_reached": {"dx": "HEALTH_EDU_REACHED", "format": "approx", "unit": "人次"},
    "slots": {"dx": "IND_CHILDCARE_SLOTS_PER_1000", "format": "number"}
  },
  "sections": [
    {"heading": "", "blocks": [
      {"type": "text", "text": "{year}年，{ou}卫生健康系统围绕群众看病就医和健康服务需求，扎实推进各项重点工作。以下按主题盘点全年的主要数字。"}
    ]},
    {"heading": "一、妇幼健康", "blocks": [
      {"type": "list", "items": [
        "全年完成两癌筛查{tc_done}，{tc_rate}，{tc_change}。",
        "完成孕产妇产前筛查{ps_done}，{ps_change}。",
        "适龄妇女HPV疫苗接种{hpv_done}，完成率{hpv_rate}。"
      ]}
    ]},
    {"heading": "二、疾病预防控制", "blocks": [
      {"type": "list", "items": [
        "结直肠癌筛查预约{crc_appoint}，出具报告{crc_report}，发现高风险人员{crc_highrisk}。",
        "开展布病血清学检测{bru_tested}，{bru_change}；确诊病例{bru_confirmed}，全部纳入规范治疗管理。"
      ]}
    ]},
    {"heading": "三、健康促进", "blocks": [
      {"type": "list", "ordinal": true, "items": [
        "组织义诊{clinic_events}，服务群众{clinic_served}；",
        "开展健康科普活动{edu_events}，覆盖{edu_reached}；",
        "每千人口托位数达到{slots}个。"
      ]}
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
    {"heading": "市级动态", "blocks": [
      {"type": "item", "title": "召开民生项目进度调度会", "text": "会议通报了{period}两癌免费检查等项目进展：{scope}已完成{tc_done}，完成率{tc_rate}。会议要求各地对照任务倒排工期。", "source": "规划信息科"}
    ]},
    {"heading": "基层动态", "blocks": [
      {"type": "item", "title": "各地开展健康义诊进基层活动", "text": "{period}，各地组织医务人员深入嘎查村开展义诊，累计服务群众{clinic_served}。", "source": "基层卫生健康科"}
    ]},
    {"heading": "工作简讯", "blocks": [
      {"type": "item", "title": "完成基层数据质量抽查", "text": "对部分乡镇卫生院和村卫生室的月报数据进行了抽查，发现的问题已反馈整改。", "source": "规划信息科"}
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
