// Checkpoint sink `scp`: copies every checkpoint to user@host:path over SSH (the system
// OpenSSH client), in the background, verified remotely, rotated remotely. See README.md.
#include <chrono>
#include <memory>
#include <thread>
#include <type_traits>

#include "remote_shell.hpp"
#include "remote_store.hpp"
#include "scp_options.hpp"
#include "socrates/checkpoint_sink.hpp"
#include "spool.hpp"
#include "upload_worker.hpp"

namespace fs = std::filesystem;

namespace {

using namespace socrates_scp;

const socrates_option kOptions[] = {
    {"host", SOCRATES_STRING, nullptr, "SSH server: host name, IP address or ~/.ssh/config alias", nullptr},
    {"user", SOCRATES_STRING, "\"\"", "Remote user; \"\" = ssh's default (~/.ssh/config, else the local user)", nullptr},
    {"port", SOCRATES_INT, "22", "SSH port", nullptr},
    {"path", SOCRATES_STRING, nullptr,
     "Remote folder for step-N checkpoints (created; relative = under the remote home); one folder per run", nullptr},
    {"identity_file", SOCRATES_PATH, "\"\"", "Private key for authentication; \"\" = ssh's default keys and agent",
     nullptr},
    {"known_hosts_file", SOCRATES_PATH, "\"\"",
     "known_hosts file the server's key is checked against; \"\" = ~/.ssh/known_hosts", nullptr},
    {"accept_unknown_hosts", SOCRATES_BOOL, "false",
     "Trust and record the key of a host missing from known_hosts (StrictHostKeyChecking=accept-new); a changed "
     "key is always refused",
     nullptr},
    {"ssh_options", SOCRATES_STRING_LIST, "[]", "Extra ssh -o options, \"Key=Value\" (e.g. \"ProxyJump=bastion\")",
     nullptr},
    {"keep_last", SOCRATES_INT, "3", "Keep the newest N checkpoints on the remote host (0 = all)", nullptr},
    {"keep_best", SOCRATES_STRING, "\"\"", "Also keep the best checkpoint by this metric (\"eval.loss\"); \"\" = off",
     nullptr},
    {"best_mode", SOCRATES_STRING, "\"min\"", "Whether lower (min) or higher (max) keep_best values are better",
     "min|max"},
    {"retries", SOCRATES_INT, "3", "Failed attempts logged as warnings before an upload failure is logged as an error",
     nullptr},
    {"backoff_seconds", SOCRATES_FLOAT, "2.0",
     "Pause after the first failed attempt; doubles with each failure, up to 300 s", nullptr},
    {"connect_timeout", SOCRATES_INT, "10", "Seconds ssh waits for the server to answer (ConnectTimeout)", nullptr},
    {"flush_timeout", SOCRATES_FLOAT, "1800",
     "Seconds the end of the run waits for the last uploads before giving up (they stay queued); 0 = forever",
     nullptr},
};

// The spool folder name: readable, and distinct per destination (and per rank).
std::string spool_name(const ScpOptions& o, const socrates::HostServices& host, int rank, int world_size) {
  std::string h = o.host;
  for (char& c : h)
    if (c == ':') c = '_';
  std::string name = h + "-" + std::to_string(o.port) + "-" + host.sha256(o.target()).substr(0, 8);
  if (world_size > 1) name += "-rank" + std::to_string(rank);
  return name;
}

class ScpSink final : public socrates::CheckpointSink {
 public:
  explicit ScpSink(const socrates::PluginContext& ctx)
      : o_(parse_options(ctx.config)), log_(ctx.logger), host_(require_host(ctx)), remote_(o_, *host_, log_, nullptr) {
    if (o_.accept_unknown_hosts)
      log_->warn("scp sink: accept_unknown_hosts = true: if {} is not in {}, the key it presents on the first "
                 "connection is trusted and recorded without any check. A man-in-the-middle on that connection "
                 "would receive your checkpoints. Prefer adding the key yourself (ssh-keyscan -p {} {}, then "
                 "compare its fingerprint with the server's) and leaving this option off.",
                 o_.host, o_.known_hosts_file.empty() ? "~/.ssh/known_hosts" : o_.known_hosts_file.string(), o_.port,
                 o_.host);
    if (!ctx.run_dir.empty()) {
      spool_ = std::make_unique<Spool>(fs::absolute(ctx.run_dir) / ".upload-queue" /
                                       spool_name(o_, *host_, ctx.rank, ctx.world_size));
      worker_ = std::make_unique<UploadWorker>(o_, *host_, log_, *spool_);
      worker_->start(spool_->recover());
    }
  }

