// The plugin loader and registry, driven through real test plugins and plugins broken on purpose.
#include <dlfcn.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include <ATen/ops/full.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "plugin/plugin_registry.hpp"
#include "run_cli.hpp"
#include "socrates/sdk.hpp"

namespace fs = std::filesystem;
using ::testing::HasSubstr;

namespace socrates {
namespace {

const fs::path kTestDir = SOCRATES_TEST_PLUGIN_DIR;
const fs::path kBrokenDir = SOCRATES_BROKEN_PLUGIN_DIR;

// A context whose config holds the plugin's schema defaults, then `overrides`.
PluginContext context(const PluginLibrary& lib, const Table& overrides = {}) {
  Table values;
  for (const OptionSpec& o : lib.info().options) {
    if (o.default_value) values[o.key] = *o.default_value;
  }
  for (const auto& [k, v] : overrides) values[k] = v;
  PluginContext ctx;
  ctx.logger = spdlog::default_logger();
  ctx.config = ConfigSection(lib.info().concern, values);
  return ctx;
}

PluginRegistry test_registry() {
  PluginRegistry reg;
  reg.scan(kTestDir);
  return reg;
}

// The component of test plugin `name`, created through the registry.
template <class Interface>
std::shared_ptr<Interface> make(const std::string& name, const Table& overrides = {}) {
  auto lib = test_registry().find(Interface::kConcern, name);
  return lib->template create<Interface>(context(*lib, overrides));
}

// The message of the PluginError that loading `path` throws.
std::string load_error(const fs::path& path) {
  try {
    PluginLibrary::load(path);
  } catch (const PluginError& e) {
    return e.what();
  }
  ADD_FAILURE() << path << " loaded";
  return "";
}

// The only .so in a broken-plugin case directory.
fs::path broken(const std::string& name) {
  for (const auto& e : fs::directory_iterator(kBrokenDir / name)) {
    if (e.path().extension() == ".so") return e.path();
  }
  ADD_FAILURE() << "no .so in " << kBrokenDir / name;
  return {};
}

bool mapped(const std::string& filename) {
  std::ifstream maps("/proc/self/maps");
  std::stringstream ss;
  ss << maps.rdbuf();
  return ss.str().find(filename) != std::string::npos;
}

// ---------------------------------------------------------------- registry and good plugins

TEST(PluginRegistry, FindsEveryTestPlugin) {
  PluginRegistry reg = test_registry();
  EXPECT_THAT(reg.problems(), ::testing::IsEmpty());
  const std::pair<const char*, const char*> plugins[] = {
      {"dataset", "test-dataset"},         {"prompt_format", "test-prompt"}, {"adapter", "test-adapter"},
      {"optimizer", "test-optimizer"},     {"parallelism", "test-parallelism"},
      {"checkpoint_sink", "test-sink"},    {"evaluator", "test-evaluator"}};
  for (auto [concern, name] : plugins) {
    auto lib = reg.find(concern, name);
    const PluginInfo& info = lib->info();
    EXPECT_EQ(info.concern, concern);
    EXPECT_EQ(info.version, "1.0.0");
    EXPECT_EQ(info.abi_version, SOCRATES_ABI_VERSION);
    EXPECT_EQ(info.torch_version, TORCH_VERSION);
    EXPECT_EQ(info.path.parent_path(), kTestDir);
    ASSERT_FALSE(info.options.empty()) << name;
    EXPECT_TRUE(info.options[0].default_value.has_value()) << name;
  }
  auto listed = reg.list();
  EXPECT_TRUE(std::is_sorted(listed.begin(), listed.end(), [](const auto& a, const auto& b) {
    return std::tie(a->info().concern, a->info().name) < std::tie(b->info().concern, b->info().name);
  }));
}

TEST(PluginRegistry, ScanningTwiceIsANoOp) {
  PluginRegistry reg = test_registry();
  const auto n = reg.list().size();
  reg.scan(kTestDir);
  reg.add(kTestDir / "socrates_test_evaluator.so");
  EXPECT_EQ(reg.list().size(), n);
  EXPECT_THAT(reg.problems(), ::testing::IsEmpty());
  EXPECT_EQ(reg.search_path(), std::vector<fs::path>{kTestDir});
}

TEST(PluginRegistry, UnknownPluginListsKnownNamesAndSearchPath) {
  PluginRegistry reg = test_registry();
  reg.scan(kBrokenDir / "wrong-abi");
  try {
    reg.find("evaluator", "test-evaluatr");
    FAIL() << "no error";
  } catch (const PluginError& e) {
    EXPECT_THAT(e.what(), HasSubstr("unknown evaluator plugin 'test-evaluatr'"));
    EXPECT_THAT(e.what(), HasSubstr("Did you mean 'test-evaluator'?"));
    EXPECT_THAT(e.what(), HasSubstr("Known evaluator plugins: "));
    EXPECT_THAT(e.what(), HasSubstr("test-evaluator"));
    EXPECT_THAT(e.what(), HasSubstr("Search path: " + kTestDir.string() + ":" + (kBrokenDir / "wrong-abi").string()));
    EXPECT_THAT(e.what(), HasSubstr("(1 plugin files failed to load; run `socrates plugins list` to see why)"));
  }
  PluginRegistry empty;
  EXPECT_THAT([&] { empty.find("dataset", "x"); },
              ::testing::ThrowsMessage<PluginError>(HasSubstr("Known dataset plugins: none. Search path: ")));
  EXPECT_THAT([&] { reg.find("tokenizer", "x"); },
              ::testing::ThrowsMessage<PluginError>(HasSubstr(
                  "Known concerns: dataset, prompt_format, adapter, objective, optimizer, parallelism, checkpoint_sink, evaluator")));
}

TEST(PluginRegistry, DefaultDirsFollowExeAndEnvironment) {
  ::setenv("SOCRATES_PLUGIN_PATH", "/a::/b/c", 1);
  auto dirs = default_plugin_dirs();
  ::unsetenv("SOCRATES_PLUGIN_PATH");
  ASSERT_EQ(dirs.size(), 3u);
  EXPECT_EQ(dirs[0], (fs::read_symlink("/proc/self/exe").parent_path() / "../lib/socrates/plugins").lexically_normal());
  EXPECT_EQ(dirs[1], "/a");
  EXPECT_EQ(dirs[2], "/b/c");
}

// The stubs live in a folder that only the tests search: a user's plugin list never shows them.
TEST(PluginRegistry, UsersPluginListHasNoTestStubs) {
  ::unsetenv("SOCRATES_PLUGIN_PATH");
  EXPECT_NE(kTestDir, fs::path(SOCRATES_EXE).parent_path() / "../lib/socrates/plugins");
  const test::CliResult r = test::run_socrates("plugins list", fs::path(::testing::TempDir()) / "plugins-list");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("sft"));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("test-")));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("throwing-")));
  PluginRegistry reg;
  reg.scan(kTestDir);
  EXPECT_EQ(reg.names("dataset"), (std::vector<std::string>{"test-dataset", "throwing-dataset"}));
}

