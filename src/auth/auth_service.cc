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

LoginThrottle::State LoginThrottle::Replay(const std::vector<std::int64_t>& failures) {
  State st;
  std::vector<std::int64_t> recent;  // failures within the window of the one being replayed
  for (std::int64_t t : failures) {
    std::erase_if(recent, [&](std::int64_t r) { return r < t - kWindowMillis; });
    recent.push_back(t);
    st.last_locked = false;
    const int n = static_cast<int>(recent.size());
    if (n >= kLockAfter) {
      st.locked_until = t + kLockMillis;
      st.last_locked = true;
      recent.clear();
    } else {
      st.next_allowed = t + (1000LL << (n - 1));
    }
  }
  return st;
}

Status LoginThrottle::Check(const std::string& key, std::int64_t now, bool* has_failures) const {
  WJ_ASSIGN_OR_RETURN(auto failures, store_.LoginFailures(key, now - kWindowMillis - kLockMillis));
  if (has_failures) *has_failures = !failures.empty();
  const State e = Replay(failures);
  if (e.locked_until > now)
    return ResourceExhausted("too many failed sign-ins: locked for " +
                             std::to_string((e.locked_until - now + 59999) / 60000) +
                             " more minutes");
  if (e.next_allowed > now)
    return ResourceExhausted("wait " + std::to_string((e.next_allowed - now + 999) / 1000) +
                             " s before trying again");
  return Status::Ok();
}

Result<bool> LoginThrottle::Failure(std::span<const std::string> keys, std::int64_t now) {
  const std::int64_t horizon = now - kWindowMillis - kLockMillis;
  WJ_ASSIGN_OR_RETURN(auto failures, store_.AddLoginFailures(keys, now, horizon));
  bool locked = false;
  for (const auto& of_key : failures) locked = Replay(of_key).last_locked || locked;
  return locked;
}

Status LoginThrottle::Success(const std::string& key) { return store_.ClearLoginFailures(key); }

namespace {
// The device-cookie key every server on the store shares. Should the store not give it (it
// cannot be reached), a key of this process alone: cookies of other servers are then not
// trusted, which only makes the throttle stricter.
std::string SharedDeviceKey(storage::Store& store) {
  auto key = store.SharedSecret("device_key", RandomSecret());
  return key.ok() ? *key : RandomSecret();
}
}  // namespace

