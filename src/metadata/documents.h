// DHIS2 metadata collections weijian keeps whole, as normalised JSON documents (issue 14):
// optionSets and options, legendSets, attributes, dataElementGroups/GroupSets, indicatorGroups,
// organisationUnitGroupSets, categoryOptionGroups/GroupSets and organisationUnitLevels; and the
// fields DHIS2 carries on modelled objects that weijian keeps beside them (attributeValues on
// every object, a data element's optionSet and legendSets, legendSets of indicators and data
// sets).
//
// Invariants: every field of a document is checked against a table of DHIS2's shapes (one
// generic reader, no per-collection code); references are resolved across the whole bundle and
// what is stored, and written as {"id": uid}; exporting and importing again changes nothing.
// Unknown fields are left out with a warning naming them, as the modelled collections do.
// Workload: metadata-sized (thousands of objects), read once per import or catalog load.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "metadata/bundle.h"
#include "metadata/catalog.h"

namespace weijian::metadata {

// The collections kept as documents, in the order an export lists them.
const std::vector<std::string>& DocumentCollections();
bool IsDocumentCollection(std::string_view collection);
// Whether `field` of an object of the modelled `collection` is kept as an extra.
bool IsExtraField(std::string_view collection, std::string_view field);
// Fields DHIS2 writes about the exporting server rather than the object (created, href, sharing,
// display names …): dropped silently on import, by documents and by modelled objects alike.
bool IsServerBookkeeping(const std::string& key);

// Resolves a reference to an object of a modelled collection (dataElements, indicators,
// organisationUnitGroups, categoryOptions) among the bundle's and the stored objects.
using ModelledResolver = std::function<Result<std::string>(
    const nlohmann::json& ref, const std::string& field, const std::string& collection)>;

class DocumentImport {
 public:
  DocumentImport(const nlohmann::json& bundle, const Catalog& current,
                 const MetadataImportOptions& options, ModelledResolver resolve)
      : bundle_(bundle), cat_(current), options_(options), resolve_(std::move(resolve)) {}

  // First pass: the uid of every document in the bundle, so references resolve in any order.
  Status AssignUids();
  // Reads and checks every document collection of the bundle into `out` and `report`.
  Status Read(storage::MetadataRecords& out, MetadataImportReport& report);
  // The extra fields of one object of a modelled collection, into out.object_extras.
  Status ReadExtras(const std::string& collection, const nlohmann::json& obj,
                    const std::string& uid, const std::string& where,
                    storage::MetadataRecords& out);

 private:
  struct Defined {
    std::map<std::string, std::string> uid_by_code;
    std::set<std::string> uids;
  };
  Result<std::string> ResolveRef(const nlohmann::json& ref, const std::string& field,
                                 const std::string& collection);
  Result<nlohmann::json> ReadValue(const nlohmann::json& v, int kind, const std::string& target,
                                   const std::string& field, const std::string& owner_uid);
  Result<nlohmann::json> ReadAttributeValues(const nlohmann::json& v, const std::string& field);

  const nlohmann::json& bundle_;
  const Catalog& cat_;
  MetadataImportOptions options_;
  ModelledResolver resolve_;
  std::map<std::string, Defined> defined_;
  std::map<std::string, std::vector<std::string>> uids_;
  nlohmann::json warnings_ = nlohmann::json::array();  // unknown fields of the object being read
};

// Adds the document collections to an export and merges the extras into the modelled objects
// already in `out`.
void ExportDocuments(const Catalog& catalog, nlohmann::json& out);

}  // namespace weijian::metadata
