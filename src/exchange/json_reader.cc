// DHIS2 dataValueSet JSON, streamed: a small scanner walks the top-level object; the dataValues
// array is cut into batches of complete objects (a few MB each) that simdjson parses at full
// speed, so a 2 GB file needs a few MB of memory.
#include <simdjson.h>

#include <algorithm>
#include <set>

#include "exchange/internal/readers.h"

namespace weijian::exchange::internal {

namespace {

constexpr std::size_t kJsonBatchBytes = 4 << 20;

struct JsonHeader {
  std::string period, org_unit, aoc, data_set, complete_date;
  // The payload's own id schemes ("dataElementIdScheme": "ATTRIBUTE:…"), as (option, value).
  std::vector<std::pair<std::string, std::string>> schemes;
};

bool IsSchemeKey(const std::string& key) {
  return key == "idScheme" || key == "dataElementIdScheme" || key == "orgUnitIdScheme" ||
         key == "categoryOptionComboIdScheme" || key == "dataSetIdScheme";
}

class JsonReader {
 public:
  // With `sink` null the reader only collects the header, skipping the values.
  JsonReader(ByteSource& source, RowSink* sink, JsonHeader header)
      : in_(source), sink_(sink), header_(std::move(header)) {}
  const JsonHeader& header() const { return header_; }
  // In a one-pass read: a header field the rows rely on came after "dataValues".
  bool header_came_late() const { return header_came_late_; }

  Status Run() {
    // Schemes a header pass found (they came after the values): before any row.
    if (sink_)
      for (const auto& [name, value] : header_.schemes)
        WJ_RETURN_IF_ERROR(sink_->PayloadScheme(name, value));
    in_.SkipBom();
    SkipSpace();
    if (in_.Peek() < 0) return Fail("the file is empty");
    if (in_.Get() != '{') return Fail("a dataValueSet must be a JSON object starting with {");
    SkipSpace();
    if (in_.Peek() == '}') {
      in_.Get();
      return End();
    }
    std::set<std::string> seen;  // DHIS2 (Jackson, FAIL_ON_DUPLICATE) refuses a key given twice
    while (true) {
      SkipSpace();
      std::string key;
      WJ_RETURN_IF_ERROR(ReadRawString(key));
      SkipSpace();
      if (in_.Get() != ':') return Fail("expected ':' after \"" + key + "\"");
      if (!seen.insert(key).second)
        return Conflict("键 \"" + key + "\" 在数据值集中出现了两次；请只保留一个", key);
      SkipSpace();
      if (key == "dataValues") {
        WJ_RETURN_IF_ERROR(ReadValues());
      } else {
        std::string raw;
        WJ_RETURN_IF_ERROR(ReadRawValue(raw));
        WJ_RETURN_IF_ERROR(Header(key, raw));
      }
      SkipSpace();
      int c = in_.Get();
      if (c == ',') continue;
      if (c == '}') break;
      return Fail(c < 0 ? "the JSON ends in the middle"
                        : "expected ',' or '}' in the dataValueSet");
    }
    return End();
  }

 private:
  Status End() {
    SkipSpace();
    if (in_.Peek() >= 0) return Fail("unexpected text after the dataValueSet");
    if (!in_.error().ok()) return in_.error();
    return Status::Ok();
  }

  Status Fail(const std::string& why) {
    if (!in_.error().ok()) return in_.error();
    return InvalidArgument("the JSON cannot be read: " + why + " (at byte " +
                           std::to_string(in_.offset()) + ", after row " + std::to_string(rows_) +
                           ")");
  }

  void SkipSpace() {
    while (true) {
      int c = in_.Peek();
      if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
        in_.Get();
      else
        return;
    }
  }

  // Copies one JSON string (with its quotes) into out.
  Status CopyString(std::string& out) {
    if (in_.Get() != '"') return Fail("expected a string");
    out.push_back('"');
    while (true) {
      int c = in_.Get();
      if (c < 0) return Fail("the JSON ends inside a string");
      out.push_back(static_cast<char>(c));
      if (c == '\\') {
        int e = in_.Get();
        if (e < 0) return Fail("the JSON ends inside a string");
        out.push_back(static_cast<char>(e));
      } else if (c == '"') {
        return Status::Ok();
      }
    }
  }

