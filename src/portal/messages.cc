// The citizens' message board: see messages.h. Random numbers (questions, query codes) come
// from libsodium, which the project already uses for uids and tokens.
#include "portal/messages.h"

#include <sodium.h>

#include <algorithm>
#include <map>

#include "core/uid.h"
#include "core/utf8.h"

namespace weijian::portal {

using nlohmann::json;

namespace {

std::uint32_t Random(std::uint32_t upper) {
  static const int kInit = sodium_init();
  (void)kInit;
  return randombytes_uniform(upper);
}

const char* const kDigits[] = {"零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"};

// Questions of common knowledge an elderly reader answers without thinking twice.
struct Known {
  const char* question;
  const char* answer;
};
const Known kKnown[] = {
    {"一个星期有几天？请填写数字。", "7"},
    {"一年有几个月？请填写数字。", "12"},
    {"一年有几个季节（春夏秋冬）？请填写数字。", "4"},
    {"人有几只手？请填写数字。", "2"},
};

std::string Trim(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(0, s.find_first_not_of(ws));
  const auto end = s.find_last_not_of(ws);
  s.erase(end == std::string::npos ? 0 : end + 1);
  return s;
}

// Digits, or Chinese numerals up to 99 (七, 十二, 二十), as a number; -1 when neither.
int ParseAnswer(std::string a) {
  std::string compact;
  for (char c : a)
    if (c != ' ' && c != '\t') compact += c;
  if (compact.empty()) return -1;
  // Full-width digits (０-９: EF BC 90-99) become ASCII.
  std::string ascii;
  for (std::size_t i = 0; i < compact.size(); ++i) {
    if (i + 2 < compact.size() && static_cast<unsigned char>(compact[i]) == 0xEF &&
        static_cast<unsigned char>(compact[i + 1]) == 0xBC &&
        static_cast<unsigned char>(compact[i + 2]) >= 0x90 &&
        static_cast<unsigned char>(compact[i + 2]) <= 0x99) {
      ascii += static_cast<char>('0' + static_cast<unsigned char>(compact[i + 2]) - 0x90);
      i += 2;
    } else {
      ascii += compact[i];
    }
  }
  if (ascii.size() <= 3 && ascii.find_first_not_of("0123456789") == std::string::npos)
    return std::stoi(ascii);
  // Chinese numerals: [a]十[b] or a single digit; 两 (兩 in 繁體) counts as 二.
  int value = 0, digit = -1;
  bool any = false;
  for (std::size_t i = 0; i < ascii.size();) {
    int d = -1;
    for (int k = 0; k <= 10; ++k) {
      const std::string_view w = kDigits[k];
      if (ascii.compare(i, w.size(), w) == 0) {
        d = k;
        i += w.size();
        break;
      }
    }
    if (d < 0 && (ascii.compare(i, 3, "两") == 0 || ascii.compare(i, 3, "兩") == 0)) {
      d = 2;
      i += 3;
    }
    if (d < 0) return -1;
    any = true;
    if (d == 10) {
      value += (digit < 0 ? 1 : digit) * 10;
      digit = -1;
    } else {
      if (digit >= 0) return -1;  // two digits in a row: not a numeral we read
      digit = d;
    }
  }
  if (!any) return -1;
  return value + (digit < 0 ? 0 : digit);
}

std::string HashOf(const std::string& raw) {
  return raw.empty() ? "" : storage::SecretHash("msg-source|" + raw);
}

Result<CitizenMessageRecord> Load(storage::Store& store, std::int64_t id) {
  storage::CitizenMessageFilter f;
  f.id = id;
  f.limit = 1;
  WJ_ASSIGN_OR_RETURN(auto list, store.ListCitizenMessages(f, nullptr));
  if (list.empty()) return NotFound("没有编号为 " + std::to_string(id) + " 的留言");
  return list.front();
}

// The message, if `who` may handle it (NotFound otherwise: its existence is not told).
Result<CitizenMessageRecord> LoadFor(storage::Store& store, const metadata::Catalog& catalog,
                                     const auth::Principal& who, std::int64_t id) {
  WJ_ASSIGN_OR_RETURN(auto m, Load(store, id));
  if (!MayHandle(who, catalog, m)) return NotFound("没有编号为 " + std::to_string(id) + " 的留言");
  return m;
}

}  // namespace

Result<Challenge> NewChallenge(storage::Store& store, std::int64_t now) {
  Challenge c;
  c.token = RandomUid() + RandomUid();
  std::string answer;
  if (Random(3) == 0) {
    const Known& k = kKnown[Random(std::size(kKnown))];
    c.question = k.question;
    answer = k.answer;
  } else {
    const int a = 1 + static_cast<int>(Random(9)), b = 1 + static_cast<int>(Random(9));
    c.question = std::string(kDigits[a]) + "加" + kDigits[b] + "等于几？请填写数字。";
    answer = std::to_string(a + b);
  }
  WJ_RETURN_IF_ERROR(store.SaveMessageChallenge(c.token, answer, now + kChallengeLifeMs));
  return c;
}

Status CheckChallenge(storage::Store& store, const std::string& token, const std::string& answer,
                      std::int64_t now) {
  if (token.empty() || token.size() > 64)
    return InvalidArgument("验证问题已失效，请回答新的问题", "answer");
  WJ_ASSIGN_OR_RETURN(auto expected, store.TakeMessageChallenge(token, now));
  if (!expected) return InvalidArgument("验证问题已过期或已使用，请回答新的问题", "answer");
  const int given = ParseAnswer(Trim(answer));
  if (given < 0 || std::to_string(given) != *expected)
    return InvalidArgument("验证问题的答案不对，请回答新的问题", "answer");
  return Status::Ok();
}

std::string NormalizeQueryCode(std::string_view code) {
  std::string out;
  for (char c : code) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) out += c;
  }
  return out.size() == 12 ? out : "";
}

