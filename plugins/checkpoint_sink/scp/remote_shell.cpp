#include "remote_shell.hpp"

namespace socrates_scp {

namespace {

std::string cd_root(const std::string& root) {
  return "cd -- " + sh_quote(root) + " || exit " + std::to_string(kNoRoot) + "\n";
}

}  // namespace

std::string sh_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  return out + "'";
}

std::string step_dir(std::int64_t step) {
  std::string digits = std::to_string(step);
  if (digits.size() < 9) digits.insert(0, 9 - digits.size(), '0');
  return "step-" + digits;
}
std::string tmp_step_dir(std::int64_t step) { return ".tmp-" + step_dir(step); }

std::string prepare_script(const std::string& root, std::int64_t step) {
  return "mkdir -p -- " + sh_quote(root) + " || exit 1\n" + cd_root(root) + "rm -rf -- " +
         sh_quote(tmp_step_dir(step)) + " || exit 1\n" + "if [ -f " + sh_quote(step_dir(step) + "/manifest.json") +
         " ]; then echo exists; else echo new; fi\n";
}

std::string verify_script(const std::string& root, const std::vector<std::string>& files) {
  std::string s =
      "if command -v sha256sum >/dev/null 2>&1; then H=sha256sum\n"
      "elif command -v shasum >/dev/null 2>&1; then H='shasum -a 256'\n"
      "else echo 'neither sha256sum nor shasum is installed on the remote host' >&2; exit " +
      std::to_string(kNoShaTool) + "; fi\n" + cd_root(root) +
      "v() {\n"
      "  if [ -f \"$1\" ] && [ ! -L \"$1\" ]; then\n"
      "    s=$(wc -c < \"$1\") && h=$($H < \"$1\") || exit 1\n"
      "    echo $s ${h%% *}\n"
      "  else echo missing; fi\n"
      "}\n";
  for (const std::string& f : files) s += "v " + sh_quote(f) + "\n";
  return s;
}

std::string promote_script(const std::string& root, std::int64_t step) {
  return cd_root(root) + "rm -rf -- " + sh_quote(step_dir(step)) + " && mv -- " + sh_quote(tmp_step_dir(step)) + " " +
         sh_quote(step_dir(step)) + "\n";
}

std::string manifests_script(const std::string& root) {
  return "cd -- " + sh_quote(root) + " 2>/dev/null || exit 0\n"
         "for d in step-*; do\n"
         "  [ -f \"$d/manifest.json\" ] || continue\n"
         "  n=$(wc -c < \"$d/manifest.json\") || exit 1\n"
         "  echo \"$d\" $n\n"
         "  cat -- \"$d/manifest.json\" || exit 1\n"
         "done\n";
}

std::string delete_script(const std::string& root, const std::vector<std::int64_t>& steps) {
  std::string s = cd_root(root) + "rm -rf --";
  for (std::int64_t step : steps) s += " " + sh_quote(step_dir(step));
  return s + "\n";
}

}  // namespace socrates_scp
