#include "sweep/sweep_override.hpp"

#include "config/toml_value.hpp"

namespace socrates::sweep {

std::string Override::text() const { return key + "=" + to_toml_value_text(value); }

}  // namespace socrates::sweep
