// Where an object sits in a metadata bundle, as import reports and errors name it:
// "dataElements[3]". Shared by the bundle reader, the controls and the documents collections.
#pragma once

#include <cstddef>
#include <string>

namespace weijian::metadata {

inline std::string At(const std::string& collection, std::size_t i) {
  return collection + "[" + std::to_string(i) + "]";
}

}  // namespace weijian::metadata
