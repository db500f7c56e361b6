#include "tracker/person_vault.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace weijian::tracker {

namespace {

constexpr char kContext[crypto_kdf_CONTEXTBYTES + 1] = "wjperson";

std::string ToBase64(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return out;
}

bool FromBase64(std::string_view text, std::string& out) {
  out.assign(text.size(), '\0');
  std::size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(),
                        text.size(), nullptr, &len, nullptr, sodium_base64_VARIANT_ORIGINAL) != 0)
    return false;
  out.resize(len);
  return true;
}

std::string Subkey(const std::string& master, std::uint64_t id) {
  std::string sub(32, '\0');
  crypto_kdf_derive_from_key(reinterpret_cast<unsigned char*>(sub.data()), sub.size(), id, kContext,
                             reinterpret_cast<const unsigned char*>(master.data()));
  return sub;
}

std::string NewKeyLine() {
  unsigned char key[crypto_kdf_KEYBYTES];
  crypto_kdf_keygen(key);
  unsigned char id_bytes[6];
  randombytes_buf(id_bytes, sizeof id_bytes);
  std::string id = "k";
  static constexpr char kHex[] = "0123456789abcdef";
  for (unsigned char b : id_bytes) id += std::string{kHex[b >> 4], kHex[b & 15]};
  std::string line = "wjk1 " + id + " " +
                     ToBase64(std::string_view(reinterpret_cast<char*>(key), sizeof key)) + "\n";
  sodium_memzero(key, sizeof key);
  return line;
}

Status WriteLine(const std::string& path, const std::string& line, bool create) {
  const int flags = O_WRONLY | O_CLOEXEC | (create ? (O_CREAT | O_EXCL) : O_APPEND);
  const int fd = ::open(path.c_str(), flags, 0600);
  if (fd < 0) {
    return create ? Conflict(path + "：无法新建密钥文件（已存在或目录不可写）")
                  : Conflict(path + "：无法打开密钥文件追加新密钥");
  }
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size()) &&
                  ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) return Unavailable(path + "：写入密钥文件失败");
  return Status::Ok();
}

}  // namespace

std::string DefaultKeyFile(const std::string& db_path) { return db_path + ".keys"; }

Status PersonVault::Init(const std::string& path) {
  if (sodium_init() < 0) return Internal("libsodium failed to start");
  return WriteLine(path, NewKeyLine(), true);
}

Status PersonVault::AddKey(const std::string& path) {
  if (sodium_init() < 0) return Internal("libsodium failed to start");
  WJ_RETURN_IF_ERROR(Load(path).status());
  return WriteLine(path, NewKeyLine(), false);
}

Result<PersonVault> PersonVault::Load(const std::string& path) {
  if (sodium_init() < 0) return Internal("libsodium failed to start");
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return NotFound(path + "：没有个人信息密钥文件（先运行 weijian keys init）");
  if (st.st_mode & 077)
    return Conflict(path + "：密钥文件只能由所有者读写（chmod 600），否则不予使用");
  std::ifstream in(path);
  if (!in) return Unavailable(path + "：无法读取密钥文件");
  PersonVault vault;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    std::istringstream words(line);
    std::string tag, id, b64;
    words >> tag >> id >> b64;
    std::string master;
    if (tag != "wjk1" || id.empty() || !FromBase64(b64, master) ||
        master.size() != crypto_kdf_KEYBYTES) {
      return Conflict(path + " 第 " + std::to_string(number) + " 行不是有效的密钥");
    }
    vault.keys_.push_back({id, Subkey(master, 1), Subkey(master, 2)});
    sodium_memzero(master.data(), master.size());
  }
  if (vault.keys_.empty()) return Conflict(path + "：密钥文件是空的");
  return vault;
}

std::string PersonVault::Seal(std::string_view plaintext) const {
  const Key& key = keys_.back();
  std::string box(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plaintext.size(), '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(box.data());
  randombytes_buf(nonce, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(nonce + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(plaintext.data()), plaintext.size(),
                        nonce, reinterpret_cast<const unsigned char*>(key.seal_key.data()));
  return ToBase64(box);
}

Result<std::string> PersonVault::Open(std::string_view sealed, const std::string& key_id) const {
  const Key* key = nullptr;
  for (const Key& k : keys_)
    if (k.id == key_id) key = &k;
  if (!key) return Internal("个人信息由密钥 " + key_id + " 加密，但密钥文件中没有这把密钥");
  std::string box;
  if (!FromBase64(sealed, box) ||
      box.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
    return Internal("个人信息密文已损坏");
  const auto* nonce = reinterpret_cast<const unsigned char*>(box.data());
  const std::size_t clen = box.size() - crypto_secretbox_NONCEBYTES;
  std::string plain(clen - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(reinterpret_cast<unsigned char*>(plain.data()),
                                 nonce + crypto_secretbox_NONCEBYTES, clen, nonce,
                                 reinterpret_cast<const unsigned char*>(key->seal_key.data())) != 0)
    return Internal("个人信息密文校验失败（被改动或密钥不对）");
  return plain;
}

std::string PersonVault::BlindIndex(std::string_view kind, std::string_view value) const {
  const Key& key = keys_.back();
  crypto_generichash_state state;
  crypto_generichash_init(&state, reinterpret_cast<const unsigned char*>(key.index_key.data()),
                          key.index_key.size(), 32);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(kind.data()),
                            kind.size());
  const unsigned char sep = 0x1f;
  crypto_generichash_update(&state, &sep, 1);
  crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(value.data()),
                            value.size());
  unsigned char out[32];
  crypto_generichash_final(&state, out, sizeof out);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : out) hex += std::string{kHex[b >> 4], kHex[b & 15]};
  return hex;
}

}  // namespace weijian::tracker
