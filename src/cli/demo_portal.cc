// The demo portal: a fictional but plausible site (settings, a dozen articles in the project's
// own words, dates spread over 2024) and one data release per program, generated from the demo's
// data by the analytics engine.
#include "cli/demo_portal.h"

#include "analytics/engine.h"
#include "cli/demo_columns.h"
#include "core/date.h"
#include "metadata/catalog.h"
#include "portal/programs.h"
#include "portal/site.h"
#include "reports/release.h"

namespace weijian::cli {

namespace {

struct DemoArticle {
  const char* column;
  const char* date;  // publication time, UTC+8
  const char* title;
  const char* source;
  const char* author;
  const char* body;
};

// Every name, number and telephone number below is invented for the demo.
const DemoArticle kArticles[] = {
    {"tzgg", "2024-03-04T09:00", "关于开展2024年适龄妇女“两癌”免费检查工作的通知",
     "市卫生健康委妇幼健康科", "妇幼健康科",
     "各旗区卫生健康委，委属各单位：\n\n"
     "为做好今年农村和城镇低收入适龄妇女宫颈癌、乳腺癌免费检查工作，现将有关事项通知如下。\n\n"
     "## 一、检查对象\n\n35至64岁户籍妇女，优先安排近三年未接受检查的人员。\n\n"
     "## 二、任务安排\n\n各旗区按下达的任务数组织实施，检查结果当月录入卫健数据平台，"
     "不再另行报送纸质报表。\n\n"
     "## 三、工作要求\n\n1. 乡镇卫生院负责动员和初筛，旗区妇幼保健机构负责复查。\n"
     "2. 每月5日前完成上月数据填报并标记完成。\n"
     "3. 发现异常结果要在一周内通知本人并跟踪随访。\n\n"
     "联系人：王明（演示），电话：0477-0000000（演示号码）"},
    {"tzgg", "2024-05-20T10:30", "关于公布第一批基层卫生健康数据质量抽查结果的公告",
     "市卫生健康委规划信息科", "规划信息科",
     "近期，我委对各旗区4月份上报的基层卫生健康数据进行了抽查，共抽取乡镇卫生院20家、"
     "村卫生室60个。\n\n抽查发现的主要问题是个别单位延迟填报、同一数据重复填写。"
     "请相关单位对照平台中的“问题清单”逐项整改，并于6月10日前完成。\n\n"
     "数据质量关系到每一项公开发布的统计数字，请各单位高度重视。"},
    {"tzgg", "2024-09-02T08:30", "关于做好秋冬季重点传染病防控工作的通知",
     "市卫生健康委疾病预防控制科", "疾控科",
     "秋冬季是呼吸道传染病高发季节。请各地做好以下工作：\n\n"
     "- 加强发热门诊和预检分诊管理；\n- 做好重点人群疫苗接种的宣传和组织；\n"
     "- 落实布病等人畜共患病的监测报告，确诊病例当日录入系统。\n\n"
     "各旗区每周五将工作进展报送市卫生健康委。"},
    {"gzdt", "2024-04-12T15:00", "全市基层卫生健康数据平台完成上线培训", "市卫生健康委规划信息科",
     "李华",
     "4月10日至11日，市卫生健康委分两期组织全市88个苏木乡镇卫生院的统计人员参加数据平台"
     "上线培训。\n\n培训采用“讲解+上机”的方式，学员现场完成了月报填报、标记完成和数据导入等操作。"
     "平台上线后，乡镇报表直接汇总到旗区和市级，不再需要逐级转抄电子表格。\n\n"
     "参训人员表示，新平台界面清楚，填报时能立即看到哪些数据还没有填写。"},
    {"gzdt", "2024-06-18T16:20", "鄂托克旗开展“健康义诊进牧区”活动", "鄂托克旗卫生健康委", "张强",
     "6月中旬，鄂托克旗组织旗人民医院、蒙医医院和各苏木镇卫生院的医务人员，"
     "深入牧区开展巡回义诊。\n\n义诊队为牧民群众测量血压血糖、讲解慢性病用药，"
     "并对行动不便的老人上门服务。活动期间同步开展了布病防治知识宣传。"},
    {"gzdt", "2024-08-08T11:00", "全市托育服务体系建设稳步推进", "市卫生健康委人口家庭科", "赵丽",
     "今年以来，我市多渠道增加普惠托育服务供给，新增托位主要来自社区嵌入式托育点和"
     "用人单位办托。\n\n各旗区每月在数据平台报送托育机构数和托位数，"
     "市级据此跟踪“每千人口托位数”的变化。最新数据见“数据发布”栏目。"},
    {"gzdt", "2024-10-25T14:00", "市妇幼保健院开展高危孕产妇救治演练", "市妇幼保健院", "刘芳",
     "10月24日，市妇幼保健院联合急救中心开展产后出血救治演练，检验了院内多学科协作"
     "和院前院内衔接流程。\n\n演练结束后，专家对各环节进行了点评，"
     "并对高危孕产妇专案管理提出改进意见。"},
    {"gzdt", "2024-12-06T09:40", "乌兰镇卫生院实现月报按时填报全覆盖", "鄂托克旗卫生健康委", "周敏",
     "乌兰镇卫生院今年起使用数据平台填报月报，各村卫生室的数据在每月初集中录入。\n\n"
     "卫生院统计员说：“哪些格子没填、哪些数据超出常理，平台当场就提示，"
     "月底不用再一张张核对表格了。”"},
    {"wsjkxx", "2024-07-15T10:00", "卫生健康信息（2024年第6期）", "市卫生健康委办公室", "办公室",
     "## 市级动态\n\n**全市召开上半年卫生健康重点工作推进会。** 会议通报了两癌筛查、"
     "产前筛查等民生项目的进展，对进度偏慢的地区提出具体要求。（规划信息科）\n\n"
     "## 基层动态\n\n**杭锦旗完成村卫生室达标建设评估。** 评估覆盖全旗各嘎查村卫生室，"
     "对不达标的卫生室制定了整改清单。（杭锦旗卫生健康委）\n\n"
     "## 工作简讯\n\n- 市卫生健康委组织开展健康科普进校园活动。（宣传科）\n"
     "- 全市基层医疗机构完成医疗废物处置专项检查。（医政科）"},
    {"wsjkxx", "2024-11-15T10:00", "卫生健康信息（2024年第10期）", "市卫生健康委办公室", "办公室",
     "## 市级动态\n\n**市卫生健康委部署冬季卫生健康工作。** 会议要求做好呼吸道疾病防治、"
     "冬季用氧和用电安全。（办公室）\n\n"
     "## 基层动态\n\n**准格尔旗推进家庭医生签约服务提质增效。** 重点人群签约后随访"
     "记录全部录入系统。（准格尔旗卫生健康委）\n\n"
     "## 工作简讯\n\n- 全市完成第三季度数据质量抽查。（规划信息科）\n"
     "- 市妇幼保健院开通孕产妇健康咨询热线。（市妇幼保健院）"},
};

}  // namespace

Status BuildDemoPortal(storage::Store& store) {
  WJ_RETURN_IF_ERROR(store.SaveSiteSettings({
      {"site_name", "鄂尔多斯市卫生健康委员会（演示）"},
      {"host_org", "鄂尔多斯市卫生健康委员会（演示站点）"},
      {"operator", "卫健数据平台演示组"},
      {"site_code", "0000000000（演示）"},
      {"icp", "演示ICP备00000000号"},
      {"police_record", "演示公网安备00000000000000号"},
      {"contact", "0477-0000000（演示号码）"},
      {"address", "演示地址，非真实地址"},
  }));
  portal::Articles articles(store);
  for (const auto& a : kArticles) {
    portal::ArticleInput in;
    in.column = a.column;
    in.title = a.title;
    in.body = a.body;
    in.source = a.source;
    in.author = a.author;
    in.editor = "陈静（演示）";
    WJ_ASSIGN_OR_RETURN(std::int64_t at, ParseTimestamp(a.date));
    WJ_ASSIGN_OR_RETURN(auto created, articles.Create(in, "demo", at));
    WJ_RETURN_IF_ERROR(articles.Publish(created.uid, at, "demo", at).status());
  }
  WJ_RETURN_IF_ERROR(BuildDemoColumns(store));
  // One data release per program: the city's 9 旗/区 in 2024, from the data just loaded.
  WJ_ASSIGN_OR_RETURN(auto cat, metadata::Catalog::Load(store));
  WJ_ASSIGN_OR_RETURN(auto engine, analytics::Engine::Build(store, cat));
  const auto* city = cat->OrgUnits().ByCode("1506");
  if (!city) return Status::Ok();
  WJ_ASSIGN_OR_RETURN(std::int64_t at, ParseTimestamp("2025-01-20T09:00"));
  for (const auto& p : portal::Programs()) {
    auto in = portal::BuildDataRelease(p, *engine, city->id, 2024, at);
    if (!in.ok()) continue;  // a program without data has no page
    in->editor = "陈静（演示）";
    WJ_ASSIGN_OR_RETURN(auto created, articles.Create(*in, "demo", at));
    WJ_RETURN_IF_ERROR(articles.Publish(created.uid, at, "demo", at).status());
  }
  return Status::Ok();
}

}  // namespace weijian::cli