std::string FormatQueryCode(const std::string& code) {
  if (code.size() != 12) return code;
  return code.substr(0, 4) + "-" + code.substr(4, 4) + "-" + code.substr(8, 4);
}

Result<CitizenMessageRecord> SubmitMessage(storage::Store& store, const MessageInput& in,
                                           std::int64_t now) {
  CitizenMessageRecord m;
  m.category = Trim(in.category);
  m.name = Trim(in.name);
  m.phone = Trim(in.phone);
  m.subject = Trim(in.subject);
  m.body = Trim(in.body);
  m.consent = in.consent;
  if (m.category != "咨询" && m.category != "投诉" && m.category != "建议")
    return InvalidArgument("请选择留言类别：咨询、投诉或建议", "category");
  if (m.name.empty()) return InvalidArgument("请填写姓名", "name");
  if (Utf8Length(m.name) > 20) return InvalidArgument("姓名不能超过 20 个字", "name");
  std::string digits;
  for (char c : m.phone)
    if (c >= '0' && c <= '9')
      digits += c;
    else if (c != '-' && c != ' ' && c != '+')
      return InvalidArgument("联系电话只能填写数字（可含 - ）", "phone");
  if (digits.size() < 7 || digits.size() > 15)
    return InvalidArgument("请填写 7 到 15 位数字的联系电话", "phone");
  if (Utf8Length(m.subject) < 2) return InvalidArgument("请填写留言标题（至少 2 个字）", "subject");
  if (Utf8Length(m.subject) > 40) return InvalidArgument("留言标题不能超过 40 个字", "subject");
  if (Utf8Length(m.body) < 5) return InvalidArgument("请写下留言内容（至少 5 个字）", "body");
  if (Utf8Length(m.body) > 2000) return InvalidArgument("留言内容不能超过 2000 个字", "body");
  for (const std::string* s : {&m.name, &m.phone, &m.subject})
    if (s->find_first_of("\r\n") != std::string::npos)
      return InvalidArgument("只能是一行文字", s == &m.name    ? "name"
                                               : s == &m.phone ? "phone"
                                                               : "subject");
  WJ_RETURN_IF_ERROR(CheckChallenge(store, in.challenge, in.answer, now));
  m.source_addr = HashOf(in.source_addr);
  m.source_device = HashOf(in.source_device);
  WJ_ASSIGN_OR_RETURN(auto hour, store.CountCitizenMessagesFrom(m.source_addr, m.source_device,
                                                                now - 3600LL * 1000));
  WJ_ASSIGN_OR_RETURN(auto day, store.CountCitizenMessagesFrom(m.source_addr, m.source_device,
                                                               now - 86400LL * 1000));
  if (hour >= kMessagesPerHour || day >= kMessagesPerDay)
    return ResourceExhausted("留言太频繁了：同一网络或设备每小时最多 " +
                             std::to_string(kMessagesPerHour) + " 条、每天最多 " +
                             std::to_string(kMessagesPerDay) +
                             " 条。请稍后再试，或拨打页面下方的联系电话。");
  // 12 characters of an alphabet without 0/O and 1/I: about 60 bits.
  static constexpr char kAlphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
  for (int i = 0; i < 12; ++i) m.query_code += kAlphabet[Random(sizeof kAlphabet - 1)];
  m.status = "received";
  m.created = m.updated = now;
  WJ_ASSIGN_OR_RETURN(m.id, store.SaveCitizenMessage(m));
  return m;
}

