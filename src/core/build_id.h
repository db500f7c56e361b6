// The running program's GNU build id (the linker's NT_GNU_BUILD_ID note: a hash of the linked
// code, different for every build that differs). Files a server writes beside its database
// for a fast next start carry it, so that a start by another build — new rules for computing
// what the file holds — computes afresh instead of trusting them.
#pragma once

#include <string>

namespace weijian {

// The id's bytes as hex; "" when the program was linked without one (every target here is
// linked with --build-id: CMakeLists.txt).
const std::string& ProgramBuildId();

}  // namespace weijian