TEST(TestPlugins, DatasetYieldsSyntheticRows) {
  auto ds = make<Dataset>("test-dataset", {{"rows", 5}});
  ds->prepare();
  EXPECT_EQ(ds->size(Partition::train), 5u);
  EXPECT_EQ(ds->size(Partition::validation), 1u);
  Example ex = ds->get(Partition::train, 2);
  EXPECT_EQ(ex.participant, 2);
  EXPECT_EQ(ex.study_id, "test-study");
  EXPECT_EQ(ex.response, 3);
  EXPECT_THAT(ex.stimuli, HasSubstr("statement 2"));
  EXPECT_THROW(ds->get(Partition::train, 5), std::out_of_range);
  EXPECT_NE(ds->fingerprint(), make<Dataset>("test-dataset")->fingerprint());
}

// Bytes as tokens, plus "<|im_end|>" as token 256.
class ByteTokenizer final : public Tokenizer {
 public:
  static constexpr std::string_view kEos = "<|im_end|>";
  std::vector<std::int32_t> encode(std::string_view text) const override {
    std::vector<std::int32_t> ids;
    for (std::size_t i = 0; i < text.size();) {
      if (text.substr(i, kEos.size()) == kEos) {
        ids.push_back(256), i += kEos.size();
      } else {
        ids.push_back(static_cast<unsigned char>(text[i++]));
      }
    }
    return ids;
  }
  std::string decode(const std::vector<std::int32_t>& ids, bool skip_special = false) const override {
    std::string s;
    for (auto id : ids) s += id == 256 ? (skip_special ? "" : std::string(kEos)) : std::string(1, char(id));
    return s;
  }
  std::optional<std::int32_t> token_id(std::string_view t) const override {
    return t == kEos ? std::optional<std::int32_t>(256) : std::nullopt;
  }
  std::string fingerprint() const override { return "bytes"; }
};

