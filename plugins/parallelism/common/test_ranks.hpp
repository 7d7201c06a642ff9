// Multi-process tests of the c10d plugins: the parent starts `world` fresh processes of the
// test binary itself (exec, never a bare fork after torch has run), each running one child
// test as a rank with the torchrun environment on loopback. A child writes what it saw to
// its output file; the parent reads them.
#pragma once

#include <string>
#include <vector>

namespace socrates::testing_ranks {

struct RankResult {
  int exit_code = -1;  // 128 + signal when killed; -1 when the parent had to kill it
  std::string output;  // what the rank wrote to SOCRATES_TR_OUT
};

/// Runs `world` ranks of the gtest `child_test` ("Suite.Name") with SOCRATES_TR_SCENARIO =
/// `scenario`; kills them all after `timeout_s`.
std::vector<RankResult> run_ranks(int world, const std::string& child_test, const std::string& scenario,
                                  double timeout_s = 60);

/// The scenario in a child, or "" in the parent.
std::string scenario();
/// Appends a line to this rank's output file.
void emit(const std::string& line);
/// A TCP port that was free a moment ago (loopback).
int free_port();

}  // namespace socrates::testing_ranks
