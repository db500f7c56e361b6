#include "core/sealed_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

namespace weijian {

namespace {
constexpr std::size_t kMagicBytes = 8, kSumBytes = 32;
}  // namespace

SealedFileWriter::SealedFileWriter(std::string path, const char (&magic)[8])
    : path_(std::move(path)), tmp_(path_ + ".tmp"), out_(tmp_, std::ios::binary | std::ios::trunc) {
  crypto_generichash_init(&hash_, nullptr, 0, kSumBytes);
  Bytes(magic, kMagicBytes);
}

SealedFileWriter::~SealedFileWriter() {
  if (committed_) return;
  out_.close();
  std::error_code ignored;
  std::filesystem::remove(tmp_, ignored);
}

void SealedFileWriter::Bytes(const void* p, std::size_t n) {
  crypto_generichash_update(&hash_, static_cast<const unsigned char*>(p), n);
  out_.write(static_cast<const char*>(p), static_cast<std::streamsize>(n));
  written_ += n;
}

void SealedFileWriter::Pad(std::size_t alignment) {
  static constexpr char kZeros[64] = {};
  std::size_t n = (alignment - written_ % alignment) % alignment;
  for (; n > 0; n -= std::min(n, sizeof kZeros)) Bytes(kZeros, std::min(n, sizeof kZeros));
}

Status SealedFileWriter::Commit() {
  unsigned char sum[kSumBytes];
  crypto_generichash_final(&hash_, sum, sizeof sum);
  out_.write(reinterpret_cast<const char*>(sum), sizeof sum);
  out_.close();
  if (!out_) return Unavailable("cannot write " + tmp_);
  std::error_code ec;
  std::filesystem::rename(tmp_, path_, ec);
  if (ec) return Unavailable("cannot rename " + tmp_ + ": " + ec.message());
  committed_ = true;
  return Status::Ok();
}

Result<SealedFile> OpenSealedFile(const std::string& path, const char (&magic)[8],
                                  const std::string& kind) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NotFound("no " + kind + " at " + path);
  struct stat st {};
  void* map = MAP_FAILED;
  if (::fstat(fd, &st) == 0 && st.st_size > 0)
    map = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ | PROT_WRITE, MAP_PRIVATE,
                 fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return InvalidArgument(path + " cannot be read");
  const auto size = static_cast<std::size_t>(st.st_size);
  ::madvise(map, size, MADV_WILLNEED);
  SealedFile out;
  out.mapping = std::shared_ptr<void>(map, [size](void* at) { ::munmap(at, size); });
  const std::string_view data(static_cast<const char*>(map), size);
  if (size < kMagicBytes + kSumBytes || std::memcmp(data.data(), magic, kMagicBytes) != 0)
    return InvalidArgument(path + " is not a weijian " + kind);
  unsigned char sum[kSumBytes];
  crypto_generichash(sum, sizeof sum, reinterpret_cast<const unsigned char*>(data.data()),
                     size - kSumBytes, nullptr, 0);
  if (std::memcmp(sum, data.data() + size - kSumBytes, kSumBytes) != 0)
    return InvalidArgument(path + " is damaged (checksum)");
  out.body = data.substr(kMagicBytes, size - kMagicBytes - kSumBytes);
  return out;
}

}  // namespace weijian
