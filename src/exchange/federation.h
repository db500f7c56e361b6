// Federation (issue 16 item 6): a county instance pushes its approved aggregates to the instance
// above (县 → 市 → 省), over that instance's own /api/dataValueSets, as DHIS2 JSON or ADX, so a
// county could push to a DHIS2 as well.
//
// The batch. One batch is one data set × one approved unit × one period of the data set's
// approval workflow, at one approval stamp (the approval's time, ms). Its payload is the data
// set's values in the unit's subtree within the period (summed to one org unit level when the
// target says so); its identity travels in headers a DHIS2 ignores:
//   X-Federation-Source    the lower instance's name at the upper side (set by `federation add`)
//   X-Federation-Data-Set, X-Federation-Period, X-Federation-Org-Unit   (codes, else uids)
//   X-Federation-Stamp     the approval's time in ms
//   X-Federation-Action    push (default) or retract
// The upper side keys batches by source = the pushing user (its API token's) + "/" + the
// X-Federation-Source, so one county can never replace or retract another's batches.
//
// Upper side (ReceiveFederatedBatch): a push whose stamp is the one standing changes nothing and
// is answered as UNCHANGED (200); an older one as SUPERSEDED (200); a newer one is imported as
// any import (scope, closed periods, approvals above, unknown units: DHIS2 conflicts, 409, nothing
// written) and, in the same transaction, deletes the values that earlier pushes of this batch
// key wrote (provenance: the data value's import_id) and the new payload no longer has; a
// retraction deletes them all. Every batch received is kept as a receipt (fed_receipt).
//
// Lower side (PlanFederation, PushFederation): an outbox (fed_outbox) with a state per batch. A
// plan compares the approvals with the outbox in one transaction and queues what changed (a
// push for a new stamp, a retraction for an unapproval); a push sends the PENDING rows in order
// and marks each SENT only after the upper side's 2xx. Killed at any point, the next push sends
// what is still PENDING again; the upper side's stamp check makes a second delivery change
// nothing: no duplicate, no gap. A refusal (409 with conflicts, 4xx) is kept as REFUSED with the
// upper side's answer for the workbench; network errors and 5xx are retried with back-off.
//
// Workload: a county-year is ≈10^6 values in ≈10^2–10^3 batches (data sets × months × units).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "exchange/import.h"

namespace weijian::exchange {

// --- upper side ---
struct FederatedBatch {
  std::string source;    // X-Federation-Source
  std::string data_set;  // uid or code
  std::string period;    // the workflow's period
  std::string org_unit;  // uid or code
  std::int64_t stamp = 0;
  bool retract = false;
};
// The batch a request's headers name (header names lower-cased), nullopt when it names none;
// InvalidArgument naming the header when one is missing or malformed.
Result<std::optional<FederatedBatch>> FederatedBatchFromHeaders(
    const std::function<std::string(const std::string&)>& header);

struct FederatedReceipt {
  ImportSummary summary;
  std::string outcome;  // APPLIED, UNCHANGED, SUPERSEDED, REFUSED
};
// Receives one batch (see above). `options` as for an import by the caller (user, can_write,
// writer level, audit); the batch's unit must lie within can_write.
Result<FederatedReceipt> ReceiveFederatedBatch(const FederatedBatch& batch, const Opener& open,
                                               ImportFormat format, const ImportOptions& options,
                                               const Catalog& catalog, DataValueService& values);
// The upper side's view for the workbench: per source, its last push, lag and failures, the
// receipts of units `readable` lets through (last 90 days).
Result<nlohmann::json> FederationSources(storage::Store& store, const Catalog& catalog,
                                         const std::function<bool(std::int64_t)>& readable,
                                         std::int64_t now);

// --- lower side ---
struct HttpExchange {
  int status = 0;  // 0: no answer (the error says why)
  std::string body;
  std::string error;
};
// Sends one request: POST `url` with headers and body. Given by the caller (src/http/client.h),
// so this layer needs no sockets.
using FederationTransport = std::function<HttpExchange(
    const std::string& url, const std::map<std::string, std::string>& headers,
    const std::string& body)>;

struct TargetSpec {
  std::string url;
  std::string token_file;
  std::vector<std::string> data_sets;  // uid or code
  int level = 0;
  std::string format = "json";
  std::string source;  // empty: the code of the instance's top unit
  std::string user = "cli";
};
// Checks and stores a target: the address (http://host[:port]), the token file (readable, not
// empty, not readable by others), the data sets (each with an approval workflow), the level.
// Errors name the option.
Result<storage::FedTargetRecord> AddFederationTarget(const TargetSpec& spec, const Catalog& catalog,
                                                     storage::Store& store);

struct PushOptions {
  bool dry_run = false;        // plan and build, queue and send nothing
  bool retry_refused = false;  // send REFUSED batches of the current stamp again
  int max_attempts = 4;        // per batch and run, before it waits for the next run
  int base_delay_ms = 500;     // back-off: base, 2×base, 4×base … (capped at a minute)
  // Called after each POST answered, with the number of batches posted so far in this run
  // (before the row is marked): the crash test's kill point.
  std::function<void(int posted)> after_post;
  std::function<void(const std::string& line)> log;  // progress, one line per batch
  std::int64_t now_millis = 0;                       // 0: the clock
};
struct PushReport {
  int queued = 0, sent = 0, unchanged = 0, refused = 0, failed = 0, superseded = 0;
  int still_refused = 0;  // refused batches in the outboxes after the run, this run's and earlier
  std::int64_t values = 0;
  nlohmann::json batches = nlohmann::json::array();  // a dry run's plan, or what was sent
};
// Plans (queues what the approvals changed) and sends the PENDING batches of every target.
Result<PushReport> PushFederation(storage::Store& store, const Catalog& catalog,
                                  DataValueService& values, const PushOptions& options,
                                  const FederationTransport& transport);
// The lower side's view for the workbench: targets with their last push, pending batches and
// failures (with the upper side's conflicts).
Result<nlohmann::json> FederationTargets(storage::Store& store, const Catalog& catalog);

}  // namespace weijian::exchange