TEST(TestPlugins, PromptRendersAndMasks) {
  auto fmt = make<PromptFormat>("test-prompt");
  Example ex;
  ex.stimuli = "Agree?";
  ex.response = 4;
  EXPECT_EQ(fmt->render_prompt(ex), "Q: Agree?\nA: ");
  EXPECT_EQ(fmt->render_response(ex), "4");
  EXPECT_EQ(fmt->stop_strings(), std::vector<std::string>{"<|im_end|>"});

  ByteTokenizer tok;
  TokenizedExample t = fmt->tokenize(ex, tok, 64);
  const std::size_t n = fmt->render_prompt(ex).size();
  ASSERT_EQ(t.input_ids.size(), n + 2);
  EXPECT_EQ(tok.decode(t.input_ids), "Q: Agree?\nA: 4<|im_end|>");
  EXPECT_EQ(std::vector<std::int32_t>(t.labels.begin(), t.labels.begin() + n), std::vector<std::int32_t>(n, kIgnoreIndex));
  EXPECT_EQ(std::vector<std::int32_t>(t.labels.begin() + n, t.labels.end()), (std::vector<std::int32_t>{'4', 256}));
  EXPECT_FALSE(t.truncated);

  TokenizedExample cut = fmt->tokenize(ex, tok, 5);
  EXPECT_TRUE(cut.truncated);
  EXPECT_EQ(tok.decode(cut.input_ids), "A: 4<|im_end|>");
  EXPECT_THROW(fmt->tokenize(ex, tok, 1), Error);
}

// A model of linear sites y = x W^T + delta(x).
class FakeSite final : public LinearSite {
 public:
  FakeSite(std::string name, std::int64_t in, std::int64_t out) : name_(std::move(name)), w_(at::ones({out, in})) {}
  const std::string& name() const override { return name_; }
  std::int64_t in_features() const override { return w_.size(1); }
  std::int64_t out_features() const override { return w_.size(0); }
  at::Tensor weight() const override { return w_; }
  at::Tensor bias() const override { return {}; }
  void set_delta(std::shared_ptr<LinearDelta> d) override { delta = std::move(d); }
  void set_base(std::shared_ptr<LinearBase>) override {}
  void merge_weight(const at::Tensor& dw) override { w_ = w_.add(dw); }
  std::shared_ptr<LinearDelta> delta;

 private:
  std::string name_;
  at::Tensor w_;
};

class FakeModel final : public ModelView {
 public:
  FakeSite q{"layers.0.self_attn.q_proj", 3, 2}, down{"layers.0.mlp.down_proj", 3, 3};
  std::string architecture() const override { return "FakeForCausalLM"; }
  std::vector<LinearSite*> linear_sites() override { return {&q, &down}; }
  c10::ScalarType dtype() const override { return at::kFloat; }
  c10::Device device() const override { return at::kCPU; }
};

