#include "auth/auth_service.h"

#include <sodium.h>

#include <algorithm>

#include "auth/password.h"
#include "core/uid.h"

namespace weijian::auth {

namespace {
std::string Trim(std::string s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.erase(0, 1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  return s;
}

bool IsHex(const std::string& s, std::size_t len) {
  return s.size() == len && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isxdigit(static_cast<unsigned char>(c));
         });
}

// The value of one cookie in a Cookie header; "" when absent; error when the header is garbled.
Result<std::string> CookieValue(const std::string& header, const std::string& name) {
  std::string out;
  std::size_t pos = 0;
  while (pos < header.size()) {
    auto semi = header.find(';', pos);
    std::string part =
        Trim(header.substr(pos, semi == std::string::npos ? std::string::npos : semi - pos));
    pos = semi == std::string::npos ? header.size() : semi + 1;
    if (part.empty()) continue;
    auto eq = part.find('=');
    if (eq == std::string::npos) continue;  // other software's odd cookies are not ours to judge
    if (part.substr(0, eq) == name) out = part.substr(eq + 1);
  }
  return out;
}
}  // namespace

std::string RandomSecret() {
  if (sodium_init() < 0) return {};
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char hex[65];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return hex;
}

Status CheckUsername(const std::string& name) {
  if (name.size() < 2 || name.size() > 64)
    return InvalidArgument("a user name is 2 to 64 characters long", "username");
  for (std::size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    bool ok = std::isalnum(c) || (i > 0 && (c == '.' || c == '_' || c == '-'));
    if (c >= 0x80 || !ok)
      return InvalidArgument(
          "a user name may hold only ASCII letters, digits, '.', '_' and '-' "
          "(look-alike letters from other scripts are refused)",
          "username");
  }
  return Status::Ok();
}

Status LoginThrottle::Check(const std::string& key, std::int64_t now) const {
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return Status::Ok();
  const Entry& e = it->second;
  if (e.locked_until > now)
    return ResourceExhausted("too many failed sign-ins: locked for " +
                             std::to_string((e.locked_until - now + 59999) / 60000) +
                             " more minutes");
  if (e.next_allowed > now)
    return ResourceExhausted("wait " + std::to_string((e.next_allowed - now + 999) / 1000) +
                             " s before trying again");
  return Status::Ok();
}

bool LoginThrottle::Failure(const std::string& key, std::int64_t now) {
  std::lock_guard lock(mu_);
  Entry& e = entries_[key];
  std::erase_if(e.failures, [&](std::int64_t t) { return t < now - kWindowMillis; });
  e.failures.push_back(now);
  const int n = static_cast<int>(e.failures.size());
  if (n >= kLockAfter) {
    e.locked_until = now + kLockMillis;
    e.failures.clear();
    return true;
  }
  e.next_allowed = now + (1000LL << (n - 1));
  return false;
}

void LoginThrottle::Success(const std::string& key) {
  std::lock_guard lock(mu_);
  entries_.erase(key);
}

AuthService::AuthService(storage::Store& store, Clock clock)
    : store_(store), clock_(std::move(clock)) {
  randombytes_buf(basic_key_, sizeof basic_key_);
}

std::string AuthService::BasicKey(const std::string& username, const std::string& password,
                                  const std::string& stored_hash) const {
  std::string material = username + '\0' + password + '\0' + stored_hash;
  unsigned char out[32];
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(material.data()),
                     material.size(), basic_key_, sizeof basic_key_);
  sodium_memzero(material.data(), material.size());
  return std::string(reinterpret_cast<const char*>(out), sizeof out);
}

bool AuthService::BasicRemembered(const std::string& key, std::int64_t now) {
  std::lock_guard lock(basic_mu_);
  auto it = basic_checked_.find(key);
  if (it == basic_checked_.end()) return false;
  if (it->second < now) {
    basic_checked_.erase(it);
    return false;
  }
  return true;
}

