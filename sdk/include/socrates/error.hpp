// Exceptions shared by host and plugins. Messages say what is wrong, where, and what to do.
#pragma once

#include <stdexcept>
#include <string>

#include "socrates/abi.hpp"

namespace socrates {

/// Base of every error the framework reports to the user.
class SOCRATES_API Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// A bad experiment file, option or override. The message names the file:line or key.
class SOCRATES_API ConfigError : public Error {
 public:
  using Error::Error;
};

/// A plugin that cannot be found, loaded or trusted. The message names the file.
class SOCRATES_API PluginError : public Error {
 public:
  using Error::Error;
};

}  // namespace socrates
