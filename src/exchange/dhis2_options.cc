// DHIS2's data value set import options beyond the core ones (id schemes, importStrategy,
// dryRun, atomicMode), and DHIS2's boolean spellings.
//
// Each documented option is either honoured or accepted with a note in the import summary that
// says what weijian does instead, so a DHIS2 client's usual query string never earns a 409 and
// nothing is silently ignored. Unknown option names still fail.
#include <algorithm>

#include "exchange/import.h"

namespace weijian::exchange {

std::optional<bool> ParseDhis2Bool(std::string_view text) {
  std::string t;
  for (char c : text) t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t == "true" || t == "t" || t == "yes" || t == "y" || t == "on" || t == "1") return true;
  if (t == "false" || t == "f" || t == "no" || t == "n" || t == "off" || t == "0") return false;
  return std::nullopt;
}

namespace internal {

// A query flag: empty means true (`?async`), as for the other flags.
Result<bool> FlagValue(const std::string& name, const std::string& value) {
  if (value.empty()) return true;
  auto b = ParseDhis2Bool(value);
  if (!b) return InvalidArgument("must be true or false, not \"" + value + "\"", name);
  return *b;
}

// Handles the options ParseImportOption leaves; false for a name it does not know.
Result<bool> ParseDhis2ImportOption(ImportOptions& o, const std::string& name,
                                    const std::string& value) {
  auto note = [&](const std::string& text) {
    const std::string line = name + "=" + value + ": " + text;
    if (std::find(o.notes.begin(), o.notes.end(), line) == o.notes.end()) o.notes.push_back(line);
  };
  if (name == "importReportMode") {
    if (value != "FULL" && value != "ERRORS" && value != "DEBUG")
      return InvalidArgument("must be FULL, ERRORS or DEBUG", name);
    if (value != "FULL") note("weijian always reports the counts and every conflict");
    return true;
  }
  if (name == "format") {
    std::string f = value;
    std::transform(f.begin(), f.end(), f.begin(), [](unsigned char c) { return std::tolower(c); });
    if (f == "json")
      o.format = ImportFormat::kJson;
    else if (f == "csv")
      o.format = ImportFormat::kCsv;
    else if (f == "adx")
      o.format = ImportFormat::kAdx;
    else if (f == "xml")
      o.format = ImportFormat::kXml;
    else
      return InvalidArgument("must be json, xml, csv or adx", name);
    return true;
  }
  if (name == "dataSet") {
    o.data_set = value;
    return true;
  }
  if (name == "async") {
    WJ_ASSIGN_OR_RETURN(o.async, FlagValue(name, value));
    return true;
  }
  if (name == "firstRowIsHeader") {
    WJ_ASSIGN_OR_RETURN(o.first_row_is_header, FlagValue(name, value));
    return true;
  }
  if (name == "requireCategoryOptionCombo") {
    WJ_ASSIGN_OR_RETURN(o.require_coc, FlagValue(name, value));
    return true;
  }
  // Flags weijian accepts; what it does instead is written into the summary.
  static const std::pair<const char*, const char*> kNoted[] = {
      {"skipAudit", "weijian records every import in the audit trail"},
      {"skipExistingCheck", "weijian always checks for existing values, so its counts are exact"},
      {"preheatCache", "weijian keeps the metadata in memory at all times"},
      {"skipNotifications", "weijian sends no notifications for imports"},
      {"skipLastUpdated", "weijian always records when a value was last updated"},
      {"force", "weijian has no data set locking to override"},
      {"strictPeriods", "weijian always checks a period against its data set's period type"},
      {"strictCategoryOptionCombos",
       "weijian always checks that the option combo belongs to the data element"},
      {"strictAttributeOptionCombos",
       "weijian always checks that the attribute option combo belongs to the data set"},
      {"strictOrganisationUnits", "weijian always checks that the unit is assigned the data set"},
      {"strictDataElements", "weijian always checks that the data element is in a data set"},
      {"ignoreAuditLog", "weijian records every import in the audit trail"},
  };
  for (const auto& [option, text] : kNoted) {
    if (name != option) continue;
    WJ_ASSIGN_OR_RETURN(bool on, FlagValue(name, value));
    // Only a request to relax a check, or to skip the audit, changes nothing here; say so.
    const bool strict = name.starts_with("strict");
    if (strict ? !on : on) note(text);
    return true;
  }
  return false;
}

}  // namespace internal
}  // namespace weijian::exchange