void AuthService::RememberBasic(const std::string& key, std::int64_t now) {
  std::lock_guard lock(basic_mu_);
  if (basic_checked_.size() >= 10'000) basic_checked_.clear();  // bounded
  basic_checked_[key] = now + kBasicTtlMillis;
}

Status AuthService::Audit(const std::string& type, const std::string& username,
                          std::optional<std::int64_t> org_unit_id, const std::string& object,
                          const std::string& detail, const std::string& address) {
  storage::AuditRecord r;
  r.type = type;
  r.username = username;
  r.org_unit_id = org_unit_id;
  r.object = object;
  r.detail = detail;
  r.address = address;
  r.created = Now();
  return store_.AppendAudit(r);
}

Result<Principal> AuthService::CheckPassword(const std::string& username,
                                             const std::string& password,
                                             const std::string& address, const std::string& via) {
  const std::int64_t now = Now();
  const std::string account_key = "user:" + username, address_key = "addr:" + address;
  WJ_RETURN_IF_ERROR(throttle_.Check(account_key, now));
  WJ_RETURN_IF_ERROR(throttle_.Check(address_key, now));
  WJ_ASSIGN_OR_RETURN(auto user, store_.FindUser(username));
  // Basic: a check that succeeded a moment ago with this very password and stored hash.
  std::string basic_key;
  if (via == "basic" && user && !user->disabled) {
    basic_key = BasicKey(username, password, user->password_hash);
    if (BasicRemembered(basic_key, now)) return Principal::FromUser(std::move(*user), via);
  }
  // The same answer for an unknown user and a wrong password: no probing for names.
  bool ok = user && !user->disabled && VerifyPassword(password, user->password_hash);
  if (!ok) {
    bool locked = throttle_.Failure(account_key, now);
    locked = throttle_.Failure(address_key, now) || locked;
    WJ_RETURN_IF_ERROR(
        Audit("LOGIN_FAILED", username, std::nullopt, via,
              user && user->disabled ? "account disabled" : "bad user name or password", address));
    if (locked)
      WJ_RETURN_IF_ERROR(Audit("LOCKED", username, std::nullopt, via, "15 minutes", address));
    return Unauthenticated("the user name or password is wrong");
  }
  throttle_.Success(account_key);
  throttle_.Success(address_key);
  if (NeedsRehash(user->password_hash)) {
    // Parameters were raised since this hash was made: upgrade it while we know the password.
    WJ_ASSIGN_OR_RETURN(user->password_hash, HashPassword(password));
    WJ_RETURN_IF_ERROR(store_.UpdateUser(*user));
    if (!basic_key.empty()) basic_key = BasicKey(username, password, user->password_hash);
  }
  if (!basic_key.empty()) RememberBasic(basic_key, now);
  return Principal::FromUser(std::move(*user), via);
}

Result<LoginResult> AuthService::Login(const std::string& username, const std::string& password,
                                       const std::string& address) {
  WJ_ASSIGN_OR_RETURN(Principal p, CheckPassword(username, password, address, "session"));
  LoginResult r;
  r.session_token = RandomSecret();
  r.csrf_token = RandomSecret();
  const std::int64_t now = Now();
  WJ_RETURN_IF_ERROR(store_.CreateSession(
      {storage::SecretHash(r.session_token), p.user.id, r.csrf_token, now, now, address}));
  WJ_RETURN_IF_ERROR(Audit("LOGIN", p.name(), std::nullopt, "session", "", address));
  p.session_token_hash = storage::SecretHash(r.session_token);
  p.csrf_token = r.csrf_token;
  r.principal = std::move(p);
  return r;
}

Status AuthService::Logout(const Principal& p, const std::string& address) {
  if (p.via == "session") WJ_RETURN_IF_ERROR(store_.DeleteSession(p.session_token_hash));
  return Audit("LOGOUT", p.name(), std::nullopt, p.via, "", address);
}

Result<std::optional<Principal>> AuthService::Authenticate(const Credentials& c) {
  const std::int64_t now = Now();
  if (!c.authorization_header.empty()) {
    std::string h = c.authorization_header;
    auto space = h.find(' ');
    std::string scheme = h.substr(0, space);
    std::string value = space == std::string::npos ? "" : Trim(h.substr(space + 1));
    if (scheme == "Basic") {
      std::string decoded(value.size(), '\0');
      std::size_t len = 0;
      if (value.empty() || sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()),
                                             decoded.size(), value.c_str(), value.size(), nullptr,
                                             &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0)
        return Unauthenticated("the Basic credentials are not valid base64");
      decoded.resize(len);
      auto colon = decoded.find(':');
      if (colon == std::string::npos)
        return Unauthenticated("the Basic credentials must be user:password");
      WJ_ASSIGN_OR_RETURN(
          Principal p,
          CheckPassword(decoded.substr(0, colon), decoded.substr(colon + 1), c.address, "basic"));
      return std::optional<Principal>(std::move(p));
    }
    if (scheme == "ApiToken") {
      if (value.size() < 8 || value.size() > 200)
        return Unauthenticated("the API token is malformed");
      // Tokens carry 256 random bits, so guessing one is hopeless and needs no throttle; a
      // throttle here would only let one broken script lock out its whole office.
      WJ_ASSIGN_OR_RETURN(auto token, store_.FindApiToken(storage::SecretHash(value)));
      if (!token) return Unauthenticated("the API token is not valid");
      if (token->expires <= now) return Unauthenticated("the API token has expired");
      WJ_ASSIGN_OR_RETURN(auto user, store_.FindUserById(token->user_id));
      if (!user || user->disabled) return Unauthenticated("the API token's user is disabled");
      return std::optional<Principal>(Principal::FromUser(std::move(*user), "token"));
    }
    return Unauthenticated("unsupported Authorization scheme (use Basic or ApiToken)");
  }
  WJ_ASSIGN_OR_RETURN(std::string cookie, CookieValue(c.cookie_header, kSessionCookie));
  if (cookie.empty()) return std::optional<Principal>();
  if (!IsHex(cookie, 64)) return Unauthenticated("the session cookie is malformed; sign in again");
  const std::string hash = storage::SecretHash(cookie);
  WJ_ASSIGN_OR_RETURN(auto session, store_.FindSession(hash));
  if (!session) return Unauthenticated("the session has ended; sign in again");
  if (now - session->last_seen >= kIdleTimeoutMillis ||
      now - session->created >= kAbsoluteTimeoutMillis) {
    WJ_RETURN_IF_ERROR(store_.DeleteSession(hash));
    return Unauthenticated("the session has expired; sign in again");
  }
  WJ_ASSIGN_OR_RETURN(auto user, store_.FindUserById(session->user_id));
  if (!user || user->disabled) return Unauthenticated("this account is disabled");
  // Writing last_seen on every request would turn reads into writes; once a minute is enough
  // for a 30-minute idle timeout.
  if (now - session->last_seen > 60 * 1000) WJ_RETURN_IF_ERROR(store_.TouchSession(hash, now));
  Principal p = Principal::FromUser(std::move(*user), "session");
  p.session_token_hash = hash;
  p.csrf_token = session->csrf_token;
  return std::optional<Principal>(std::move(p));
}

Result<AuthService::NewToken> AuthService::CreateApiToken(const Principal& p,
                                                          const std::string& name, int days,
                                                          const std::string& address) {
  if (name.empty() || name.size() > 100)
    return InvalidArgument("give the token a name of 1 to 100 characters", "name");
  if (days < 1 || days > 366)
    return InvalidArgument("a token lives from 1 to 366 days", "expiresInDays");
  NewToken t;
  t.token = "wj_" + RandomSecret();
  t.record.uid = RandomUid();
  t.record.user_id = p.user.id;
  t.record.name = name;
  t.record.token_hash = storage::SecretHash(t.token);
  t.record.created = Now();
  t.record.expires = t.record.created + days * 24LL * 3600 * 1000;
  WJ_RETURN_IF_ERROR(store_.CreateApiToken(t.record));
  WJ_RETURN_IF_ERROR(Audit("TOKEN_CREATED", p.name(), std::nullopt, t.record.uid, name, address));
  return t;
}

}  // namespace weijian::auth