TEST(TestPlugins, AdapterAddsZeroInitDelta) {
  auto adapter = make<Adapter>("test-adapter");
  FakeModel model;  // destroyed before the adapter, as the SDK requires
  adapter->attach(model);
  auto params = adapter->parameters();
  ASSERT_EQ(params.size(), 1u);
  EXPECT_EQ(params[0].first, "base_model.model.model.layers.0.self_attn.q_proj.delta.weight");
  EXPECT_TRUE(params[0].second.requires_grad());
  EXPECT_TRUE(params[0].second.equal(at::zeros({2, 3})));
  ASSERT_TRUE(model.q.delta);
  EXPECT_FALSE(model.down.delta);
  const at::Tensor x = at::tensor({1.0f, 2.0f, 3.0f});
  EXPECT_TRUE(model.q.delta->forward(x).equal(at::zeros({2})));

  params[0].second.detach().fill_(0.5);
  EXPECT_TRUE(model.q.delta->forward(x).allclose(at::tensor({3.0f, 3.0f})));
  const fs::path dir = fs::path(::testing::TempDir()) / "test_adapter_save";
  adapter->save(dir);
  params[0].second.detach().zero_();
  adapter->load(dir);
  EXPECT_TRUE(params[0].second.equal(at::full({2, 3}, 0.5)));
  adapter->merge();
  EXPECT_FALSE(model.q.delta);
  EXPECT_TRUE(model.q.weight().equal(at::full({2, 3}, 1.5)));

  auto nothing = make<Adapter>("test-adapter", {{"target", "k_proj"}});
  EXPECT_THAT([&] { nothing->attach(model); }, ::testing::ThrowsMessage<ConfigError>(HasSubstr("'k_proj' matches no")));
}

TEST(TestPlugins, OptimizerDoesSgd) {
  auto opt = make<Optimizer>("test-optimizer", {{"momentum", 0.5}});
  at::Tensor p = at::tensor({1.0f, 2.0f}).requires_grad_(true);
  at::Tensor skipped = at::tensor({7.0f}).requires_grad_(true);
  opt->init({{"p", p}, {"skipped", skipped}});
  p.mutable_grad() = at::ones({2});
  opt->step(0.5);  // buf = 1
  EXPECT_TRUE(p.allclose(at::tensor({0.5f, 1.5f})));
  opt->step(0.5);  // buf = 0.5 + 1
  EXPECT_TRUE(p.allclose(at::tensor({-0.25f, 0.75f})));
  EXPECT_TRUE(skipped.equal(at::tensor({7.0f})));
  StateDict s = opt->state();
  EXPECT_EQ(s.meta.at("step"), "2");
  EXPECT_TRUE(s.tensors.at("p.momentum_buffer").allclose(at::full({2}, 1.5)));

  auto fresh = make<Optimizer>("test-optimizer", {{"momentum", 0.5}});
  fresh->init({{"p", p}, {"skipped", skipped}});
  fresh->load_state(s);
  EXPECT_TRUE(fresh->state().tensors.at("p.momentum_buffer").allclose(at::full({2}, 1.5)));
  s.tensors.erase("p.momentum_buffer");
  EXPECT_THROW(fresh->load_state(s), Error);
}

TEST(TestPlugins, ParallelismIsOneProcessAndClips) {
  auto par = make<Parallelism>("test-parallelism");
  EXPECT_EQ(par->rank(), 0);
  EXPECT_EQ(par->world_size(), 1);
  at::Tensor p = at::zeros({2}).requires_grad_(true);
  auto out = par->setup({{"p", p}});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].second.is_same(p));
  p.mutable_grad() = at::tensor({3.0f, 4.0f});
  EXPECT_DOUBLE_EQ(par->clip_grad_norm(10.0), 5.0);
  EXPECT_TRUE(p.grad().equal(at::tensor({3.0f, 4.0f})));
  EXPECT_DOUBLE_EQ(par->clip_grad_norm(1.0), 5.0);
  EXPECT_TRUE(p.grad().allclose(at::tensor({0.6f, 0.8f}), 1e-5));

  // A plugin's non-config error comes back as a PluginError naming the plugin.
  auto lib = test_registry().find("parallelism", "test-parallelism");
  PluginContext ctx = context(*lib);
  ctx.world_size = 2;
  EXPECT_THAT([&] { lib->create<Parallelism>(ctx); },
              ::testing::ThrowsMessage<PluginError>(::testing::StrEq(
                  "plugin 'test-parallelism' (" + lib->info().path.string() +
                  ") failed to create its parallelism: test-parallelism runs one process, but WORLD_SIZE is 2")));
}

