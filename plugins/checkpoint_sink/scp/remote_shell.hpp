// The shell scripts the sink runs on the remote host (through `ssh host SCRIPT`, which hands
// them to the remote login shell, so it must be POSIX: sh, dash, bash, zsh). Every path is
// single-quoted with sh_quote; nothing from the config or a manifest reaches the shell bare.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace socrates_scp {

/// `s` as one POSIX shell word: '...' with each ' written as '\''.
std::string sh_quote(std::string_view s);

/// The folder names: "step-000000120" (zero-padded so names sort by step, as the local
/// sink writes them) and ".tmp-step-000000120".
std::string step_dir(std::int64_t step);
std::string tmp_step_dir(std::int64_t step);

/// mkdir -p `root`, removes an old .tmp-step-N, prints "exists" if step-N/manifest.json
/// exists, else "new".
std::string prepare_script(const std::string& root, std::int64_t step);

/// Exit status of verify_script when the remote host has neither sha256sum nor shasum.
constexpr int kNoShaTool = 97;
/// Exit status of a script whose `cd root` failed.
constexpr int kNoRoot = 96;

/// For each of `files` (relative to `root`), in order, prints one line: "<size> <sha256>",
/// or "missing" if it is not a regular file.
std::string verify_script(const std::string& root, const std::vector<std::string>& files);

/// Replaces step-N by .tmp-step-N (rm -rf step-N; mv).
std::string promote_script(const std::string& root, std::int64_t step);

/// For each root/step-*/manifest.json: a line "<folder> <byte count>", then exactly that
/// many bytes of the manifest. Prints nothing if `root` does not exist.
std::string manifests_script(const std::string& root);

/// rm -rf root/step-N for each step.
std::string delete_script(const std::string& root, const std::vector<std::int64_t>& steps);

}  // namespace socrates_scp
