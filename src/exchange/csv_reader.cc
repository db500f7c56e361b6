// DHIS2 CSV, streamed line by line (RFC 4180 quoting, CRLF or LF, a leading BOM allowed):
// dataelement,period,orgunit,catoptcombo,attroptcombo,value,storedby,lastupdated,comment,followup
//
// The header's names choose the columns (DHIS2's docs' "timestamp" for lastupdated, a "dataSet"
// column, either spelling of the combos); a row shorter than the header leaves the rest empty,
// as DHIS2 reads it. A file whose first row names no column, or one read with
// firstRowIsHeader=false, is read by position in DHIS2's column order, its first row a value.
#include <algorithm>
#include <array>
#include <map>

#include "exchange/internal/readers.h"

namespace weijian::exchange::internal {

namespace {

enum Column {
  kDe,
  kPe,
  kOu,
  kCoc,
  kAoc,
  kValue,
  kStoredBy,
  kLastUpdated,
  kComment,
  kFollowup,
  kDeleted,
  kDataSet,
  kCreated
};
const std::map<std::string, Column> kColumns = {{"dataelement", kDe},
                                                {"period", kPe},
                                                {"orgunit", kOu},
                                                {"catoptcombo", kCoc},
                                                {"categoryoptioncombo", kCoc},
                                                {"attroptcombo", kAoc},
                                                {"attributeoptioncombo", kAoc},
                                                {"attroptioncombo", kAoc},
                                                {"timestamp", kLastUpdated},
                                                {"created", kCreated},
                                                {"dataset", kDataSet},
                                                {"value", kValue},
                                                {"storedby", kStoredBy},
                                                {"lastupdated", kLastUpdated},
                                                {"comment", kComment},
                                                {"followup", kFollowup},
                                                {"deleted", kDeleted}};

class CsvReader {
 public:
  CsvReader(ByteSource& source, RowSink& sink, bool first_row_is_header)
      : in_(source), sink_(sink), first_row_is_header_(first_row_is_header) {}

  Status Run() {
    in_.SkipBom();
    if (in_.bad_bom()) return Fail("the file starts with a broken byte-order mark");
    std::vector<std::string> fields;
    bool more = true;
    WJ_ASSIGN_OR_RETURN(more, ReadRecord(fields));
    if (!more && fields.size() == 1 && fields[0].empty()) return Fail("the file is empty");
    // The first row is data when the caller says so, or when it names no column at all (a
    // header-less file, which DHIS2 reads by position).
    bool first_is_data = !first_row_is_header_ || !NamesAColumn(fields);
    if (first_is_data) {
      header_size_ = kPositional.size();
      column_of_.assign(kPositional.begin(), kPositional.end());
      positional_ = true;
    } else {
      WJ_RETURN_IF_ERROR(Header(fields));
    }
    std::int64_t index = 0;
    while (true) {
      if (first_is_data) {
        first_is_data = false;  // `fields` holds the first row already
      } else {
        WJ_ASSIGN_OR_RETURN(more, ReadRecord(fields));
      }
      if (fields.size() == 1 && fields[0].empty()) {
        if (!more) break;
        continue;  // blank line
      }
      if (!fields.empty()) {
        Row row;
        if (fields.size() > header_size_) {
          row.problem = "the row has " + std::to_string(fields.size()) + " columns, " +
                        (positional_ ? std::string("DHIS2's CSV ") : std::string("the header ")) +
                        std::to_string(header_size_);
          row.problem_field = "row";
        } else {
          // A shorter row leaves the remaining columns empty.
          for (std::size_t i = 0; i < fields.size(); ++i) {
            auto c = column_of_[i];
            if (c < 0) continue;
            std::string& f = fields[i];
            switch (static_cast<Column>(c)) {
              case kDe:
                row.in.data_element = std::move(f);
                break;
              case kPe:
                row.in.period = std::move(f);
                break;
              case kOu:
                row.in.org_unit = std::move(f);
                break;
              case kCoc:
                row.in.category_option_combo = std::move(f);
                break;
              case kAoc:
                row.in.attribute_option_combo = std::move(f);
                break;
              case kValue:
                row.in.value = std::move(f);
                break;
              case kComment:
                row.in.comment = std::move(f);
                break;
              case kFollowup:
              case kDeleted:
                if (!f.empty()) {
                  auto b = ParseDhis2Bool(f);
                  if (!b) {
                    row.problem = "\"" + f + "\" is not true or false";
                    row.problem_field = c == kFollowup ? "followup" : "deleted";
                  } else if (c == kFollowup) {
                    row.in.followup = *b;
                  } else {
                    row.deleted = *b;
                  }
                }
                break;
              case kStoredBy:
              case kLastUpdated:
              case kCreated:
                break;  // kept by the store itself
              case kDataSet:
                break;  // a value's data set follows from its element and unit
            }
          }
        }
        WJ_RETURN_IF_ERROR(sink_.Add(index++, row));
      }
      if (!more) break;
    }
    if (!in_.error().ok()) return in_.error();
    return Status::Ok();
  }