TEST(TestPlugins, SinkCopiesCheckpoints) {
  const fs::path root = fs::path(::testing::TempDir()) / "test_sink";
  fs::remove_all(root);
  auto checkpoint = [&](std::int64_t step) {
    const fs::path d = root / "local" / ("checkpoint-" + std::to_string(step));
    fs::create_directories(d);
    std::ofstream(d / "manifest.json") << "{\"step\": " << step << "}";
    std::ofstream(d / "weights.bin") << "w" << step;
    return CheckpointRef{step, d, {}};
  };
  auto lib = test_registry().find("checkpoint_sink", "test-sink");
  PluginContext ctx = context(*lib, {{"keep", 2}});
  ctx.run_dir = root;
  auto sink = lib->create<CheckpointSink>(ctx);
  for (std::int64_t step : {10, 20, 30}) sink->put(checkpoint(step));
  sink->flush();
  auto held = sink->list();
  ASSERT_EQ(held.size(), 2u);
  EXPECT_EQ(held[0].step, 20);
  EXPECT_EQ(held[1].step, 30);
  EXPECT_EQ(held[0].dir, root / "sink" / "step-20");

  sink->fetch(20, root / "restored");
  std::ifstream in(root / "restored" / "weights.bin");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "w20");
  EXPECT_THROW(sink->fetch(20, root / "restored"), Error);
  EXPECT_THROW(sink->fetch(10, root / "old"), Error);
}

TEST(TestPlugins, EvaluatorComputesMeanAbsoluteError) {
  auto ev = make<Evaluator>("test-evaluator");
  std::vector<PredictionRow> rows(4);
  rows[0].response = 3, rows[0].prediction = 1;
  rows[1].response = 2, rows[1].prediction = 4.5;
  rows[2].response = 5, rows[2].parse_failed = true;
  rows[3].prediction = 1;
  EvalReport r = ev->evaluate(rows);
  EXPECT_DOUBLE_EQ(r.metrics.at("test.mae"), 2.25);
  EXPECT_DOUBLE_EQ(r.metrics.at("test.count"), 2);
  EXPECT_EQ(make<Evaluator>("test-evaluator", {{"prefix", "x"}})->evaluate(rows).metrics.count("x.mae"), 1u);
}

// ---------------------------------------------------------------- lifetime and create()

// Whether dlclose unmaps `file` at all (it does not for e.g. STB_GNU_UNIQUE symbols).
bool dlclose_unloads(const fs::path& file) {
  const bool was_mapped = mapped(file.filename().string());
  void* h = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) return false;
  ::dlclose(h);
  return !was_mapped && !mapped(file.filename().string());
}

// A library whose code has run (it created a component) is pinned: it stays mapped after the
// component, the registry and every PluginLibrary reference are gone, because an exception it
// threw may still be alive.
TEST(PluginLifetime, LibraryStaysLoadedWhileAComponentLivesAndAfterItsCodeRan) {
  const fs::path file = kTestDir / "socrates_test_evaluator.so";
  const std::string name = file.filename().string();
  const bool unloads = dlclose_unloads(file);

  std::shared_ptr<Evaluator> ev;
  {
    PluginRegistry reg = test_registry();
    auto lib = reg.find("evaluator", "test-evaluator");
    ev = lib->create<Evaluator>(context(*lib));
    EXPECT_TRUE(lib->pinned());
  }  // registry and every PluginLibrary reference gone
  EXPECT_TRUE(mapped(name));
  std::vector<PredictionRow> rows(1);
  rows[0].response = 1, rows[0].prediction = 4;
  EXPECT_DOUBLE_EQ(ev->evaluate(rows).metrics.at("test.mae"), 3.0);
  ev.reset();
  EXPECT_TRUE(mapped(name)) << "a library whose code ran must stay mapped";
  if (!unloads) GTEST_SKIP() << "dlclose does not unload " << name << " here";
}

// A library that was only scanned (its descriptor read, none of its code run) is unloaded with
// its last reference, as before.
TEST(PluginLifetime, ScannedButUnusedLibraryIsUnloaded) {
  const fs::path file = kTestDir / "socrates_test_sink.so";
  const std::string name = file.filename().string();
  if (!dlclose_unloads(file) || mapped(name)) GTEST_SKIP() << name << " is pinned or not unloadable here";
  {
    auto lib = PluginLibrary::load(file);
    EXPECT_FALSE(lib->pinned());
    EXPECT_TRUE(mapped(name));
  }
  EXPECT_FALSE(mapped(name));
}

