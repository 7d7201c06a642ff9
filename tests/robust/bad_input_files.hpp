// The files the bad-input suite feeds to `socrates`: written once per test process into a
// scratch folder (removed at exit).
#pragma once

#include <filesystem>
#include <string>

namespace socrates::test {

struct BadInputFiles {
  std::filesystem::path root;
  static const BadInputFiles& get();
  std::filesystem::path operator/(const std::string& name) const { return root / name; }
};

}  // namespace socrates::test