bool IsDispatcher(const auth::Principal& who, const metadata::Catalog& catalog) {
  if (who.IsSuperuser()) return true;
  if (!who.Has(auth::Authority::kPortalWrite)) return false;
  for (auto id : who.user.capture_org_unit_ids)
    if (const auto* u = catalog.OrgUnits().ById(id); u && u->level <= 2) return true;
  return false;
}

bool MayHandle(const auth::Principal& who, const metadata::Catalog& catalog,
               const CitizenMessageRecord& m) {
  if (IsDispatcher(who, catalog)) return true;
  if (!who.Has(auth::Authority::kPortalWrite) || m.unit_code.empty()) return false;
  const auto* u = catalog.OrgUnits().ByCode(m.unit_code);
  return u && auth::CanWrite(who, catalog, u->id);
}

Deadlines DeadlinesOf(const std::map<std::string, std::string>& settings) {
  Deadlines d;
  auto read = [&](const char* key, int& out) {
    auto it = settings.find(key);
    if (it == settings.end() || it->second.empty() || it->second.size() > 4 ||
        it->second.find_first_not_of("0123456789") != std::string::npos)
      return;
    out = std::max(1, std::stoi(it->second));
  };
  read("message_warn_days", d.warn_days);
  read("message_limit_days", d.limit_days);
  return d;
}

std::string FlagOf(const CitizenMessageRecord& m, const Deadlines& d, std::int64_t now) {
  if (m.status == "answered" || m.status == "rejected") return "";
  const std::int64_t days = (now - m.created) / (86400LL * 1000);
  if (days >= d.limit_days) return "overdue";
  if (days >= d.warn_days) return "warning";
  return "";
}

const char* StatusLabel(const std::string& status) {
  if (status == "received") return "待分办";
  if (status == "routed") return "办理中";
  if (status == "answered") return "已办结";
  if (status == "rejected") return "不予受理";
  return "未知";
}

json StaffJson(const CitizenMessageRecord& m, const metadata::Catalog& catalog, const Deadlines& d,
               std::int64_t now) {
  const auto* unit = m.unit_code.empty() ? nullptr : catalog.OrgUnits().ByCode(m.unit_code);
  const std::int64_t end = m.replied_at ? m.replied_at : now;
  return {{"id", m.id},
          {"queryCode", FormatQueryCode(m.query_code)},
          {"category", m.category},
          {"name", m.name},
          {"phone", m.phone},
          {"subject", m.subject},
          {"body", m.body},
          {"consent", m.consent},
          {"unit", m.unit_code},
          {"unitName", unit ? unit->name : ""},
          {"status", m.status},
          {"statusLabel", StatusLabel(m.status)},
          {"reply", m.reply},
          {"repliedBy", m.replied_by},
          {"repliedAt", m.replied_at},
          {"published", m.published},
          {"note", m.note},
          {"created", m.created},
          {"days", (end - m.created) / (86400LL * 1000)},
          {"flag", FlagOf(m, d, now)}};
}

