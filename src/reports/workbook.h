// A libxlsxwriter workbook written to a temporary file and handed back as bytes. Debian 12's
// libxlsxwriter (1.1.4) writes only to files (an in-memory buffer came in a later release), so
// every workbook weijian serves (reports, /api/analytics.xlsx, the due list) goes through here:
// the file gets a random name in the temporary folder and is removed however the work ends.
#pragma once

#include <xlsxwriter.h>

#include <string>

#include "core/status.h"

namespace weijian::reports {

class TempWorkbook {
 public:
  TempWorkbook();
  ~TempWorkbook();  // an unfinished workbook is closed and its file removed
  TempWorkbook(const TempWorkbook&) = delete;
  TempWorkbook& operator=(const TempWorkbook&) = delete;

  // The workbook to write into; null when the temporary folder refused the file.
  lxw_workbook* get() const { return wb_; }
  // Closes the workbook and returns the file's bytes (the file is removed).
  Result<std::string> Finish();

 private:
  std::string path_;
  lxw_workbook* wb_ = nullptr;
};

}  // namespace weijian::reports
