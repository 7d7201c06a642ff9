#include "scp_fixture.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "io/manifest.hpp"
#include "plugin/plugin_library.hpp"
#include "plugin/host_services.hpp"

namespace fs = std::filesystem;

namespace socrates::testing {

namespace {

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_random(const fs::path& p, std::size_t n, std::uint32_t seed) {
  fs::create_directories(p.parent_path());
  std::mt19937 gen(seed);
  std::string bytes(n, '\0');
  for (char& c : bytes) c = static_cast<char>(gen() & 0xff);
  std::ofstream(p, std::ios::binary) << bytes;
}

std::shared_ptr<PluginLibrary> plugin() {
  static auto lib = PluginLibrary::load(SOCRATES_PLUGIN_FILE);
  return lib;
}

}  // namespace

void ScpSinkTest::SetUp() {
  if (const std::string why = SshdServer::unavailable(); !why.empty()) GTEST_SKIP() << why;
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  tmp_ = fs::temp_directory_path() /
         ("socrates-scp-" + std::to_string(::getpid()) + "-" + info->test_suite_name() + "-" + info->name());
  fs::remove_all(tmp_);
  fs::create_directories(tmp_);
  run_dir_ = tmp_ / "run";
  remote_ = tmp_ / "remote" / "ckpt";
  sshd_ = std::make_unique<SshdServer>(tmp_ / "sshd");
  capture_ = std::make_shared<CaptureSink>();
  logger_ = capturing_logger(capture_);
}

void ScpSinkTest::TearDown() {
  sshd_.reset();
  if (!tmp_.empty() && !HasFailure()) fs::remove_all(tmp_);
}

Table ScpSinkTest::options(const Table& overrides) const {
  Table t{{"host", sshd_->host()},
          {"user", sshd_->user()},
          {"port", sshd_->port()},
          {"path", remote_.string()},
          {"identity_file", sshd_->user_key().string()},
          {"known_hosts_file", sshd_->known_hosts().string()},
          {"retries", 1},
          {"backoff_seconds", 0.1},
          {"connect_timeout", 5},
          {"flush_timeout", 120.0}};
  for (const auto& [k, v] : overrides) t.insert_or_assign(k, v);
  return t;
}

std::shared_ptr<CheckpointSink> ScpSinkTest::make_sink(const Table& overrides) { return make_sink(overrides, run_dir_); }

std::shared_ptr<CheckpointSink> ScpSinkTest::make_sink(const Table& overrides, const fs::path& run_dir) {
  Table cfg = options(overrides);
  for (const OptionSpec& o : plugin()->info().options)  // defaults, as the host fills them
    if (!cfg.count(o.key)) cfg.emplace(o.key, *o.default_value);
  PluginContext ctx;
  ctx.logger = logger_;
  ctx.run_dir = run_dir;
  ctx.config = ConfigSection("checkpoint.sinks[0]", cfg);
  ctx.host = &host_services();
  return plugin()->create<CheckpointSink>(ctx);
}

CheckpointRef ScpSinkTest::make_checkpoint(std::int64_t step, std::map<std::string, double> metrics) {
  const fs::path dir = tmp_ / "staging" / ("step-" + std::to_string(step));
  fs::remove_all(dir);
  const auto seed = static_cast<std::uint32_t>(step);
  write_random(dir / "adapter" / "adapter_model.safetensors", 300000, seed);
  write_random(dir / "optimizer" / "rank-0.bin", 70000, seed + 1000);
  std::ofstream(dir / "it's a $file.txt") << "step " << step << "\n";
  std::ofstream(dir / "trainer_state.json") << "{\"step\": " << step << "}\n";
  write_manifest(dir, step, metrics);
  const fs::path expected = tmp_ / "expected" / ("step-" + std::to_string(step));
  fs::remove_all(expected);
  fs::create_directories(expected.parent_path());
  fs::copy(dir, expected, fs::copy_options::recursive);
  return {step, dir, std::move(metrics)};
}

void ScpSinkTest::put_and_discard(CheckpointSink& sink, std::int64_t step, std::map<std::string, double> metrics) {
  const CheckpointRef ref = make_checkpoint(step, std::move(metrics));
  sink.put(ref);
  fs::remove_all(ref.dir);
}

::testing::AssertionResult ScpSinkTest::same_tree(const fs::path& a, const fs::path& b) {
  auto files = [](const fs::path& root) {
    std::map<std::string, fs::path> out;
    if (fs::is_directory(root))
      for (const auto& e : fs::recursive_directory_iterator(root))
        if (e.is_regular_file()) out[fs::relative(e.path(), root).generic_string()] = e.path();
    return out;
  };
  const auto fa = files(a), fb = files(b);
  if (fa.empty()) return ::testing::AssertionFailure() << a << " holds no files";
  for (const auto& [rel, p] : fa) {
    auto it = fb.find(rel);
    if (it == fb.end()) return ::testing::AssertionFailure() << rel << " is missing from " << b;
    if (read_bytes(p) != read_bytes(it->second)) return ::testing::AssertionFailure() << rel << " differs in " << b;
  }
  for (const auto& [rel, p] : fb)
    if (!fa.count(rel)) return ::testing::AssertionFailure() << rel << " is extra in " << b;
  return ::testing::AssertionSuccess();
}

std::string ScpSinkTest::step_name(std::int64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "step-%09lld", static_cast<long long>(step));
  return buf;
}

void ScpSinkTest::flip_byte(const fs::path& file, std::size_t offset) {
  std::string bytes = read_bytes(file);
  ASSERT_LT(offset, bytes.size()) << file;
  bytes[offset] = static_cast<char>(~bytes[offset]);
  std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
}

std::vector<std::string> ScpSinkTest::folders(const fs::path& dir) {
  std::vector<std::string> out;
  if (fs::is_directory(dir))
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_directory()) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> ScpSinkTest::spooled() const {
  std::vector<std::string> out;
  const fs::path queue = run_dir_ / ".upload-queue";
  if (fs::is_directory(queue))
    for (const auto& dest : fs::directory_iterator(queue))
      for (const std::string& f : folders(dest.path())) out.push_back(f);
  std::sort(out.begin(), out.end());
  return out;
}

bool ScpSinkTest::eventually(const std::function<bool()>& cond) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!cond()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

}  // namespace socrates::testing
