// Concern: dataset. Yields SocSci210-schema examples for the train/validation/test partitions.
#pragma once

#include <cstddef>
#include <string>

#include "socrates/example.hpp"
#include "socrates/plugin.hpp"

namespace socrates {

enum class Partition { train, validation, test };

inline const char* to_string(Partition p) {
  switch (p) {
    case Partition::train: return "train";
    case Partition::validation: return "validation";
    case Partition::test: return "test";
  }
  return "?";
}

class SOCRATES_API Dataset : public Component {
 public:
  static constexpr const char* kConcern = "dataset";

  /// Reads and indexes the data (the constructor must not). Called once, before the
  /// other methods. Throws socrates::Error naming the file and row on malformed data.
  virtual void prepare() = 0;
  /// Number of examples in a partition (0 if the split defines none).
  virtual std::size_t size(Partition p) const = 0;
  /// Example `i` (< size(p)) of a partition. Thread-safe; order is stable for given options.
  virtual Example get(Partition p, std::size_t i) const = 0;
  /// Stable hash of the data files and every option that changes the rows (for caches).
  virtual std::string fingerprint() const = 0;
};

}  // namespace socrates
