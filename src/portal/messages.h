// 互动交流: the citizens' message board. A citizen answers a human check (a question shown as
// text, which the page can read aloud — no distorted image), writes a message and gets a query
// code; staff route it to a unit, that unit answers, and the exchange reaches the public list
// only when the writer agreed and staff published it. Invariants: nothing a citizen writes is
// public before staff publish it; a phone number never leaves the staff API; a challenge is
// checked on the server, once, before it expires; one address or device writes at most
// kPerHour messages an hour and kPerDay a day. Workload: a few messages a day, read often.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "auth/principal.h"
#include "metadata/catalog.h"
#include "storage/store.h"

namespace weijian::portal {

using storage::CitizenMessageRecord;

inline constexpr int kMessagesPerHour = 3;
inline constexpr int kMessagesPerDay = 10;
inline constexpr std::int64_t kChallengeLifeMs = 30LL * 60 * 1000;

struct Challenge {
  std::string token;
  std::string question;  // plain Chinese text, also what 朗读 speaks
};
// A new question (arithmetic with small numbers or a question of common knowledge).
Result<Challenge> NewChallenge(storage::Store& store, std::int64_t now);
// Whether `answer` (digits or Chinese numerals, spaces ignored) matches; the challenge is used
// up either way. InvalidArgument naming "answer" when wrong, expired or unknown.
Status CheckChallenge(storage::Store& store, const std::string& token, const std::string& answer,
                      std::int64_t now);

// What the citizen sends.
struct MessageInput {
  std::string category, name, phone, subject, body;
  bool consent = false;
  std::string challenge, answer;
  std::string source_addr, source_device;  // raw; hashed before they are stored
};
// Checks the fields (errors name them, in Chinese), the human check and the rate limit
// (ResourceExhausted), and stores the message. Returns it with its query code.
Result<CitizenMessageRecord> SubmitMessage(storage::Store& store, const MessageInput& in,
                                           std::int64_t now);
// The query code as the citizen may type it (spaces, dashes, lower case) in its stored form.
std::string NormalizeQueryCode(std::string_view code);
// "K7QM-2XPA-9HDT": how the code is shown.
std::string FormatQueryCode(const std::string& code);

// Staff. A message is handled by the unit it is routed to: a staff member (portal editor) sees
// and answers messages routed to units inside his capture scope; the site's dispatchers
// (superusers, editors of a unit at level 1 or 2 — the commission that hosts the site) see
// everything and route. Errors: NotFound for a message outside the caller's scope.
bool IsDispatcher(const auth::Principal& who, const metadata::Catalog& catalog);
bool MayHandle(const auth::Principal& who, const metadata::Catalog& catalog,
               const CitizenMessageRecord& m);
struct Deadlines {
  int warn_days = 60;
  int limit_days = 90;
};
Deadlines DeadlinesOf(const std::map<std::string, std::string>& settings);
// "overdue", "warning" or "" for a message not yet answered, by its age at `now`.
std::string FlagOf(const CitizenMessageRecord& m, const Deadlines& d, std::int64_t now);
// Staff's view of one message (with the phone number).
nlohmann::json StaffJson(const CitizenMessageRecord& m, const metadata::Catalog& catalog,
                         const Deadlines& d, std::int64_t now);

Result<CitizenMessageRecord> RouteMessage(storage::Store& store, const metadata::Catalog& catalog,
                                          const auth::Principal& who, std::int64_t id,
                                          const std::string& unit_code, std::int64_t now);
Result<CitizenMessageRecord> ReplyMessage(storage::Store& store, const metadata::Catalog& catalog,
                                          const auth::Principal& who, std::int64_t id,
                                          const std::string& reply, std::int64_t now);
// Publishing needs the writer's consent and a reply; `publish` false takes it off the list.
Result<CitizenMessageRecord> PublishMessage(storage::Store& store, const metadata::Catalog& catalog,
                                            const auth::Principal& who, std::int64_t id,
                                            bool publish, std::int64_t now);
// Closes a message without a reply (abuse, duplicates), with a note for the record.
Result<CitizenMessageRecord> RejectMessage(storage::Store& store, const metadata::Catalog& catalog,
                                           const auth::Principal& who, std::int64_t id,
                                           const std::string& note, std::int64_t now);

// Chinese labels.
const char* StatusLabel(const std::string& status);

}  // namespace weijian::portal