  Status ReadRawString(std::string& key) {
    std::string raw;
    WJ_RETURN_IF_ERROR(CopyString(raw));
    std::string_view view(raw);
    key = std::string(view.substr(1, view.size() - 2));
    return Status::Ok();
  }

  // Copies one complete JSON value (object, array, string, number, literal) into out, or skips
  // it when out is null.
  Status ReadRawValue(std::string& out) { return CopyValue(&out); }

  Status CopyValue(std::string* out) {
    int c = in_.Peek();
    if (c == '"') {
      if (out) return CopyString(*out);
      std::string ignored;
      return CopyString(ignored);
    }
    if (c == '{' || c == '[') {
      // Objects and arrays are scanned a buffer at a time: this loop sees every byte of a
      // multi-gigabyte file, so it avoids a function call per byte.
      int depth = 0;
      bool in_string = false, escaped = false;
      while (true) {
        std::string_view w = in_.Window();
        if (w.empty()) return Fail("the JSON ends in the middle");
        std::size_t i = 0;
        bool done = false;
        for (; i < w.size(); ++i) {
          char ch = w[i];
          if (in_string) {
            if (escaped)
              escaped = false;
            else if (ch == '\\')
              escaped = true;
            else if (ch == '"')
              in_string = false;
          } else if (ch == '"') {
            in_string = true;
          } else if (ch == '{' || ch == '[') {
            ++depth;
          } else if (ch == '}' || ch == ']') {
            if (--depth == 0) {
              ++i;
              done = true;
              break;
            }
          }
        }
        if (out) out->append(w.data(), i);
        in_.Consume(i);
        if (done) return Status::Ok();
      }
    }
    std::string literal;
    while (true) {
      c = in_.Peek();
      if (c < 0 || c == ',' || c == '}' || c == ']' || c == ' ' || c == '\n' || c == '\r' ||
          c == '\t')
        break;
      literal.push_back(static_cast<char>(in_.Get()));
    }
    if (literal.empty()) return Fail("expected a value");
    if (out) out->append(literal);
    return Status::Ok();
  }

  Status Header(const std::string& key, const std::string& raw) {
    if (values_seen_ && (key == "period" || key == "orgUnit" || key == "attributeOptionCombo"))
      header_came_late_ = true;
    simdjson::padded_string padded(raw);
    simdjson::dom::element e;
    if (parser_.parse(padded).get(e)) return Fail("the value of \"" + key + "\" is not valid JSON");
    auto text = [&](std::string& target) -> Status {
      if (e.is_null()) return Status::Ok();
      std::string_view sv;
      if (e.get_string().get(sv))
        return InvalidArgument("\"" + key + "\" must be a string in the dataValueSet header");
      target = std::string(sv);
      return Status::Ok();
    };
    if (key == "period") return text(header_.period);
    if (key == "orgUnit") return text(header_.org_unit);
    if (key == "attributeOptionCombo") return text(header_.aoc);
    if (key == "dataSet") return text(header_.data_set);
    if (key == "completeDate" || key == "completedDate") return text(header_.complete_date);
    if (IsSchemeKey(key)) {
      std::string value;
      WJ_RETURN_IF_ERROR(text(value));
      if (value.empty()) return Status::Ok();
      if (values_seen_) {
        header_came_late_ = true;  // the rows needed it: read again, header first
      } else if (sink_) {
        WJ_RETURN_IF_ERROR(sink_->PayloadScheme(key, value));
        return Status::Ok();
      }
      header_.schemes.push_back({key, value});
      return Status::Ok();
    }
    // Other DHIS2 header fields (href, …) carry nothing for the values.
    return Status::Ok();
  }

