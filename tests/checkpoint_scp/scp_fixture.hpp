// Shared setup of the scp sink tests: a real sshd on 127.0.0.1 (not started: each test
// decides when), the plugin loaded through the real loader, and checkpoint folders made
// with the host's manifest writer.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "log_capture.hpp"
#include "socrates/checkpoint_sink.hpp"
#include "socrates/value.hpp"
#include "sshd_server.hpp"

namespace socrates::testing {

class ScpSinkTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  /// The sink's section: this server, its key and known_hosts, remote folder `remote_`,
  /// quick retries; `overrides` win. Defaults of the other options come from the plugin.
  Table options(const Table& overrides = {}) const;
  /// Creates the sink through the plugin loader, with `run_dir` (default run_dir_).
  std::shared_ptr<CheckpointSink> make_sink(const Table& overrides = {});
  std::shared_ptr<CheckpointSink> make_sink(const Table& overrides, const std::filesystem::path& run_dir);

  /// A complete checkpoint for `step` in staging/step-N (files of a few hundred KB, one
  /// with a quote, a space and a '$' in its name), plus a reference copy in expected/step-N.
  CheckpointRef make_checkpoint(std::int64_t step, std::map<std::string, double> metrics = {});
  /// put() as the trainer does it: the staging folder is deleted as soon as put returns.
  void put_and_discard(CheckpointSink& sink, std::int64_t step, std::map<std::string, double> metrics = {});

  /// Every file of a and b (recursively) has the same relative path and bytes.
  static ::testing::AssertionResult same_tree(const std::filesystem::path& a, const std::filesystem::path& b);
  /// The sink's folder name for `step`: "step-000000010".
  static std::string step_name(std::int64_t step);
  /// Inverts the bits of one byte of `file` (its size stays the same).
  static void flip_byte(const std::filesystem::path& file, std::size_t offset);
  /// The step-* and .tmp-* folders in `dir`, sorted.
  static std::vector<std::string> folders(const std::filesystem::path& dir);
  /// Spool entries (step-N folders) under run_dir/.upload-queue.
  std::vector<std::string> spooled() const;
  /// Waits up to 120 s for `cond`; false if it never held.
  static bool eventually(const std::function<bool()>& cond);

  std::filesystem::path tmp_, run_dir_, remote_;
  std::unique_ptr<SshdServer> sshd_;
  std::shared_ptr<CaptureSink> capture_;
  std::shared_ptr<spdlog::logger> logger_;
};

}  // namespace socrates::testing