Result<CitizenMessageRecord> RouteMessage(storage::Store& store, const metadata::Catalog& catalog,
                                          const auth::Principal& who, std::int64_t id,
                                          const std::string& unit_code, std::int64_t now) {
  WJ_ASSIGN_OR_RETURN(auto m, LoadFor(store, catalog, who, id));
  const auto* unit = catalog.OrgUnits().ByCode(unit_code);
  if (!unit) return InvalidArgument("承办单位“" + unit_code + "”不存在", "unit");
  // A unit may pass a message down inside its scope; dispatchers send it anywhere.
  if (!IsDispatcher(who, catalog) && !auth::CanWrite(who, catalog, unit->id))
    return Status(StatusCode::kPermissionDenied, "只能转给本单位或下级单位办理", "unit");
  if (m.status == "answered" || m.status == "rejected")
    return Conflict("这条留言已经办结，不能再转办");
  m.unit_code = unit_code;
  m.status = "routed";
  m.updated = now;
  WJ_RETURN_IF_ERROR(store.SaveCitizenMessage(m).status());
  return m;
}

Result<CitizenMessageRecord> ReplyMessage(storage::Store& store, const metadata::Catalog& catalog,
                                          const auth::Principal& who, std::int64_t id,
                                          const std::string& reply, std::int64_t now) {
  WJ_ASSIGN_OR_RETURN(auto m, LoadFor(store, catalog, who, id));
  const std::string text = Trim(reply);
  if (Utf8Length(text) < 5) return InvalidArgument("请填写答复内容（至少 5 个字）", "reply");
  if (Utf8Length(text) > 3000) return InvalidArgument("答复不能超过 3000 个字", "reply");
  if (m.status == "rejected") return Conflict("这条留言已不予受理，不能答复");
  if (m.unit_code.empty()) return Conflict("请先把留言转给承办单位，再由承办单位答复");
  m.reply = text;
  const auto* unit = catalog.OrgUnits().ByCode(m.unit_code);
  m.replied_by = unit ? unit->name : m.unit_code;  // the answering body, never a login name
  if (m.status != "answered") m.replied_at = now;
  m.status = "answered";
  m.updated = now;
  WJ_RETURN_IF_ERROR(store.SaveCitizenMessage(m).status());
  return m;
}

Result<CitizenMessageRecord> PublishMessage(storage::Store& store, const metadata::Catalog& catalog,
                                            const auth::Principal& who, std::int64_t id,
                                            bool publish, std::int64_t now) {
  WJ_ASSIGN_OR_RETURN(auto m, LoadFor(store, catalog, who, id));
  if (publish) {
    if (!m.consent) return Conflict("留言人没有同意公开，这条留言只能答复本人，不能公开");
    if (m.status != "answered") return Conflict("留言还没有答复，答复后才能公开");
  }
  m.published = publish;
  m.updated = now;
  WJ_RETURN_IF_ERROR(store.SaveCitizenMessage(m).status());
  return m;
}

Result<CitizenMessageRecord> RejectMessage(storage::Store& store, const metadata::Catalog& catalog,
                                           const auth::Principal& who, std::int64_t id,
                                           const std::string& note, std::int64_t now) {
  WJ_ASSIGN_OR_RETURN(auto m, LoadFor(store, catalog, who, id));
  const std::string text = Trim(note);
  if (text.empty()) return InvalidArgument("请写明不予受理的原因", "note");
  if (m.status == "answered") return Conflict("这条留言已经办结");
  m.status = "rejected";
  m.note = text;
  m.published = false;
  m.updated = now;
  WJ_RETURN_IF_ERROR(store.SaveCitizenMessage(m).status());
  return m;
}

}  // namespace weijian::portal
