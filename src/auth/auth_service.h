// Signing in and recognising who sends a request: sessions (cookie + CSRF token), HTTP Basic,
// and personal API tokens; throttling of failed sign-ins; the audit of each of these.
//
// Secrets are stored only as SHA-256 hashes (sessions, tokens) or argon2id (passwords).
// Sessions end after 30 minutes idle or 12 hours in all, whichever comes first.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "auth/principal.h"
#include "core/status.h"
#include "storage/store.h"

namespace weijian::auth {

inline constexpr const char* kSessionCookie = "WJSESSION";
inline constexpr const char* kDeviceCookie = "WJDEVICE";
inline constexpr std::int64_t kIdleTimeoutMillis = 30LL * 60 * 1000;
inline constexpr std::int64_t kAbsoluteTimeoutMillis = 12LL * 3600 * 1000;

using Clock = std::function<std::int64_t()>;  // unix millis

// Failed sign-ins per key. After each failure the next attempt must wait 2^(n-1) seconds
// (1, 2, 4, 8 …); the 6th failure within 15 minutes locks for 15 minutes.
//
// Keys (see AuthService::CheckPassword): "user:<name>" counts failures of clients the account
// has not signed in from before, "device:<id>" those of one browser that has (its device
// cookie), "addr:<ip>" only failures for names that do not exist. So a stranger who guesses at
// an account locks out strangers only: the owner's own browser keeps signing in, and many
// colleagues behind one proxy are never locked by each other's typos.
//
// The failures are kept in the store (login_failure), not in the process: servers sharing one
// database count the same failures, so a guesser gains nothing by spreading attempts over them,
// and a restart does not wipe the count. Each check replays the key's failures of the last
// window + lock (at most a handful of rows: the throttle itself keeps them few). The class holds
// no state of its own.
class LoginThrottle {
 public:
  static constexpr int kLockAfter = 6;
  static constexpr std::int64_t kWindowMillis = 15LL * 60 * 1000;
  static constexpr std::int64_t kLockMillis = 15LL * 60 * 1000;

  explicit LoginThrottle(storage::Store& store) : store_(store) {}

  // OK, or ResourceExhausted saying how long to wait (or the store's error). `has_failures`, when
  // given, tells whether the key has any failure on record (so a success has some to forget).
  Status Check(const std::string& key, std::int64_t now, bool* has_failures = nullptr) const;
  // Records a failure of each key in one write; true when it locked any of them.
  Result<bool> Failure(std::span<const std::string> keys, std::int64_t now);
  Result<bool> Failure(const std::string& key, std::int64_t now) {
    return Failure(std::span(&key, 1), now);
  }
  // Forgets the key's failures (when the store's writer is free; see ClearLoginFailures).
  Status Success(const std::string& key);

  // What a key's failures (oldest first) mean: until when it is locked, when the next attempt is
  // allowed, and whether the last failure is the one that locked it.
  struct State {
    std::int64_t locked_until = 0;
    std::int64_t next_allowed = 0;
    bool last_locked = false;
  };
  static State Replay(const std::vector<std::int64_t>& failures);

 private:
  storage::Store& store_;
};

struct LoginResult {
  std::string session_token;  // the cookie value; shown once, stored hashed
  std::string csrf_token;
  std::string device_cookie = {};  // proves later that this browser signed in as this user
  Principal principal;
};

// What a request carries that may identify its sender.
struct Credentials {
  std::string cookie_header;         // the raw Cookie header
  std::string authorization_header;  // the raw Authorization header
  std::string address;               // the client's IP address
  std::string device_cookie = {};    // the WJDEVICE cookie's value, "" when absent
};

class AuthService {
 public:
  AuthService(storage::Store& store, Clock clock);

  Result<LoginResult> Login(const std::string& username, const std::string& password,
                            const std::string& address, const std::string& device_cookie = "");
  // nullopt when the request carries no credentials; an error when it carries bad ones.
  Result<std::optional<Principal>> Authenticate(const Credentials& c);
  Status Logout(const Principal& p, const std::string& address);

  struct NewToken {
    std::string token;  // shown once
    storage::ApiTokenRecord record;
  };
  // Refused to a caller signed in by an API token: a token must not outlive itself.
  Result<NewToken> CreateApiToken(const Principal& p, const std::string& name, int days,
                                  const std::string& address);

  // Sets `target`'s password. A change of one's own password needs the current one; the caller
  // decides beforehand whether `actor` may manage `target`. Ends every session and API token of
  // the target but the session the actor is using for a change of his own.
  Status ChangePassword(const Principal& actor, storage::UserRecord target,
                        const std::string& new_password,
                        const std::optional<std::string>& current_password,
                        const std::string& address);

  // How many argon2 verifications ran (tests: an unknown name costs the same as a known one).
  std::int64_t password_checks() const { return password_checks_.load(); }

  // Appends to the audit trail; a failure to audit fails the caller's request.
  Status Audit(const std::string& type, const std::string& username,
               std::optional<std::int64_t> org_unit_id, const std::string& object,
               const std::string& detail, const std::string& address);

  std::int64_t Now() const { return clock_(); }
  storage::Store& store() { return store_; }

 private:
  Result<Principal> CheckPassword(const std::string& username, const std::string& password,
                                  const std::string& address, const std::string& via,
                                  const std::string& device_cookie);
  // A device cookie for `username`: "<nonce>.<HMAC-SHA256 of name and nonce>".
  std::string DeviceCookie(const std::string& username) const;
  // The cookie's nonce when it was issued by this server for `username`; "" otherwise.
  std::string TrustedDevice(const std::string& username, const std::string& cookie) const;
  // argon2 against the user's hash, or against a dummy hash when there is no usable user, so
  // that both take the same time.
  bool VerifyOrDummy(const std::string& password, const std::string* encoded);

  // HTTP Basic sends the password with every request. A successful check is remembered for
  // kBasicTtlMillis under a keyed hash (BLAKE2b with a per-process random key) of the user
  // name, the password and the user's stored password hash, so a script's later requests skip
  // argon2. A password change or a new hash (the CLI's too) changes the key, and a disabled
  // account is refused before the cache is consulted: nothing needs clearing on those.
  static constexpr std::int64_t kBasicTtlMillis = 5 * 60 * 1000;
  std::string BasicKey(const std::string& username, const std::string& password,
                       const std::string& stored_hash) const;
  bool BasicRemembered(const std::string& key, std::int64_t now);
  void RememberBasic(const std::string& key, std::int64_t now);

  storage::Store& store_;
  Clock clock_;
  LoginThrottle throttle_;
  unsigned char basic_key_[32];  // random per process; set once
  std::mutex basic_mu_;
  std::map<std::string, std::int64_t> basic_checked_;  // key → expiry; guarded by basic_mu_
  // Signs device cookies. Shared by every server on the store (server_secret "device_key"), so
  // a browser known to one server is known to all, and after a restart; read once in the
  // constructor, then never written.
  std::string device_key_;
  std::atomic<std::int64_t> password_checks_{0};
};

// A random secret of 32 bytes as 64 hex characters.
std::string RandomSecret();
// Checks a user name for creation: 2–64 ASCII letters, digits, '.', '_' or '-', starting with a
// letter or digit, so that look-alike letters from other scripts cannot imitate a colleague.
Status CheckUsername(const std::string& name);

}  // namespace weijian::auth