  Status ReadValues() {
    values_seen_ = true;
    if (!sink_) {  // header pass: check the shape, keep nothing
      if (in_.Peek() != '[') return Fail("\"dataValues\" must be an array");
      return CopyValue(nullptr);
    }
    if (in_.Get() != '[') return Fail("\"dataValues\" must be an array");
    // One buffer for every batch: allocating 4 MB per batch would cost a page fault per 4 KB.
    std::string& batch = batch_;
    batch.assign("[");
    std::size_t objects = 0;
    while (true) {
      SkipSpace();
      int c = in_.Peek();
      if (c == ']') {
        in_.Get();
        break;
      }
      if (c < 0) return Fail("the JSON ends inside \"dataValues\"");
      if (c != '{') return Fail("each entry of \"dataValues\" must be an object");
      if (objects) batch.push_back(',');
      WJ_RETURN_IF_ERROR(ReadRawValue(batch));
      ++objects;
      SkipSpace();
      c = in_.Get();
      if (c == ']') break;
      if (c != ',')
        return Fail(c < 0 ? "the JSON ends inside \"dataValues\"" : "expected ',' between values");
      if (batch.size() >= kJsonBatchBytes) {
        batch.push_back(']');
        WJ_RETURN_IF_ERROR(ParseBatch(batch));
        batch.assign("[");
        objects = 0;
      }
    }
    batch.push_back(']');
    return ParseBatch(batch);
  }

