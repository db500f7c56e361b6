// Personal data at rest: the keys, sealing and blind indexes.
//
// A person's identifying fields are sealed with libsodium's secretbox (XSalsa20-Poly1305) under a
// key from a key file kept outside the database (`weijian keys init|rotate`), so a copy of the
// database alone names nobody. To find a person without opening every record, the store keeps
// blind indexes: keyed BLAKE2b hashes of the normalised ID number and of name + birth date.
//
// The key file holds one line per key ("wjk1 <key id> <base64 of 32 bytes>"), the newest last;
// the newest seals and indexes, older ones only open (records sealed before a rotation that
// did not finish, or a restored backup). From each key two subkeys are derived (crypto_kdf):
// one to seal, one to index, so the index hashes reveal nothing of the sealing key.
//
// The file must be readable by its owner only (like an SSH key): a group- or world-readable file
// is refused. A vault is immutable once loaded; it is shared by the request threads read-only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace weijian::tracker {

class PersonVault {
 public:
  // Reads a key file; errors name the file and what is wrong with it.
  static Result<PersonVault> Load(const std::string& path);
  // Writes a new key file with one fresh key (refuses to overwrite an existing file).
  static Status Init(const std::string& path);
  // Appends a fresh key to an existing file; the caller then re-seals every record.
  static Status AddKey(const std::string& path);

  const std::string& current_key_id() const { return keys_.back().id; }
  // nonce || ciphertext, base64 (no padding issues: sodium's original variant).
  std::string Seal(std::string_view plaintext) const;
  // Opens text sealed by any key of the file; kInternal when the key is unknown or the text was
  // altered (authentication fails).
  Result<std::string> Open(std::string_view sealed, const std::string& key_id) const;
  // The blind index of a normalised value under the current key, hex; `kind` separates indexes
  // ("id", "name_birth") so equal texts of different kinds do not collide.
  std::string BlindIndex(std::string_view kind, std::string_view value) const;

 private:
  struct Key {
    std::string id;
    std::string seal_key;   // 32 bytes
    std::string index_key;  // 32 bytes
  };
  std::vector<Key> keys_;
};

// The default key file of a database: "<db>.keys" beside it.
std::string DefaultKeyFile(const std::string& db_path);

}  // namespace weijian::tracker
