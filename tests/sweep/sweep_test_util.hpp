// Shared by the sweep tests: a scratch folder and a tiny base experiment on the synthetic
// sample (reading files: tests/support/read_files.hpp).
#pragma once

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "read_files.hpp"  // read_text, read_json

namespace socrates::test {

namespace fs = std::filesystem;

inline fs::path scratch_dir(const std::string& what) {
  const fs::path d = fs::temp_directory_path() / ("socrates-" + what + "-" + std::to_string(std::random_device{}()));
  fs::create_directories(d);
  return d;
}

inline void write_text(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}


/// The quickstart cut down to seconds per run: 2 steps of 2 sequences, 16 test participants
/// scored exactly (distribution mode; the rare row without a bounded scale is sampled, with
/// at most 2 new tokens), the token cache shared in `dir`/cache.
inline fs::path write_tiny_base(const fs::path& dir) {
  const fs::path src = SOCRATES_SOURCE_DIR;
  const fs::path base = dir / "tiny.toml";
  write_text(base, "include = \"" + (src / "experiments/quickstart.toml").string() + "\"\n" +
                       "[run]\nname = \"tiny\"\noutput_dir = \"" + (dir / "runs").string() + "\"\n" +
                       "[data]\ninspect_examples = 0\ncache_dir = \"" + (dir / "cache").string() + "\"\n" +
                       "[training]\nglobal_batch_size = 2\nmicro_batch_size = 2\nmax_steps = 2\neval_every = 2\n"
                       "eval_max_examples = 4\nsample_generations = 0\nlog_every = 1\n"
                       "[evaluation]\nmode = \"distribution\"\nduring_training = false\nmax_examples = 16\n"
                       "max_new_tokens = 2\n");
  return base;
}

}  // namespace socrates::test