AuthService::AuthService(storage::Store& store, Clock clock)
    : store_(store),
      clock_(std::move(clock)),
      throttle_(store),
      device_key_(SharedDeviceKey(store)) {
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

std::string AuthService::DeviceCookie(const std::string& username) const {
  std::string nonce = RandomSecret().substr(0, 32);
  std::string message = username + "\n" + nonce;
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(device_key_.data()),
                              device_key_.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&st, mac);
  char hex[sizeof mac * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return nonce + "." + hex;
}

std::string AuthService::TrustedDevice(const std::string& username,
                                       const std::string& cookie) const {
  auto dot = cookie.find('.');
  if (dot != 32 || !IsHex(cookie.substr(0, 32), 32) || !IsHex(cookie.substr(33), 64)) return "";
  const std::string nonce = cookie.substr(0, 32);
  std::string message = username + "\n" + nonce;
  unsigned char mac[crypto_auth_hmacsha256_BYTES], given[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(device_key_.data()),
                              device_key_.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&st, mac);
  if (sodium_hex2bin(given, sizeof given, cookie.c_str() + 33, 64, nullptr, nullptr, nullptr) != 0)
    return "";
  return sodium_memcmp(mac, given, sizeof mac) == 0 ? nonce : "";
}

bool AuthService::VerifyOrDummy(const std::string& password, const std::string* encoded) {
  // A hash of a random password with today's parameters: verifying against it costs what a real
  // verification costs, and never succeeds.
  static const std::string kDummy = [] {
    auto h = HashPassword(RandomSecret());
    return h.ok() ? *h : std::string();
  }();
  ++password_checks_;
  if (!encoded) {
    VerifyPassword(password, kDummy);
    return false;
  }
  return VerifyPassword(password, *encoded);
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
                                             const std::string& address, const std::string& via,
                                             const std::string& device_cookie) {
  const std::int64_t now = Now();
  // A browser that signed in as this user before has its own counter; strangers share the
  // account's, and only failures for unknown names count against an address.
  const std::string device = TrustedDevice(username, device_cookie);
  const std::string account_key = device.empty() ? "user:" + username : "device:" + device;
  const std::string address_key = "addr:" + address;
  // A correct password writes nothing unless the account has failures to forget: a script's
  // Basic request then does not wait for an import holding the store's writer.
  bool account_failed = false;
  WJ_RETURN_IF_ERROR(throttle_.Check(account_key, now, &account_failed));
  if (device.empty()) WJ_RETURN_IF_ERROR(throttle_.Check(address_key, now));
  WJ_ASSIGN_OR_RETURN(auto user, store_.FindUser(username));
  // Basic: a check that succeeded a moment ago with this very password and stored hash.
  std::string basic_key;
  if (via == "basic" && user && !user->disabled) {
    basic_key = BasicKey(username, password, user->password_hash);
    if (BasicRemembered(basic_key, now)) return Principal::FromUser(std::move(*user), via);
  }
  // The same answer and the same argon2 work for an unknown user, a disabled one and a wrong
  // password: no probing for names, neither by the reply nor by its timing.
  const bool usable = user && !user->disabled;
  bool ok = VerifyOrDummy(password, usable ? &user->password_hash : nullptr);
  if (!ok) {
    // The back-off runs from the answer, not the question: argon2 may take a while under load.
    const std::int64_t failed_at = Now();
    // Unknown names are counted per account too, so that "locked" does not tell which exist;
    // and against the address as well, in the same write (one commit either way, so the time
    // an attempt takes does not tell either).
    std::vector<std::string> keys = {account_key};
    if (!user && device.empty()) keys.push_back(address_key);
    WJ_ASSIGN_OR_RETURN(bool locked, throttle_.Failure(keys, failed_at));
    WJ_RETURN_IF_ERROR(
        Audit("LOGIN_FAILED", username, std::nullopt, via,
              user && user->disabled ? "account disabled" : "bad user name or password", address));
    if (locked)
      WJ_RETURN_IF_ERROR(Audit("LOCKED", username, std::nullopt, via, "15 minutes", address));
    return Unauthenticated("the user name or password is wrong");
  }
  if (account_failed) WJ_RETURN_IF_ERROR(throttle_.Success(account_key));
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
                                       const std::string& address,
                                       const std::string& device_cookie) {
  WJ_ASSIGN_OR_RETURN(Principal p,
                      CheckPassword(username, password, address, "session", device_cookie));
  LoginResult r;
  r.device_cookie = DeviceCookie(p.name());
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
          Principal p, CheckPassword(decoded.substr(0, colon), decoded.substr(colon + 1), c.address,
                                     "basic", c.device_cookie));
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
  if (p.via == "token") return PermissionDenied("API 令牌不能再创建令牌；请登录后在个人设置中创建");
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
  // The token and its audit row in one transaction.
  WJ_RETURN_IF_ERROR(store_.InOneTransaction([&]() -> Status {
    WJ_RETURN_IF_ERROR(store_.CreateApiToken(t.record));
    return Audit("TOKEN_CREATED", p.name(), std::nullopt, t.record.uid, name, address);
  }));
  return t;
}

Status AuthService::ChangePassword(const Principal& actor, storage::UserRecord target,
                                   const std::string& new_password,
                                   const std::optional<std::string>& current_password,
                                   const std::string& address) {
  const bool self = actor.user.id == target.id;
  if (self) {
    if (!current_password)
      return InvalidArgument("修改自己的密码需要输入当前密码", "currentPassword");
    // Guessing through a stolen session is throttled like guessing at the sign-in form.
    const std::string key = "user:" + target.username;
    WJ_RETURN_IF_ERROR(throttle_.Check(key, Now()));
    if (!VerifyOrDummy(*current_password, &target.password_hash)) {
      WJ_RETURN_IF_ERROR(throttle_.Failure(key, Now()).status());
      WJ_RETURN_IF_ERROR(Audit("PASSWORD_CHANGE_FAILED", actor.name(), std::nullopt,
                               target.username, "wrong current password", address));
      return InvalidArgument("当前密码不正确", "currentPassword");
    }
  }
  WJ_RETURN_IF_ERROR(CheckPasswordPolicy(new_password, target.username));
  WJ_ASSIGN_OR_RETURN(target.password_hash, HashPassword(new_password));
  // The new password, the end of the old credentials and the audit row in one transaction:
  // whoever knew the old password (or holds a token made with it) is signed out everywhere.
  const std::string keep = self && actor.via == "session" ? actor.session_token_hash : "";
  return store_.InOneTransaction([&]() -> Status {
    WJ_RETURN_IF_ERROR(store_.UpdateUser(target));
    WJ_RETURN_IF_ERROR(store_.RevokeUserCredentials(target.id, keep));
    return Audit("USER", actor.name(), std::nullopt, target.username,
                 self ? "password changed; other sessions and API tokens ended"
                      : "password reset; sessions and API tokens ended",
                 address);
  });
}

}  // namespace weijian::auth