 private:
  Status Fail(const std::string& why) {
    if (!in_.error().ok()) return in_.error();
    return InvalidArgument("the CSV cannot be read: " + why + " (line " + std::to_string(line_) +
                           ")");
  }

  static std::string Normalise(const std::string& name) {
    std::string n;
    for (char c : name)
      if (c != ' ' && c != '_') n += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return n;
  }

  static bool NamesAColumn(const std::vector<std::string>& fields) {
    for (const auto& f : fields)
      if (kColumns.count(Normalise(f))) return true;
    return false;
  }

  Status Header(const std::vector<std::string>& names) {
    header_size_ = names.size();
    column_of_.assign(names.size(), -1);
    std::vector<bool> seen(kCreated + 1, false);
    for (std::size_t i = 0; i < names.size(); ++i) {
      std::string n = Normalise(names[i]);
      auto it = kColumns.find(n);
      if (it == kColumns.end()) {
        if (i == 0)
          return Fail(
              "the first line must be the header (dataelement,period,orgunit,"
              "catoptcombo,attroptcombo,value,…); found \"" +
              names[i] + "\"");
        return Fail("unknown column \"" + names[i] + "\" in the header");
      }
      column_of_[i] = it->second;
      seen[it->second] = true;
    }
    for (Column required : {kDe, kPe, kOu, kValue})
      if (!seen[required]) {
        for (const auto& [name, c] : kColumns)
          if (c == required) return Fail("the header has no \"" + name + "\" column");
      }
    return Status::Ok();
  }

  // Reads one record into fields; returns false when the input ended after it. Unquoted text is
  // copied a run at a time from the scanner's buffer.
  Result<bool> ReadRecord(std::vector<std::string>& fields) {
    fields.clear();
    fields.emplace_back();
    ++line_;
    bool quoted = false, was_quoted = false;
    while (true) {
      std::string_view w = in_.Window();
      if (w.empty()) {
        if (quoted) return Fail("a quoted field is not closed");
        WJ_RETURN_IF_ERROR(CheckUtf8(fields));
        return false;
      }
      if (!quoted) {
        std::size_t i = 0;
        while (i < w.size() && w[i] != ',' && w[i] != '\n' && w[i] != '\r' && w[i] != '"') ++i;
        if (i > 0) {
          if (was_quoted) return Fail("text after the closing quote of a field");
          fields.back().append(w.data(), i);
          in_.Consume(i);
          continue;
        }
      }
      int c = in_.Get();
      if (quoted) {
        if (c == '"') {
          if (in_.Peek() == '"') {
            in_.Get();
            fields.back().push_back('"');
          } else {
            quoted = false;
          }
        } else {
          if (c == '\n') ++line_;
          fields.back().push_back(static_cast<char>(c));
        }
        continue;
      }
      if (c == ',') {
        // DHIS2's CSV has 11 columns; a line of commas must not become millions of strings
        // (50 MB of commas held 2.2 GB).
        if (fields.size() == kMaxFields)
          return Fail("a row has more than " + std::to_string(kMaxFields) + " columns");
        fields.emplace_back();
        was_quoted = false;
      } else if (c == '\r') {
        if (in_.Peek() != '\n') return Fail("a lone carriage return");
      } else if (c == '\n') {
        WJ_RETURN_IF_ERROR(CheckUtf8(fields));
        return true;
      } else {  // '"'
        if (!fields.back().empty() || was_quoted)
          return Fail(
              "a quote in the middle of a field (quote the whole field and double the "
              "quotes inside it)");
        quoted = was_quoted = true;
      }
    }
  }

  Status CheckUtf8(const std::vector<std::string>& fields) {
    for (const auto& f : fields) {
      // Most fields are codes and numbers: plain ASCII needs no validator call.
      unsigned char high = 0;
      for (char c : f) high |= static_cast<unsigned char>(c);
      if ((high & 0x80) && !IsValidUtf8(f))
        return Fail("the text is not valid UTF-8 (save the file as UTF-8)");
    }
    return Status::Ok();
  }

  static constexpr std::size_t kMaxFields = 256;
  static constexpr std::array<int, 11> kPositional = {
      kDe, kPe, kOu, kCoc, kAoc, kValue, kStoredBy, kLastUpdated, kComment, kFollowup, kDeleted};

  Scanner in_;
  RowSink& sink_;
  bool first_row_is_header_;
  bool positional_ = false;
  std::size_t header_size_ = 0;
  std::vector<int> column_of_;
  std::int64_t line_ = 0;
};

}  // namespace

Status ReadCsv(ByteSource& source, RowSink& sink, bool first_row_is_header) {
  return CsvReader(source, sink, first_row_is_header).Run();
}

}  // namespace weijian::exchange::internal