// An exception of the plugin's own class, thrown from a method, caught after the component,
// the registry and the last PluginLibrary reference are gone: its what() and destructor still
// run (before pinning, this was a SIGSEGV).
TEST(PluginLifetime, ExceptionOfThePluginsOwnClassOutlivesEveryReference) {
  for (const char* kind : {"custom", "std", "error", "config"}) {
    std::string what;
    try {
      PluginRegistry reg = test_registry();
      auto lib = reg.find("evaluator", "throwing-evaluator");
      auto ev = lib->create<Evaluator>(context(*lib, {{"throw_in", std::string("evaluate")}, {"kind", std::string(kind)}}));
      lib.reset();
      ev->evaluate({});
      ADD_FAILURE() << kind << ": evaluate did not throw";
    } catch (const std::exception& e) {
      what = e.what();
    }
    EXPECT_THAT(what, HasSubstr("throwing-evaluator threw in evaluate")) << kind;
  }
  std::exception_ptr kept;
  {
    PluginRegistry reg = test_registry();
    auto lib = reg.find("dataset", "throwing-dataset");
    auto ds = lib->create<Dataset>(context(*lib, {{"throw_in", std::string("prepare")}, {"kind", std::string("custom")}}));
    try {
      ds->prepare();
    } catch (...) {
      kept = std::current_exception();
    }
  }
  ASSERT_TRUE(kept);
  try {
    std::rethrow_exception(kept);
  } catch (const std::exception& e) {
    EXPECT_STREQ(e.what(), "throwing-dataset threw in prepare");
  }
}

TEST(PluginLifetime, WrongConcernCreateThrows) {
  auto lib = test_registry().find("evaluator", "test-evaluator");
  EXPECT_THAT([&] { lib->create<Dataset>(context(*lib)); },
              ::testing::ThrowsMessage<PluginError>(HasSubstr("plugin 'test-evaluator' (" + lib->info().path.string() +
                                                              ") is a plugin for 'evaluator', not for 'dataset'")));
}

TEST(PluginLifetime, CreatePassesConfigErrorsUnchanged) {
  auto lib = test_registry().find("dataset", "test-dataset");
  // A config that lacks `rows` makes ConfigSection::get throw ConfigError: passed on unchanged.
  PluginContext ctx;
  EXPECT_THAT([&] { lib->create<Dataset>(ctx); }, ::testing::ThrowsMessage<ConfigError>(::testing::StrEq("missing key 'rows'")));
}

// ---------------------------------------------------------------- broken plugins

TEST(BrokenPlugins, MissingFile) {
  const fs::path p = kBrokenDir / "no-such-plugin.so";
  EXPECT_EQ(load_error(p), p.string() + ": no such file");
}

TEST(BrokenPlugins, WrongAbi) {
  const fs::path p = broken("wrong-abi");
  EXPECT_EQ(load_error(p), p.string() + ": plugin ABI version 999, but this socrates expects " +
                               std::to_string(SOCRATES_ABI_VERSION) + ". Rebuild the plugin against Socrates SDK " +
                               SOCRATES_SDK_VERSION + ".");
}

TEST(BrokenPlugins, NoDescriptor) {
  const fs::path p = broken("no-descriptor");
  EXPECT_EQ(load_error(p), p.string() + ": exports no `socrates_plugin` descriptor, so it is not a Socrates plugin "
                                        "(build it with SOCRATES_PLUGIN(...))");
}

TEST(BrokenPlugins, MissingSymbol) {
  const fs::path p = broken("missing-symbol");
  EXPECT_EQ(load_error(p), p.string() +
                               ": missing symbol: undefined symbol: socrates_test_function_defined_nowhere. The plugin "
                               "was built against another version of Socrates or a library it needs is not loaded; "
                               "rebuild it.");
}

TEST(BrokenPlugins, NotAPlugin) {
  const fs::path p = kBrokenDir / "not-a-plugin" / "garbage.so";
  EXPECT_EQ(load_error(p), p.string() + ": not a loadable plugin library (file too short). Remove it from the plugin "
                                        "path or rebuild it.");
}

