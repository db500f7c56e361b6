// The portal's content: site settings, columns and articles (drafts, scheduled and published
// versions), with the rules an editor works under. Rendering lives in http/portal_handlers.cc.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "storage/store.h"

namespace weijian::portal {

// Columns: see portal/columns.h (the column tree lives in the store).

// Setting keys with their labels (for the admin form) and the defaults of a new site.
struct SettingField {
  const char* key;
  const char* label;
};
const std::vector<SettingField>& SettingFields();
// Stored settings over the defaults (their keys only: a store mark such as "demo_store" is not
// a setting).
Result<std::map<std::string, std::string>> LoadSettings(storage::Store& store);
// Only known keys; each value at most 200 characters of one line. Errors name the key.
// "footer_links" (not in SettingFields: the workbench edits it in its own form) takes the
// groups of CheckFooterLinks; message_*_days take whole days.
Status SaveSettings(storage::Store& store, const nlohmann::json& body);
// The footer's link groups (关于本网 …, 站群): [{"name", "links": [{"name", "url"}]}], at most
// 6 groups of 12 links, URLs http(s) or site-relative. Returns the groups with only those keys.
Result<nlohmann::json> CheckFooterLinks(const nlohmann::json& groups);
nlohmann::json DefaultFooterLinks();

// An editor's input: any field may be missing on an update.
struct ArticleInput {
  std::optional<std::string> column, title, body, source, author, editor;
};
Result<ArticleInput> ArticleInputFromJson(const nlohmann::json& body);

class Articles {
 public:
  explicit Articles(storage::Store& store) : store_(store) {}
  // A new draft.
  Result<storage::ArticleRecord> Create(const ArticleInput& in, const std::string& user,
                                        std::int64_t now);
  // Changes the working copy; a published article keeps showing its published version until
  // it is published again.
  Result<storage::ArticleRecord> Update(const std::string& uid, const ArticleInput& in,
                                        const std::string& user, std::int64_t now);
  // Publishes the working copy as a new version, now or at `publish_at` (scheduled).
  Result<storage::ArticleRecord> Publish(const std::string& uid, std::int64_t publish_at,
                                         const std::string& user, std::int64_t now);
  // Takes an article off the site (it becomes a draft again; its versions stay).
  Result<storage::ArticleRecord> Withdraw(const std::string& uid, const std::string& user,
                                          std::int64_t now);
  Result<storage::ArticleRecord> Get(const std::string& uid);
  // What the public sees of a published article: its last published version.
  Result<storage::ArticleRecord> Published(const std::string& uid, std::int64_t now);

 private:
  Status Validate(const storage::ArticleRecord& a) const;
  Result<std::int64_t> Save(storage::ArticleRecord& a, const storage::ArticleVersionRecord* v);
  storage::Store& store_;
};

nlohmann::json ArticleJson(const storage::ArticleRecord& a, bool with_body);

// Readers' views of articles, counted in memory and written to the store in one transaction
// every few seconds by a thread of its own, and at the end. A public page is a read: it must not
// wait for the store's writer (which an import holds while it applies its rows), and a page view
// was a write per reader. Counts not yet written are lost only if the process dies; several
// servers each add their own (views = views + n).
class ArticleViews {
 public:
  explicit ArticleViews(storage::Store& store,
                        std::chrono::milliseconds every = std::chrono::seconds(5));
  ~ArticleViews();  // stops the thread and writes what is left
  ArticleViews(const ArticleViews&) = delete;
  ArticleViews& operator=(const ArticleViews&) = delete;

  // One more view of `article_id`; returns the views of it not yet in the store, this one
  // included (the page shows the stored count plus these). Never waits for the store.
  std::int64_t Count(std::int64_t article_id);
  // Writes the counts so far (the thread calls it; tests and a stop too). Counts that cannot be
  // written are kept for the next time.
  Status Flush();
  // Counts the flushes that wrote views: a stored view count read before it changed is stale
  // (and the page, which adds Count to it, would show fewer views than before).
  std::uint64_t written() const { return written_.load(); }

 private:
  storage::Store& store_;
  const std::chrono::milliseconds every_;
  std::mutex mu_;
  std::map<std::int64_t, std::int64_t> pending_;  // guarded by mu_
  std::mutex flush_mu_;                           // one flush at a time (a pending batch is in one)
  std::condition_variable cv_;                    // with mu_
  bool stop_ = false;                             // guarded by mu_
  std::atomic<std::uint64_t> written_{0};
  std::thread thread_;  // last: started after the members above
};

// Attachments: what may be uploaded, and how big.
constexpr std::size_t kMaxAttachmentBytes = 10 * 1024 * 1024;
// The content type for an upload named `name` whose bytes start with `head`, checked against
// the name's extension (a .png must be a PNG). Error names the field "file".
Result<std::string> CheckAttachment(const std::string& name, std::string_view bytes);

}  // namespace weijian::portal
