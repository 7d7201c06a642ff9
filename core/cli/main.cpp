// socrates: the host executable. Dispatches to the subcommands in cli/cmd_*.cpp.
#include <iostream>
#include <string>
#include <vector>

#include <c10/util/Exception.h>

#include "cli/cli.hpp"
#include "log/logging.hpp"
#include "socrates/error.hpp"

namespace {
void usage(std::ostream& os) {
  os << "usage: socrates <command> [options]   (socrates <command> --help for details)\n\ncommands:\n";
  for (const auto& c : socrates::cli::commands()) os << "  " << c.name << std::string(20 - std::string(c.name).size(), ' ') << c.summary << "\n";
}
}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    usage(args.empty() ? std::cerr : std::cout);
    return args.empty() ? 2 : 0;
  }
  if (args[0] == "--version") args[0] = "version";
  // Longest match: "plugins list" before "plugins".
  const socrates::cli::Command* cmd = nullptr;
  std::size_t words = 0;
  for (const auto& c : socrates::cli::commands()) {
    const std::string name = c.name;
    const auto sp = name.find(' ');
    const bool two = sp != std::string::npos;
    if (two ? (args.size() > 1 && args[0] == name.substr(0, sp) && args[1] == name.substr(sp + 1)) : args[0] == name) {
      cmd = &c;
      words = two ? 2 : 1;
    }
  }
  if (!cmd) {
    std::cerr << "socrates: unknown command '" << args[0] << (args.size() > 1 ? " " + args[1] : "") << "'\n\n";
    usage(std::cerr);
    return 2;
  }
  args.erase(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(words));
  auto log = socrates::host_logger();
  try {
    return cmd->run(args);
  } catch (const boost::program_options::error& e) {
    std::cerr << "socrates " << cmd->name << ": " << e.what() << " (see socrates " << cmd->name << " --help)\n";
    return 2;
  } catch (const socrates::Error& e) {
    log->error("{}", e.what());
    return 1;
  } catch (const c10::Error& e) {
    // LibTorch's message without its C++ stack trace, which says nothing to a user.
    log->error("LibTorch: {}", e.what_without_backtrace());
    return 1;
  } catch (const std::exception& e) {
    log->error("{}", e.what());
    return 1;
  } catch (...) {
    log->critical("an exception that is not a std::exception (it carries no message); this is a bug in a plugin "
                  "or in socrates");
    return 3;
  }
}