TEST(BrokenPlugins, BadConcern) {
  const fs::path p = broken("bad-concern");
  EXPECT_EQ(load_error(p), p.string() + ": plugin 'hand-made' has unknown concern 'frobnicator'. Known concerns: "
                                        "dataset, prompt_format, adapter, objective, optimizer, parallelism, "
                                        "checkpoint_sink, evaluator");
}

TEST(BrokenPlugins, OtherCxxAbiFlag) {
  const fs::path p = broken("wrong-cxxabi");
  const std::string e = load_error(p);
  EXPECT_THAT(e, ::testing::StartsWith(p.string() + ": plugin 'hand-made' was built with cxx11-abi 7, but this "
                                                    "socrates uses cxx11-abi " SOCRATES_STRINGIFY(_GLIBCXX_USE_CXX11_ABI)));
}

TEST(BrokenPlugins, OtherSpdlog) {
  const fs::path p = broken("wrong-spdlog");
  const std::string host = std::to_string(SPDLOG_VER_MAJOR) + "." + std::to_string(SPDLOG_VER_MINOR) + "." +
                           std::to_string(SPDLOG_VER_PATCH);
  EXPECT_THAT(load_error(p), ::testing::HasSubstr("was built with spdlog 0.0.1, but this socrates uses spdlog " + host +
                                                  "; they must match"));
}

TEST(BrokenPlugins, BadDefault) {
  const fs::path p = broken("bad-default");
  EXPECT_EQ(load_error(p), "plugin 'broken' (" + p.string() +
                               "): option 'x' has default `\"sixteen\"`, which is not a TOML int");
}

TEST(BrokenPlugins, ThrowingCreatePropagatesConfigError) {
  auto lib = PluginLibrary::load(broken("throwing-create"));
  EXPECT_THAT([&] { lib->create<Evaluator>(context(*lib)); },
              ::testing::ThrowsMessage<ConfigError>(::testing::StrEq("test: 'x' must be positive")));
  EXPECT_NO_THROW(lib->create<Evaluator>(context(*lib, {{"x", 3}})));
}

TEST(BrokenPlugins, DuplicateNamesBothFiles) {
  const fs::path dir = kBrokenDir / "duplicate";
  const fs::path a = dir / "socrates_broken_dup_a.so", b = dir / "socrates_broken_dup_b.so";
  PluginRegistry reg;
  reg.scan(dir);
  EXPECT_THAT(reg.problems(), ::testing::ElementsAre(b.string() + ": duplicate evaluator plugin 'dup', also in " +
                                                     a.string() + ". Remove one of them or rename it."));
  EXPECT_THAT([&] { reg.find("evaluator", "dup"); },
              ::testing::ThrowsMessage<PluginError>(
                  HasSubstr("evaluator plugin 'dup' is ambiguous: it is in " + a.string() + ", " + b.string())));
  EXPECT_THAT([&] { reg.add(b); }, ::testing::ThrowsMessage<PluginError>(HasSubstr("duplicate evaluator plugin")));
}

TEST(BrokenPlugins, ScanRecordsEveryFailureWithoutThrowing) {
  PluginRegistry reg;
  for (const auto& e : fs::directory_iterator(kBrokenDir)) reg.scan(e.path());
  reg.scan(kBrokenDir / "no-such-dir");
  std::vector<std::string> problems = reg.problems();
  // wrong-abi, no-descriptor, missing-symbol, not-a-plugin, bad-concern, bad-default, duplicate,
  // wrong-cxxabi, wrong-spdlog.
  EXPECT_EQ(problems.size(), 9u) << ::testing::PrintToString(problems);
  for (const std::string& p : problems) EXPECT_THAT(p, ::testing::AnyOf(::testing::StartsWith(kBrokenDir.string()),
                                                                       ::testing::StartsWith("plugin '")));
  std::vector<std::string> names;
  for (const auto& lib : reg.list()) names.push_back(lib->info().name);
  EXPECT_THAT(names, ::testing::UnorderedElementsAre("dup", "broken"));  // dup and throwing-create
}

}  // namespace
}  // namespace socrates
