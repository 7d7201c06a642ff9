// Running the built `socrates` executable from a test: exit status, stdout and stderr.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace socrates::test {

struct CliResult {
  int status = -1;  // exit status; -1 when killed by a signal
  std::string out, err;
};

inline std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (const char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

/// Runs `socrates <args>` (args already shell-quoted where needed); stderr goes through a
/// file in `scratch`.
inline CliResult run_socrates(const std::string& args, const std::filesystem::path& scratch) {
  std::filesystem::create_directories(scratch);
  const std::filesystem::path err = scratch / "stderr.txt";
  const std::string cmd = shell_quote(SOCRATES_EXE) + " " + args + " 2>" + shell_quote(err.string());
  CliResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return r;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::ifstream in(err);
  std::stringstream ss;
  ss << in.rdbuf();
  r.err = ss.str();
  return r;
}

}  // namespace socrates::test
