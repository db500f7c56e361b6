// Demo content of the column tree: every name, telephone number, address and regulation below
// is invented for the demo and says so; the structure (what a guide lists, what a single page
// holds) is what a commission's site carries. Published at fixed dates early in 2024, so that
// 最新动态 stays led by the news.
#include "cli/demo_columns.h"

#include "core/date.h"
#include "portal/messages.h"
#include "portal/site.h"

namespace weijian::cli {

namespace {

struct Item {
  const char* column;
  const char* date;
  const char* title;
  const char* body;
};

constexpr const char* kOneStop =
    "\n\n网上办理：[内蒙古政务服务网（一网通办）](https://zwfw.nmg.gov.cn/)";

const Item kItems[] = {
    {"ldxx", "2024-01-05T09:00", "委领导（演示）",
     "**主任：** 某某某（演示人物），主持委全面工作。\n\n"
     "**副主任：** 某某（演示人物），分管医政医管、基层卫生。\n\n"
     "**副主任：** 某某（演示人物），分管疾病预防控制、妇幼健康。\n\n"
     "以上人员均为演示数据，不对应任何真实人员。"},
    {"nsjg", "2024-01-05T09:00", "内设机构（演示）",
     "- **办公室：** 负责文电、会务、信息公开和政务公开。\n"
     "- **规划信息科：** 负责卫生健康统计和信息化建设。\n"
     "- **妇幼健康科：** 负责妇幼保健和出生缺陷防治。\n"
     "- **疾病预防控制科：** 负责传染病和慢性病防控。\n\n以上机构设置为演示内容。"},
    {"zsdw", "2024-01-05T09:00", "直属单位（演示）",
     "- 市疾病预防控制中心（演示）\n- 市妇幼保健院（演示）\n- "
     "市卫生健康综合行政执法支队（演示）\n\n"
     "各单位地址和电话以单位公告为准；本页内容为演示。"},
    {"gkzn", "2024-01-08T09:00", "政府信息公开指南（演示）",
     "## 一、主动公开\n\n本委主动公开的政府信息，通过本网站“政务公开”栏目发布。\n\n"
     "## 二、依申请公开\n\n公民、法人或者其他组织可以通过信函或当面提交申请，"
     "本委自收到申请之日起20个工作日内答复。\n\n"
     "## 三、受理机构\n\n委办公室，电话：0477-0000000（演示号码）。"},
    {"gkml", "2024-01-08T09:00", "政府信息公开目录（演示）",
     "本目录按“机构职能、政策文件、规划计划、财政资金、人事信息、统计数据”分类编排，"
     "各类信息见本栏目的下级栏目和“数据发布”栏目。"},
    {"gknb", "2024-01-20T09:00", "2023年政府信息公开工作年度报告（演示）",
     "## 一、总体情况\n\n2023年，本委主动公开政府信息若干条，办理依申请公开若干件（演示）。\n\n"
     "## 二、存在的主要问题及改进情况\n\n个别栏目更新不及时，2024年将按月检查栏目更新情况。"},
    {"zcwj", "2024-02-01T09:00", "关于印发基层卫生健康数据填报规范的通知（演示）",
     "各旗区卫生健康委：\n\n现将《基层卫生健康数据填报规范（演示）》印发给你们，请遵照执行。"
     "规范明确了月报的填报时间、标记完成和更正流程。"},
    {"ghjh", "2024-02-02T09:00", "2024年卫生健康工作要点（演示）",
     "2024年，全市卫生健康工作以提升基层服务能力为重点，推进数据平台全覆盖（演示内容）。"},
    {"czzj", "2024-02-05T09:00", "2024年部门预算公开说明（演示）",
     "本委2024年部门预算已按规定公开，预算表格见附件（演示内容，无真实金额）。"},
    {"rsxx", "2024-02-06T09:00", "委属事业单位公开招聘工作人员公告（演示）",
     "根据工作需要，委属事业单位拟公开招聘工作人员若干名（演示内容，不接受报名）。"},
    {"jcdt", "2024-02-07T09:00", "杭锦旗开展村医业务轮训（演示）",
     "杭锦旗分三批组织村医到旗人民医院轮训，内容包括慢病随访和数据填报（演示内容）。"},
    {"gybw", "2024-01-03T09:00", "关于本网（演示）",
     "本网站是市卫生健康委员会的政府网站（演示），发布本委的政务公开信息、工作动态、"
     "办事指南和卫生健康统计数据，受理群众的咨询、投诉和建议。\n\n"
     "网站支持长者模式（大字、高对比、朗读）和繁体中文显示。"},
    {"lxwm", "2024-01-03T09:00", "联系我们（演示）",
     "**地址：** 某市某区某路 1 号（演示地址）\n\n"
     "**电话：** 0477-0000000（演示号码）\n\n"
     "**办公时间：** 工作日 8:30—12:00，14:30—17:30\n\n"
     "也可以在“互动交流 › 咨询投诉”给我们留言。"},
    {"zzsm", "2024-01-03T09:00", "郑重声明（演示）",
     "本网站发布的信息以正式文件为准。转载本网站原创内容请注明来源；"
     "本网站链接的其他网站，其内容由该网站负责。\n\n本页为演示内容。"},
    {"zjdc", "2024-02-09T09:00", "关于基层医疗服务满意度的问卷调查（演示）",
     "为了解群众对基层医疗服务的评价，现开展问卷调查，调查时间为一个月（演示内容）。"},
    {"ztzl", "2024-02-10T09:00", "“健康义诊进牧区”专题（演示）",
     "本专题汇集全市牧区巡回义诊的报道和图片（演示内容）。"},
    {"bszn", "2024-01-10T09:00", "医师执业注册办事指南（演示）",
     "## 办理依据\n\n《中华人民共和国医师法》及医师执业注册管理的有关规定（演示引用）。\n\n"
     "## 申请材料\n\n1. 医师执业注册申请审核表；\n2. 医师资格证书；\n3. 近6个月内的健康体检证明；\n"
     "4. 拟执业机构的聘用证明。\n\n"
     "## 办理流程\n\n网上或窗口提交申请 → 受理 → 审核 → 办结并发放电子证照。\n\n"
     "## 办理时限\n\n法定20个工作日，承诺5个工作日。\n\n"
     "## 办理地点\n\n市政务服务中心卫生健康窗口（演示地址）。\n\n"
     "## 咨询电话\n\n0477-0000001（演示号码）"},
    {"bszn", "2024-01-10T09:10", "公共场所卫生许可办事指南（演示）",
     "## 办理依据\n\n《公共场所卫生管理条例》及其实施细则（演示引用）。\n\n"
     "## 申请材料\n\n1. 卫生许可申请表；\n2. 营业执照；\n3. 卫生管理制度和从业人员健康证明。\n\n"
     "## 办理流程\n\n提交申请 → 受理 → 现场审查 → 作出决定。\n\n"
     "## 办理时限\n\n法定20个工作日，承诺7个工作日。\n\n"
     "## 办理地点\n\n市政务服务中心卫生健康窗口（演示地址）。\n\n"
     "## 咨询电话\n\n0477-0000002（演示号码）"},
    {"bszn", "2024-01-10T09:20", "出生医学证明首次签发办事指南（演示）",
     "## 办理依据\n\n《中华人民共和国母婴保健法》及出生医学证明管理的有关规定（演示引用）。\n\n"
     "## 申请材料\n\n1. 父母双方有效身份证件；\n2. 新生儿出生信息登记表。\n\n"
     "## 办理流程\n\n在助产机构提交材料 → 核对出生信息 → 当场签发。\n\n"
     "## 办理时限\n\n即时办结。\n\n"
     "## 办理地点\n\n新生儿出生的助产机构（演示）。\n\n"
     "## 咨询电话\n\n0477-0000003（演示号码）"},
};

}  // namespace

// Owners: the city commission (1506) owns the site's columns; 基层动态 gets a child column
// owned by 鄂托克旗 (150624), whose editors may change it and nothing else.
Status AssignOwners(storage::Store& store) {
  WJ_ASSIGN_OR_RETURN(auto columns, store.ListColumns());
  for (auto c : columns) {
    c.unit_code = "1506";
    WJ_RETURN_IF_ERROR(store.SaveColumn(c.code, c));
  }
  storage::ColumnRecord etk;
  etk.code = "etkq";
  etk.name = "鄂托克旗动态";
  etk.parent_code = "jcdt";
  etk.position = 1;
  etk.kind = "article_list";
  etk.description = "鄂托克旗卫生健康委编发的工作消息（演示）";
  etk.unit_code = "150624";
  return store.SaveColumn("", etk);
}

// A few messages of the board, at ages that show every state: answered and published (with
// consent), answered but private (no consent), routed to 鄂托克旗 and waiting, one past the
// warning age and one past the limit (the workbench flags both). All invented.
Status DemoMessages(storage::Store& store) {
  struct Msg {
    const char* category;
    const char* name;
    const char* subject;
    const char* body;
    bool consent;
    const char* unit;  // "" : not yet routed
    const char* reply;
    int age_days, reply_after_days;  // reply_after_days < 0: not answered
    bool published;
  };
  const Msg msgs[] = {
      {"咨询", "王某（演示）", "儿童预防接种能否电话预约",
       "孩子下个月要打疫苗，请问社区卫生服务中心能不能电话预约？", true, "1506",
       "您好！全市各接种门诊均可电话预约，也可现场登记。门诊电话见“办事服务”栏目。（演示答复）", 40,
       4, true},
      {"建议", "李某（演示）", "建议乡镇卫生院周末开放慢病取药",
       "我父亲有高血压，每月要去卫生院取药，工作日不方便陪同，建议周末也能取药。", true, "150624",
       "感谢您的建议。鄂托克旗各乡镇卫生院自下月起每周六上午开放慢病取药窗口。（演示答复）", 30, 9,
       true},
      {"投诉", "赵某（演示）", "门诊排队时间过长", "上周二在某医院门诊排队两个多小时。", false,
       "1506", "已转医院核实，医院已增加高峰时段挂号窗口，并向您电话致歉。（演示答复）", 25, 6,
       false},
      {"咨询", "刘某（演示）", "出生医学证明遗失怎么补办", "孩子的出生医学证明丢了，去哪里补办？",
       true, "150624", "", 20, -1, false},
      {"咨询", "孙某（演示）", "家庭医生签约需要带什么材料",
       "想给家里老人签约家庭医生，需要带什么？", true, "", "", 2, -1, false},
      {"建议", "周某（演示）", "希望增加牧区巡回义诊次数", "牧区离医院远，希望义诊一年多来几次。",
       true, "150624", "", 70, -1, false},
      {"投诉", "吴某（演示）", "村卫生室长期无人值守", "某村卫生室上个月多次无人，看病不方便。",
       false, "150624", "", 100, -1, false},
  };
  const std::int64_t now = NowMillis();
  const std::int64_t day = 86400LL * 1000;
  int n = 0;
  for (const auto& m : msgs) {
    storage::CitizenMessageRecord r;
    static constexpr char kAlphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    r.query_code = "DEMO00000";
    r.query_code += kAlphabet[n / 32 % 32];
    r.query_code += kAlphabet[n % 32];
    r.query_code += '2';
    ++n;
    r.category = m.category;
    r.name = m.name;
    r.phone = "0477-000000" + std::to_string(n);
    r.subject = m.subject;
    r.body = m.body;
    r.consent = m.consent;
    r.unit_code = m.unit;
    r.created = now - m.age_days * day;
    r.status = *m.unit ? "routed" : "received";
    if (m.reply_after_days >= 0) {
      r.status = "answered";
      r.reply = m.reply;
      r.replied_at = r.created + m.reply_after_days * day;
      r.replied_by = std::string_view(m.unit) == "150624" ? "鄂托克旗" : "鄂尔多斯市";
    }
    r.published = m.published;
    r.updated = r.replied_at ? r.replied_at : r.created;
    WJ_RETURN_IF_ERROR(store.SaveCitizenMessage(r).status());
  }
  return Status::Ok();
}

Status BuildDemoColumns(storage::Store& store) {
  WJ_RETURN_IF_ERROR(AssignOwners(store));
  WJ_RETURN_IF_ERROR(DemoMessages(store));
  portal::Articles articles(store);
  for (const auto& item : kItems) {
    portal::ArticleInput in;
    in.column = item.column;
    in.title = item.title;
    std::string body = item.body;
    if (std::string_view(item.column) == "bszn") body += kOneStop;
    in.body = body;
    in.source = "市卫生健康委办公室（演示）";
    in.editor = "陈静（演示）";
    WJ_ASSIGN_OR_RETURN(std::int64_t at, ParseTimestamp(item.date));
    WJ_ASSIGN_OR_RETURN(auto created, articles.Create(in, "demo", at));
    WJ_RETURN_IF_ERROR(articles.Publish(created.uid, at, "demo", at).status());
  }
  return Status::Ok();
}

}  // namespace weijian::cli
