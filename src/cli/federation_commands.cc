// `weijian federation add|list|push` (issue 16 item 6): the lower side of federation; see
// exchange/federation.h for the batches, the outbox and what the upper side does with them.
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include "cli/commands.h"
#include "core/date.h"
#include "exchange/data_values.h"
#include "exchange/federation.h"
#include "http/app.h"
#include "http/client.h"
#include "metadata/catalog.h"

namespace weijian::cli {

int RunFederationAdd(const FederationAddOptions& o) {
  auto store = OpenExisting(o.db);
  if (!store.ok()) return Fail(store.status());
  auto cat = metadata::Catalog::Load(**store);
  if (!cat.ok()) return Fail(cat.status());
  exchange::TargetSpec spec;
  spec.url = o.to;
  spec.token_file = std::filesystem::absolute(o.token_file).string();
  spec.data_sets = o.data_sets;
  spec.level = o.level;
  spec.format = o.format;
  spec.source = o.source;
  const char* user = std::getenv("USER");
  spec.user = std::string("cli:") + (user && *user ? user : "unknown");
  auto t = exchange::AddFederationTarget(spec, **cat, **store);
  if (!t.ok()) return Fail(t.status());
  std::cout << t->uid << '\t' << t->url << '\t' << t->source << '\n';
  return 0;
}

int RunFederationList(const std::string& db) {
  auto store = OpenExisting(db);
  if (!store.ok()) return Fail(store.status());
  auto cat = metadata::Catalog::Load(**store);
  if (!cat.ok()) return Fail(cat.status());
  auto j = exchange::FederationTargets(**store, **cat);
  if (!j.ok()) return Fail(j.status());
  std::cout << j->dump(2) << '\n';
  return 0;
}

int RunFederationPush(const FederationPushOptions& o) {
  auto store = OpenExisting(o.db);
  if (!store.ok()) return Fail(store.status());
  auto cat = metadata::Catalog::Load(**store);
  if (!cat.ok()) return Fail(cat.status());
  exchange::DataValueService values(**store);
  exchange::PushOptions options;
  options.dry_run = o.dry_run;
  options.retry_refused = o.retry_refused;
  options.log = [](const std::string& line) { std::cerr << "weijian: " << line << '\n'; };
  // The crash test's kill point: after the N-th POST is answered, before its row is marked
  // (the worst moment: the upper side has the batch, the outbox does not know).
  if (const char* kill = std::getenv("WEIJIAN_FEDERATION_KILL_AFTER_POST")) {
    const int n = std::atoi(kill);
    options.after_post = [n](int posted) {
      if (posted == n) std::raise(SIGKILL);
    };
  }
  auto report = exchange::PushFederation(
      **store, **cat, values, options,
      [](const std::string& url, const auto& headers, const std::string& body) {
        return http::HttpPost(url, headers, body);
      });
  if (!report.ok()) return Fail(report.status());
  nlohmann::json j = {{"dryRun", o.dry_run},
                      {"queued", report->queued},
                      {"sent", report->sent},
                      {"unchanged", report->unchanged},
                      {"refused", report->refused},
                      {"failed", report->failed},
                      {"stillRefused", report->still_refused},
                      {"superseded", report->superseded},
                      {"values", report->values},
                      {"batches", report->batches}};
  std::cout << j.dump(2) << '\n';
  // 1 while any batch is undelivered for a refusal (this run's or an earlier one's: fixed at
  // the upper side, `--retry-refused` sends them again) or waits after a failure.
  return report->refused || report->failed || report->still_refused ? 1 : 0;
}

struct FederationSchedule::State {
  explicit State(http::App& a) : app(a) {}
  http::App& app;
  std::mutex mu;
  std::condition_variable cv;  // with mu
  bool stop = false;           // guarded by mu
  std::thread thread;
};

FederationSchedule::FederationSchedule(http::App& app) : state_(std::make_unique<State>(app)) {
  State& s = *state_;
  s.thread = std::thread([&s] {
    // Looks every 30 s whether a push is due; the lease (held for one interval) makes the
    // servers on one database take turns instead of pushing together.
    std::int64_t next = 0;
    std::unique_lock lock(s.mu);
    while (!s.cv.wait_for(lock, std::chrono::seconds(30), [&] { return s.stop; })) {
      lock.unlock();
      auto settings = s.app.SiteSettings();
      const int minutes =
          settings.ok() ? std::atoi((*settings)["federation.push_interval"].c_str()) : 0;
      const std::int64_t now = NowMillis();
      if (minutes > 0 && now >= next) {
        const std::int64_t interval = std::int64_t{minutes} * 60'000;
        auto taken = s.app.store().TakeJobLease("federation.push", s.app.store().ChangeOrigin(),
                                                now, interval - 5'000);
        if (taken.ok() && *taken) {
          exchange::PushOptions options;
          options.log = [](const std::string& line) {
            std::cerr << "weijian: federation: " << line << '\n';
          };
          auto cat = s.app.catalog();
          auto report = exchange::PushFederation(
              s.app.store(), *cat, s.app.values(), options,
              [](const std::string& url, const auto& headers, const std::string& body) {
                return http::HttpPost(url, headers, body);
              });
          if (!report.ok())
            std::cerr << "weijian: federation: " << report.status().message() << '\n';
        }
        next = now + interval;
      }
      lock.lock();
    }
  });
}

FederationSchedule::~FederationSchedule() {
  {
    std::lock_guard lock(state_->mu);
    state_->stop = true;
  }
  state_->cv.notify_all();
  if (state_->thread.joinable()) state_->thread.join();
}

}  // namespace weijian::cli