  Status ParseBatch(std::string& batch) {
    // simdjson reads a little past the end; give it the padding inside our own buffer.
    const std::size_t len = batch.size();
    batch.reserve(len + simdjson::SIMDJSON_PADDING);
    simdjson::ondemand::document doc;
    auto err = ondemand_.iterate(batch.data(), len, batch.capacity()).get(doc);
    if (err)
      return Fail(std::string("the values are not valid JSON: ") + simdjson::error_message(err));
    simdjson::ondemand::array arr;
    if ((err = doc.get_array().get(arr)))
      return Fail(std::string("the values are not valid JSON: ") + simdjson::error_message(err));
    for (auto item : arr) {
      simdjson::ondemand::object obj;
      if ((err = item.get_object().get(obj)))
        return Fail(std::string("a value is not valid JSON: ") + simdjson::error_message(err));
      Row row;
      std::uint32_t seen = 0;  // bit i: the i-th known key was read in this object
      std::vector<std::string> other_keys;
      row.in.period = header_.period;
      row.in.org_unit = header_.org_unit;
      row.in.attribute_option_combo = header_.aoc;
      for (auto field : obj) {
        std::string_view key;
        if ((err = field.unescaped_key().get(key)))
          return Fail(std::string("a key is not valid JSON: ") + simdjson::error_message(err));
        {
          // A key given twice in one data value refuses the payload (DHIS2 answers 409).
          static constexpr std::string_view kKnown[] = {"dataElement",
                                                        "period",
                                                        "orgUnit",
                                                        "categoryOptionCombo",
                                                        "attributeOptionCombo",
                                                        "value",
                                                        "comment",
                                                        "followup",
                                                        "followUp",
                                                        "deleted",
                                                        "storedBy",
                                                        "created",
                                                        "lastUpdated",
                                                        "timestamp"};
          bool twice = false;
          std::size_t k = 0;
          for (; k < std::size(kKnown); ++k)
            if (kKnown[k] == key) break;
          if (k < std::size(kKnown)) {
            twice = seen & (1u << k);
            seen |= 1u << k;
          } else {
            twice = std::find(other_keys.begin(), other_keys.end(), key) != other_keys.end();
            other_keys.emplace_back(key);
          }
          if (twice)
            return Conflict("第 " + std::to_string(rows_ + 1) + " 行（dataValues[" +
                                std::to_string(rows_) + "]）中键 \"" + std::string(key) +
                                "\" 出现了两次；请只保留一个",
                            "dataValues[" + std::to_string(rows_) + "]." + std::string(key));
        }
        simdjson::ondemand::value v;
        if ((err = field.value().get(v)))
          return Fail(std::string("a value is not valid JSON: ") + simdjson::error_message(err));
        std::string* target = key == "dataElement"            ? &row.in.data_element
                              : key == "period"               ? &row.in.period
                              : key == "orgUnit"              ? &row.in.org_unit
                              : key == "categoryOptionCombo"  ? &row.in.category_option_combo
                              : key == "attributeOptionCombo" ? &row.in.attribute_option_combo
                              : key == "value"                ? &row.in.value
                              : key == "comment"              ? &row.in.comment
                                                              : nullptr;
        simdjson::ondemand::json_type type;
        if ((err = v.type().get(type)))
          return Fail(std::string("a value is not valid JSON: ") + simdjson::error_message(err));
        if (target) {
          if (type == simdjson::ondemand::json_type::string) {
            std::string_view sv;
            if ((err = v.get_string().get(sv)))
              return Fail(std::string("a string is not valid (") + simdjson::error_message(err) +
                          ")");
            *target = std::string(sv);
          } else if (type == simdjson::ondemand::json_type::number && key == "value") {
            std::string_view raw = v.raw_json_token();
            while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.back())))
              raw.remove_suffix(1);
            *target = std::string(raw);
          } else if (type != simdjson::ondemand::json_type::null) {
            row.problem = "\"" + std::string(key) + "\" must be a string";
            row.problem_field = std::string(key);
          }
        } else if (key == "followup" || key == "followUp" || key == "deleted") {
          bool b = false;
          if (type == simdjson::ondemand::json_type::boolean) {
            if ((err = v.get_bool().get(b))) return Fail("a boolean is not valid");
          } else if (type == simdjson::ondemand::json_type::string) {
            // DHIS2 (Jackson) also takes "true" / "false" as strings.
            std::string_view sv;
            std::optional<bool> parsed;
            if (!v.get_string().get(sv)) parsed = ParseDhis2Bool(sv);
            if (parsed) {
              b = *parsed;
            } else {
              row.problem = "\"" + std::string(key) + "\" must be true or false";
              row.problem_field = std::string(key);
            }
          } else if (type != simdjson::ondemand::json_type::null) {
            row.problem = "\"" + std::string(key) + "\" must be true or false";
            row.problem_field = std::string(key);
          }
          if (key == "deleted")
            row.deleted = b;
          else
            row.in.followup = b;
        } else if (key == "storedBy" || key == "created" || key == "lastUpdated" ||
                   key == "timestamp") {
          // Kept by the store itself: who wrote the value here, and when.
        } else {
          row.problem = "unknown field \"" + std::string(key) + "\"";
          row.problem_field = std::string(key);
        }
      }
      WJ_RETURN_IF_ERROR(sink_->Add(rows_++, row));
    }
    return Status::Ok();
  }

  Scanner in_;
  RowSink* sink_;
  JsonHeader header_;
  bool values_seen_ = false;
  bool header_came_late_ = false;
  std::string batch_;
  simdjson::dom::parser parser_;
  simdjson::ondemand::parser ondemand_;
  std::int64_t rows_ = 0;
};

}  // namespace

Status ReadJson(const Opener& open, RowSink& sink, bool header_pass, bool* retry_with_header_pass) {
  JsonHeader header;
  if (header_pass) {
    // Skips the values quickly (a byte scan, no parsing) to learn the header first: the keys of
    // a JSON object may come in any order.
    WJ_ASSIGN_OR_RETURN(auto first, open());
    JsonReader pass(*first, nullptr, {});
    WJ_RETURN_IF_ERROR(pass.Run());
    header = pass.header();
  }
  WJ_ASSIGN_OR_RETURN(auto source, open());
  JsonReader reader(*source, &sink, header);
  WJ_RETURN_IF_ERROR(reader.Run());
  if (!header_pass && reader.header_came_late()) {
    // The rows were read without the header that follows them: the caller starts over, with
    // the header pass. DHIS2 writes the header first, so this is rare.
    *retry_with_header_pass = true;
    return Status::Ok();
  }
  const JsonHeader& h = header_pass ? header : reader.header();
  if (!h.complete_date.empty() && !h.data_set.empty() && !h.period.empty() && !h.org_unit.empty())
    sink.Complete(h.data_set, h.period, h.org_unit);
  return Status::Ok();
}

}  // namespace weijian::exchange::internal
