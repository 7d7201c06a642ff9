// Plugin errors through the real CLI: the throwing-* stub plugins throw from each method an
// exception of each kind, including a class that exists only in the plugin's code. Each one
// must reach the user as its message with exit 1 (3 for a non-std::exception), never a signal.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "bad_input_files.hpp"
#include "spawn_cli.hpp"

namespace fs = std::filesystem;
using ::testing::HasSubstr;

namespace socrates::test {

struct Throw {
  const char* command;  // "inspect" or "score"
  const char* slot;     // "dataset", "prompt", "evaluators[0]"
  const char* method;
  const char* kind;
};

std::ostream& operator<<(std::ostream& os, const Throw& t) {
  return os << t.command << "_" << t.slot << "_" << t.method << "_" << t.kind;
}

namespace {

// One exception class of the plugin's own from each method the commands call first, and every
// other kind from one method (each case is a process: the set is kept small for CI).
const Throw kThrows[] = {
    {"inspect", "dataset", "create", "custom"},    {"inspect", "dataset", "prepare", "custom"},
    {"inspect", "dataset", "get", "custom"},       {"inspect", "prompt", "tokenize", "custom"},
    {"inspect", "dataset", "prepare", "std"},      {"inspect", "dataset", "prepare", "config"},
    {"inspect", "dataset", "prepare", "int"},      {"score", "evaluators[0]", "evaluate", "custom"},
    {"score", "evaluators[0]", "create", "int"},
};

class PluginThrows : public ::testing::TestWithParam<Throw> {};

}  // namespace

TEST_P(PluginThrows, ReachesTheUserAsItsMessage) {
  const Throw& t = GetParam();
  const auto& files = BadInputFiles::get();
  const std::string slot = t.slot;
  std::vector<std::string> args;
  if (std::string(t.command) == "inspect") {
    args = {"data", "inspect", (files / "throwing.toml").string()};
  } else {
    args = {"score", "--predictions", (files / "preds-ok.jsonl").string(), "--config", (files / "throwing.toml").string()};
  }
  for (const std::string kv : {slot + ".throw_in=\"" + t.method + "\"", slot + ".kind=\"" + t.kind + "\""}) {
    args.push_back("--set");
    args.push_back(kv);
  }
  std::ostringstream name;
  name << t;
  const SpawnResult r = spawn_socrates(args, files / ("case-" + name.str()));
  ASSERT_FALSE(r.timed_out);
  ASSERT_EQ(r.signal, 0) << "killed by signal " << r.signal << "\n" << r.err;
  const std::string plugin = slot == "dataset" ? "throwing-dataset" : slot == "prompt" ? "throwing-prompt" : "throwing-evaluator";
  const bool wrapped = std::string(t.method) == "create";  // create's errors name the plugin
  if (std::string(t.kind) == "int") {
    EXPECT_EQ(r.status, wrapped ? 1 : 3) << r.err;
    EXPECT_THAT(r.err, HasSubstr(wrapped ? "unknown exception" : "not a std::exception"));
  } else {
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_THAT(r.err, HasSubstr(plugin + " threw in " + t.method));
  }
}

INSTANTIATE_TEST_SUITE_P(Cli, PluginThrows, ::testing::ValuesIn(kThrows), [](const auto& info) {
  std::ostringstream os;
  os << info.param;
  std::string s = os.str();
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return s;
});

}  // namespace socrates::test
