// Files a server keeps beside its database for a fast next start (the analytics engine's
// snapshot, the immunization coverage facts): an 8-byte magic, a body in this machine's layout,
// and last a 32-byte BLAKE2b of everything before it. Written to "<path>.tmp" and renamed, so a
// crash or a stop part-way leaves the old file or the new one, never half of one. Read by
// mapping: a file that is cut short, damaged or of another kind is refused whole.
#pragma once

#include <sodium.h>

#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "core/status.h"

namespace weijian {

class SealedFileWriter {
 public:
  // Opens "<path>.tmp" and writes the magic.
  SealedFileWriter(std::string path, const char (&magic)[8]);
  ~SealedFileWriter();  // removes the temporary file unless Commit renamed it
  SealedFileWriter(const SealedFileWriter&) = delete;
  SealedFileWriter& operator=(const SealedFileWriter&) = delete;

  void Bytes(const void* p, std::size_t n);
  template <typename T>
  void Put(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    Bytes(&v, sizeof v);
  }
  void PutString(const std::string& s) {
    Put<std::uint64_t>(s.size());
    Bytes(s.data(), s.size());
  }
  // A u64 count, then the elements (plain values, or pairs of them: what ByteReader::GetVec
  // reads back).
  template <typename T>
  void PutVec(const std::vector<T>& v) {
    Put<std::uint64_t>(v.size());
    Bytes(v.data(), v.size() * sizeof(T));
  }
  // Zeros up to a multiple of `alignment` bytes from the file's start (for data read in place).
  void Pad(std::size_t alignment);

  // The checksum, then the rename over `path`. Unavailable when a byte did not reach the file.
  Status Commit();

 private:
  std::string path_, tmp_;
  std::ofstream out_;
  crypto_generichash_state hash_;
  std::uint64_t written_ = 0;
  bool committed_ = false;
};

struct SealedFile {
  // The whole file, mapped private and writable: a page changed later is copied in this process
  // and never reaches the file (which is only ever replaced by a rename). Unmapped with the last
  // copy of the pointer.
  std::shared_ptr<void> mapping;
  std::string_view body;  // between the magic and the checksum
};
// NotFound "no <kind> at <path>" when there is none; InvalidArgument naming the path when it is
// empty, of another kind (magic) or damaged (checksum).
Result<SealedFile> OpenSealedFile(const std::string& path, const char (&magic)[8],
                                  const std::string& kind);

}  // namespace weijian
