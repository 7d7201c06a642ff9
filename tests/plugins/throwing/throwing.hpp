// Shared by the throwing-* test plugins: options that pick the method to throw from and the
// kind of exception, and the throw itself. The exception types below live in the plugin's own
// code (vtable, destructor, type_info), which is what the host must survive.
#pragma once

#include <stdexcept>
#include <string>

#include "socrates/plugin.hpp"

#define SOCRATES_THROWING_OPTIONS(METHODS)                                                                  \
  {"throw_in", SOCRATES_STRING, "\"none\"", "the method that throws", "none|" METHODS},                     \
  {"kind", SOCRATES_STRING, "\"error\"",                                                                    \
   "what it throws: a socrates::Error, a ConfigError, a std::runtime_error, an exception class of the "    \
   "plugin's own, or an int",                                                                               \
   "error|config|std|custom|int"}

namespace throwing {

// An exception type the host has never seen: its vtable and what() exist only in this plugin.
class PluginOwnError final : public std::exception {
 public:
  explicit PluginOwnError(std::string what) : what_(std::move(what)) {}
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  std::string what_;
};

class Thrower {
 public:
  Thrower(const socrates::PluginContext& ctx, std::string plugin)
      : plugin_(std::move(plugin)), method_(ctx.config.get<std::string>("throw_in")),
        kind_(ctx.config.get<std::string>("kind")), config_(ctx.config) {
    maybe_throw("create");
  }
  // Throws when `method` is the configured one. The message is "<plugin> threw in <method>".
  void maybe_throw(const char* method) const {
    if (method_ != method) return;
    const std::string what = plugin_ + " threw in " + method;
    if (kind_ == "error") throw socrates::Error(what);
    if (kind_ == "config") throw config_.error("throw_in", what);
    if (kind_ == "std") throw std::runtime_error(what);
    if (kind_ == "custom") throw PluginOwnError(what);
    throw 42;
  }

 private:
  std::string plugin_, method_, kind_;
  socrates::ConfigSection config_;
};

}  // namespace throwing