  void put(const socrates::CheckpointRef& ckpt) override {
    if (!worker_)
      throw socrates::Error("scp sink: put() needs a run directory for its upload queue; this sink was created "
                            "without one (as `socrates validate` does)");
    if (!fs::is_regular_file(ckpt.dir / "manifest.json"))
      throw socrates::Error("scp sink: " + ckpt.dir.string() + " has no manifest.json; put() takes complete checkpoints");
    // A failed snapshot (full local disk) throws: the trainer treats it as a failed save.
    worker_->enqueue(ckpt.step, ckpt.dir, ckpt.metrics);
    log_->debug("scp sink: step {} queued for {}", ckpt.step, o_.target());
  }

  std::vector<socrates::CheckpointRef> list() override {
    const std::vector<RemoteCheckpoint> all = with_retries("listing checkpoints", [&] { return remote_.checkpoints(); });
    const std::vector<std::string> problems = with_retries("verifying checkpoints", [&] { return remote_.verify(all); });
    std::vector<socrates::CheckpointRef> out;
    for (std::size_t i = 0; i < all.size(); ++i) {
      if (problems[i].empty()) {
        out.push_back({all[i].step, remote_.location(all[i].step), all[i].metrics});
      } else {
        log_->warn("scp sink: skipping remote checkpoint {}: {}", remote_.location(all[i].step), problems[i]);
      }
    }
    return out;
  }

  void fetch(std::int64_t step, const fs::path& dest) override {
    with_retries("fetching step " + std::to_string(step), [&] {
      remote_.fetch(step, dest);
      return 0;
    });
    log_->info("scp sink: fetched step {} from {} into {} and verified it", step, remote_.location(step), dest.string());
  }

  void flush() override {
    if (worker_) worker_->flush();
  }

 private:
  static const socrates::HostServices* require_host(const socrates::PluginContext& ctx) {
    if (!ctx.host) throw socrates::Error("scp sink: the host did not provide HostServices (PluginContext::host)");
    return ctx.host;
  }

  // Runs fn, retrying TransportErrors with the sink's backoff (retries + 1 attempts in all).
  template <class Fn>
  std::invoke_result_t<Fn> with_retries(const std::string& what, Fn fn) {
    for (int attempt = 1;; ++attempt) {
      try {
        return fn();
      } catch (const TransportError& e) {
        if (attempt > o_.retries) throw;
        const double delay = std::min(o_.backoff_seconds * (1 << std::min(attempt - 1, 20)), UploadWorker::kMaxBackoffSeconds);
        log_->warn("scp sink: {} failed (attempt {} of {}), retrying in {:.3g} s: {}", what, attempt, o_.retries + 1,
                   delay, e.what());
        std::this_thread::sleep_for(std::chrono::duration<double>(delay));
      }
    }
  }

  ScpOptions o_;
  std::shared_ptr<spdlog::logger> log_;
  const socrates::HostServices* host_;
  RemoteStore remote_;  // for list() and fetch(), on the caller's thread
  std::unique_ptr<Spool> spool_;
  std::unique_ptr<UploadWorker> worker_;  // declared last: stopped before the spool goes
};

}  // namespace

SOCRATES_PLUGIN(socrates::CheckpointSink, ScpSink, "scp", "1.0.0",
                "Copies checkpoints to user@host:path over SSH (OpenSSH), in the background, verified and rotated remotely",
                kOptions);
