// The format readers behind ImportDataValues: each turns a byte stream into rows for a RowSink.
#pragma once

#include <string>

#include "exchange/import.h"
#include "exchange/internal/adx_period.h"

namespace weijian::exchange::internal {

struct Row {
  DataValueInput in;
  bool deleted = false;  // a DHIS2 export row marked deleted: applied as a delete
  // A problem found while reading this row (a CSV row with the wrong number of columns): the row
  // becomes a conflict instead of a value.
  std::string problem;
  std::string problem_field;
};

class RowSink {
 public:
  virtual ~RowSink() = default;
  virtual Status Add(std::int64_t index, Row& row) = 0;
  // A form the payload marks complete (JSON header or ADX group with completeDate).
  virtual void Complete(const std::string& data_set, const std::string& period,
                        const std::string& org_unit) = 0;
  // An id scheme the payload names for itself (dataElementIdScheme="ATTRIBUTE:…" on a DXF2
  // root), read before any row: used unless the request gave id schemes of its own.
  virtual Status PayloadScheme(const std::string& name, const std::string& value) = 0;
};

// Each returns InvalidArgument for a payload that cannot be read at all.
// The header fields (period, orgUnit, attributeOptionCombo) may come after "dataValues" in a
// JSON object, and the values need them. Read in one pass first; when a header field turns out
// to follow the values, *retry_with_header_pass is set and the caller discards what it got and
// calls again with header_pass = true (a quick scan for the header, then the values).
Status ReadJson(const Opener& open, RowSink& sink, bool header_pass, bool* retry_with_header_pass);
// Without a header (first_row_is_header false, or a first row that names no column) the columns
// are DHIS2's, by position: dataelement, period, orgunit, catoptcombo, attroptcombo, value,
// storedby, lastupdated, comment, followup, deleted.
Status ReadCsv(ByteSource& source, RowSink& sink, bool first_row_is_header = true);
// Categories and options in group and value attributes are named by schemes.category and
// schemes.category_option (each also found by code or uid, whichever the file used).
Status ReadAdx(ByteSource& source, RowSink& sink, const Catalog& catalog,
               const IdSchemes& schemes = AdxDefaultSchemes());
// DHIS2 DXF2 XML (<dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0">).
Status ReadXml(ByteSource& source, RowSink& sink);

// Buffers a ByteSource for byte-at-a-time scanning; strips a leading UTF-8 byte-order mark.
class Scanner {
 public:
  explicit Scanner(ByteSource& source) : source_(source) {}
  // The next byte, or -1 at the end; a read error is remembered (see error()).
  int Get() {
    if (pos_ == len_ && !Fill()) return -1;
    return static_cast<unsigned char>(buf_[pos_++]);
  }
  int Peek() {
    if (pos_ == len_ && !Fill()) return -1;
    return static_cast<unsigned char>(buf_[pos_]);
  }
  // The unread bytes of the buffer, refilled when empty; empty only at the end. Readers scan
  // this span in a tight loop and Consume() what they used, instead of a call per byte.
  std::string_view Window() {
    if (pos_ == len_) Fill();
    return {buf_.get() + pos_, len_ - pos_};
  }
  void Consume(std::size_t n) { pos_ += n; }
  std::int64_t offset() const { return consumed_ + static_cast<std::int64_t>(pos_); }
  const Status& error() const { return error_; }
  void SkipBom() {
    if (Peek() == 0xEF) {
      Get();
      if (Get() != 0xBB || Get() != 0xBF) bad_bom_ = true;
    }
  }
  bool bad_bom() const { return bad_bom_; }

 private:
  bool Fill();
  ByteSource& source_;
  static constexpr std::size_t kBuf = 1 << 20;
  std::unique_ptr<char[]> buf_ = std::make_unique<char[]>(kBuf);
  std::size_t pos_ = 0, len_ = 0;
  std::int64_t consumed_ = 0;
  Status error_;
  bool bad_bom_ = false;
};

bool IsValidUtf8(std::string_view s);

// DHIS2's options beyond the core ones; false for a name it does not know.
Result<bool> ParseDhis2ImportOption(ImportOptions& o, const std::string& name,
                                    const std::string& value);

}  // namespace weijian::exchange::internal
