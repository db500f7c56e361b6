#include "core/build_id.h"

#include <elf.h>
#include <link.h>

#include <cstring>

#include "core/hex.h"

namespace weijian {

namespace {

// dl_iterate_phdr visits the program itself first; its PT_NOTE segments hold the build id.
int FindBuildId(dl_phdr_info* info, std::size_t, void* data) {
  auto& out = *static_cast<std::string*>(data);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const auto& segment = info->dlpi_phdr[i];
    if (segment.p_type != PT_NOTE) continue;
    const char* p = reinterpret_cast<const char*>(info->dlpi_addr + segment.p_vaddr);
    const char* const end = p + segment.p_memsz;
    while (p + sizeof(ElfW(Nhdr)) <= end) {
      ElfW(Nhdr) note;
      std::memcpy(&note, p, sizeof note);
      const char* name = p + sizeof note;
      const char* desc = name + ((note.n_namesz + 3) & ~3u);
      const char* next = desc + ((note.n_descsz + 3) & ~3u);
      if (next > end) break;
      if (note.n_type == NT_GNU_BUILD_ID && note.n_namesz == 4 &&
          std::memcmp(name, "GNU", 4) == 0) {
        out = HexOf(desc, note.n_descsz);
        return 1;
      }
      p = next;
    }
  }
  return 1;  // only the program, not the libraries after it
}

}  // namespace

const std::string& ProgramBuildId() {
  static const std::string id = [] {
    std::string out;
    dl_iterate_phdr(FindBuildId, &out);
    return out;
  }();
  return id;
}

}  // namespace weijian
