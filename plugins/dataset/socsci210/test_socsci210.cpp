// socsci210 through the real loader, on the shipped synthetic sample (data/synthetic-socsci210)
// and on small broken copies of it written to temporary folders.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "log/logging.hpp"
#include "plugin/components.hpp"
#include "plugin/plugin_library.hpp"
#include "socrates/dataset.hpp"

using namespace socrates;
namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using ::testing::StrEq;
using ::testing::ThrowsMessage;
using Json = nlohmann::ordered_json;

namespace {

const fs::path kSample = SOCSCI210_SAMPLE_DIR;
const fs::path kSampleJsonl = kSample / "data" / "train-00000-of-00001.jsonl";
constexpr Partition kParts[] = {Partition::train, Partition::validation, Partition::test};

std::shared_ptr<PluginLibrary> library() {
  static auto lib = PluginLibrary::load(SOCRATES_PLUGIN_FILE);
  return lib;
}

// A component as the host makes one: the section validated, defaults filled in.
std::shared_ptr<Dataset> make(Table cfg, std::uint64_t seed = 0) {
  auto lib = library();
  PluginContext ctx = standalone_context(*lib, "dataset", std::move(cfg), seed);
  return lib->create<Dataset>(ctx);
}

std::shared_ptr<Dataset> prepared(Table cfg, std::uint64_t seed = 0) {
  auto ds = make(std::move(cfg), seed);
  ds->prepare();
  return ds;
}

std::vector<Example> all(const Dataset& ds, Partition p) {
  std::vector<Example> out;
  for (std::size_t i = 0; i < ds.size(p); ++i) out.push_back(ds.get(p, i));
  return out;
}

std::vector<std::int64_t> ids(const Dataset& ds, Partition p) {
  std::vector<std::int64_t> out;
  for (std::size_t i = 0; i < ds.size(p); ++i) out.push_back(ds.get(p, i).sample_id);
  return out;
}

std::set<std::string> studies(const Dataset& ds, Partition p) {
  std::set<std::string> out;
  for (std::size_t i = 0; i < ds.size(p); ++i) out.insert(ds.get(p, i).study_id);
  return out;
}

std::vector<std::string> read_lines(const fs::path& f) {
  std::ifstream in(f);
  std::vector<std::string> out;
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

Json read_json(const fs::path& f) {
  std::ifstream in(f);
  return Json::parse(in);
}

void write_file(const fs::path& f, const std::string& text) {
  fs::create_directories(f.parent_path());
  std::ofstream(f, std::ios::binary) << text;
}

void write_lines(const fs::path& f, const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& l : lines) text += l + "\n";
  write_file(f, text);
}

// A fresh temporary folder, removed at the end of the test.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "socsci210-test-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// A copy of the sample's metadata with the given JSONL lines as its only data file.
fs::path jsonl_dataset(const TempDir& t, const std::vector<std::string>& lines, const std::string& name = "train.jsonl") {
  fs::create_directories(t.path / "metadata");
  for (const auto& e : fs::directory_iterator(kSample / "metadata"))
    fs::copy_file(e.path(), t.path / "metadata" / e.path().filename(), fs::copy_options::overwrite_existing);
  write_lines(t.path / "data" / name, lines);
  return t.path / "data" / name;
}

Json row(std::size_t i) { return Json::parse(read_lines(kSampleJsonl).at(i)); }

Table cfg_for(const fs::path& root, Table more = {}) {
  more.emplace("path", root.string());
  return more;
}

void expect_same(const Example& a, const Example& b) {
  EXPECT_EQ(a.sample_id, b.sample_id);
  EXPECT_EQ(a.participant, b.participant);
  EXPECT_EQ(a.study_id, b.study_id);
  EXPECT_EQ(a.condition_num, b.condition_num);
  EXPECT_EQ(a.task_num, b.task_num);
  EXPECT_EQ(a.demographic, b.demographic);
  EXPECT_EQ(a.stimuli, b.stimuli);
  EXPECT_EQ(a.prompt, b.prompt);
  EXPECT_EQ(a.reasoning, b.reasoning);
  EXPECT_EQ(a.response, b.response);
  EXPECT_EQ(a.scale_min, b.scale_min);
  EXPECT_EQ(a.scale_max, b.scale_max);
}

// The sample's rows as the test reads them itself (nlohmann, independent of the plugin).
const std::map<std::int64_t, Json>& raw_rows() {
  static const auto rows = [] {
    std::map<std::int64_t, Json> m;
    for (const auto& l : read_lines(kSampleJsonl)) {
      Json j = Json::parse(l);
      m.emplace(j["sample_id"].get<std::int64_t>(), std::move(j));
    }
    return m;
  }();
  return rows;
}

std::string unit(const Json& r, const std::string& split) {
  const std::string s = r["study_id"];
  if (split == "condition") return s + ":" + std::to_string(r["condition_num"].get<int>());
  if (split == "task") return s + ":" + std::to_string(r["task_num"].get<int>());
  return s;
}

std::string unit(const Example& e, const std::string& split) {
  if (split == "condition") return e.study_id + ":" + std::to_string(e.condition_num);
  if (split == "task") return e.study_id + ":" + std::to_string(e.task_num);
  return e.study_id;
}

#ifdef SOCSCI210_WITH_PARQUET
// JSONL -> Parquet through the helper program; `spec` picks row groups and column types.
void to_parquet(const fs::path& jsonl, const fs::path& parquet, const std::string& spec = "") {
  const std::string cmd = std::string("'") + SOCSCI210_TO_PARQUET + "' '" + jsonl.string() + "' '" + parquet.string() + "' " + spec;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
}
#endif

}  // namespace

// ------------------------------------------------------------------------------- options

TEST(SocSci210, DescribesItsOptions) {
  const PluginInfo& info = library()->info();
  EXPECT_EQ(info.name, "socsci210");
  EXPECT_EQ(info.concern, "dataset");
  std::vector<std::string> keys;
  for (const auto& o : info.options) keys.push_back(o.key);
  EXPECT_THAT(keys, ::testing::ElementsAre("path", "format", "split", "validation_fraction", "fraction",
                                           "include_studies", "exclude_studies", "max_rows"));
}

TEST(SocSci210, ConstructorChecksOptionsWithoutReading) {
  // No I/O in the constructor: a folder that does not exist is only an error in prepare().
  auto ds = make(cfg_for("/nonexistent/socsci210"));
  EXPECT_THAT([&] { ds->prepare(); },
              ThrowsMessage<Error>(StrEq("/nonexistent/socsci210/data: no such folder; 'path' must name the "
                                         "SocSci210 folder, the one with data/ and metadata/")));
  EXPECT_THAT([&] { ds->size(Partition::train); }, ThrowsMessage<Error>(StrEq("socsci210: prepare() was not called")));
  EXPECT_THAT([&] { make(cfg_for(kSample, {{"fraction", 0.0}})); },
              ThrowsMessage<ConfigError>(StrEq("'dataset.fraction': must be in (0, 1], got 0")));
  EXPECT_THAT([&] { make(cfg_for(kSample, {{"fraction", 1.5}})); },
              ThrowsMessage<ConfigError>(StrEq("'dataset.fraction': must be in (0, 1], got 1.5")));
  EXPECT_THAT([&] { make(cfg_for(kSample, {{"validation_fraction", 1.0}})); },
              ThrowsMessage<ConfigError>(StrEq("'dataset.validation_fraction': must be in [0, 1), got 1")));
  EXPECT_THAT([&] { make(cfg_for(kSample, {{"validation_fraction", -0.1}})); },
              ThrowsMessage<ConfigError>(StrEq("'dataset.validation_fraction': must be in [0, 1), got -0.10000000000000001")));
  EXPECT_THAT([&] { make(cfg_for(kSample, {{"max_rows", -1}})); },
              ThrowsMessage<ConfigError>(StrEq("'dataset.max_rows': must be 0 (no cap) or positive, got -1")));
  EXPECT_THAT([&] { make(cfg_for(kSample, {{"include_studies", Array{"SYN01"}}, {"exclude_studies", Array{"SYN01"}}})); },
              ThrowsMessage<ConfigError>(StrEq("'dataset.exclude_studies': study 'SYN01' is also in include_studies")));
  EXPECT_THAT([&] { make(cfg_for(kSample, {{"include_studies", Array{""}}})); },
              ThrowsMessage<ConfigError>(StrEq("'dataset.include_studies': has an empty study id")));
#ifndef SOCSCI210_WITH_PARQUET
  EXPECT_THAT([&] { make(cfg_for(kSample, {{"format", "parquet"}})); },
              ThrowsMessage<ConfigError>(HasSubstr("this build of socsci210 has no Parquet support")));
#endif
}

// ------------------------------------------------------------------------ reading the sample

TEST(SocSci210, ReadsEveryRowOfTheSampleExactly) {
  auto ds = prepared(cfg_for(kSample, {{"format", "jsonl"}}));
  const auto& raw = raw_rows();
  std::size_t total = 0;
  for (Partition p : kParts) {
    for (const Example& e : all(*ds, p)) {
      ++total;
      const Json& r = raw.at(e.sample_id);
      EXPECT_EQ(e.participant, r["participant"].get<std::int64_t>());
      EXPECT_EQ(e.study_id, r["study_id"].get<std::string>());
      EXPECT_EQ(e.condition_num, r["condition_num"].get<std::int64_t>());
      EXPECT_EQ(e.task_num, r["task_num"].get<std::int64_t>());
      EXPECT_EQ(e.stimuli, r["stimuli"].get<std::string>());
      EXPECT_EQ(e.prompt, r["prompt"].get<std::string>());
      EXPECT_EQ(e.reasoning, r["reasoning"].get<std::string>());
      EXPECT_EQ(e.response, r["response"].get<std::int64_t>());
      ASSERT_EQ(e.demographic.size(), 16u);
      std::size_t k = 0;
      for (const auto& [key, v] : r["demographic"].items()) {
        EXPECT_EQ(e.demographic[k].first, key);
        EXPECT_EQ(e.demographic[k].second, v.is_null() ? std::nullopt : std::optional<std::string>(v.get<std::string>()));
        ++k;
      }
    }
  }
  EXPECT_EQ(total, raw.size());  // the participant mapping lists every study
  EXPECT_EQ(total, 1571u);
}

TEST(SocSci210, ParquetAndJsonlGiveIdenticalExamples) {
#ifndef SOCSCI210_WITH_PARQUET
  GTEST_SKIP() << "socsci210 was built without Parquet support (pyarrow not found at configure time)";
#else
  for (const char* split : {"participant", "condition"}) {
    auto pq = prepared(cfg_for(kSample, {{"format", "parquet"}, {"split", split}}));
    auto js = prepared(cfg_for(kSample, {{"format", "jsonl"}, {"split", split}}));
    for (Partition p : kParts) {
      ASSERT_EQ(pq->size(p), js->size(p)) << to_string(p);
      for (std::size_t i = 0; i < pq->size(p); ++i) expect_same(pq->get(p, i), js->get(p, i));
    }
    EXPECT_NE(pq->fingerprint(), js->fingerprint());  // different files
  }
  // auto picks Parquet when it was built and the files exist.
  EXPECT_EQ(prepared(cfg_for(kSample))->fingerprint(), prepared(cfg_for(kSample, {{"format", "parquet"}}))->fingerprint());
#endif
}

TEST(SocSci210, ParquetWithSmallRowGroupsAndASubsetReadsOnlyWhatItNeeds) {
#ifndef SOCSCI210_WITH_PARQUET
  GTEST_SKIP() << "socsci210 was built without Parquet support (pyarrow not found at configure time)";
#else
  TempDir t;
  jsonl_dataset(t, read_lines(kSampleJsonl), "a.jsonl");
  to_parquet(t.path / "data" / "a.jsonl", t.path / "data" / "a.parquet", "--row-group 7");
  for (double fraction : {1.0, 0.05}) {
    auto pq = prepared(cfg_for(t.path, {{"format", "parquet"}, {"fraction", fraction}}));
    auto js = prepared(cfg_for(kSample, {{"format", "jsonl"}, {"fraction", fraction}}));
    for (Partition p : kParts) {
      ASSERT_EQ(pq->size(p), js->size(p));
      for (std::size_t i = 0; i < pq->size(p); ++i) expect_same(pq->get(p, i), js->get(p, i));
    }
  }
#endif
}

TEST(SocSci210, ExamplesComeInSampleIdOrder) {
  auto ds = prepared(cfg_for(kSample, {{"format", "jsonl"}}));
  for (Partition p : kParts) {
    auto v = ids(*ds, p);
    EXPECT_TRUE(std::is_sorted(v.begin(), v.end())) << to_string(p);
  }
  EXPECT_THAT([&] { ds->get(Partition::test, ds->size(Partition::test)); }, ::testing::Throws<std::out_of_range>());
}

// ----------------------------------------------------------------------------------- splits

TEST(SocSci210, ParticipantSplitIsByStudyAndMatchesTheMapping) {
  const Json m = read_json(kSample / "metadata" / "participant_mapping.json");
  const std::set<std::string> seen(m["seen"].begin(), m["seen"].end()), unseen(m["unseen"].begin(), m["unseen"].end());
  auto ds = prepared(cfg_for(kSample, {{"format", "jsonl"}}));
  const auto train = studies(*ds, Partition::train), val = studies(*ds, Partition::validation),
             test = studies(*ds, Partition::test);
  EXPECT_EQ(test, unseen);
  std::set<std::string> tv = train;
  tv.insert(val.begin(), val.end());
  EXPECT_EQ(tv, seen);
  // Validation = whole seen studies: llround(0.1 * 32) = 3 of them, with none of their rows in train.
  EXPECT_EQ(val.size(), 3u);
  for (const auto& s : val) EXPECT_EQ(train.count(s), 0u) << s;
  std::map<std::string, std::size_t> rows_per_study;
  for (const auto& [id, r] : raw_rows()) ++rows_per_study[r["study_id"].get<std::string>()];
  std::size_t val_rows = 0, test_rows = 0;
  for (const auto& s : val) val_rows += rows_per_study[s];
  for (const auto& s : unseen) test_rows += rows_per_study[s];
  EXPECT_EQ(ds->size(Partition::validation), val_rows);
  EXPECT_EQ(ds->size(Partition::test), test_rows);
}

TEST(SocSci210, ConditionAndTaskSplitsFollowTheirMappings) {
  for (const std::string split : {"condition", "task"}) {
    const Json m = read_json(kSample / "metadata" / (split + "_mapping.json"));
    const std::set<std::string> seen(m["seen"].begin(), m["seen"].end()), unseen(m["unseen"].begin(), m["unseen"].end());
    auto ds = prepared(cfg_for(kSample, {{"format", "jsonl"}, {"split", split}}));
    std::map<Partition, std::set<std::string>> units;
    for (Partition p : kParts)
      for (const Example& e : all(*ds, p)) units[p].insert(unit(e, split));
    EXPECT_EQ(units[Partition::test], unseen) << split;
    for (const auto& u : units[Partition::validation]) {
      EXPECT_EQ(seen.count(u), 1u) << u;
      EXPECT_EQ(units[Partition::train].count(u), 0u) << u;
    }
    std::set<std::string> tv = units[Partition::train];
    tv.insert(units[Partition::validation].begin(), units[Partition::validation].end());
    EXPECT_EQ(tv, seen) << split;
    EXPECT_EQ(units[Partition::validation].size(), static_cast<std::size_t>(std::llround(0.1 * static_cast<double>(seen.size()))));
    std::size_t n = 0;
    for (Partition p : kParts) n += ds->size(p);
    EXPECT_EQ(n, raw_rows().size()) << split;
  }
}

TEST(SocSci210, ValidationStudiesDependOnTheSeedOnly) {
  auto a = prepared(cfg_for(kSample, {{"format", "jsonl"}}), 1);
  auto b = prepared(cfg_for(kSample, {{"format", "jsonl"}}), 1);
  EXPECT_EQ(studies(*a, Partition::validation), studies(*b, Partition::validation));
  std::set<std::set<std::string>> seen_choices;
  for (std::uint64_t seed = 0; seed < 8; ++seed)
    seen_choices.insert(studies(*prepared(cfg_for(kSample, {{"format", "jsonl"}}), seed), Partition::validation));
  EXPECT_GT(seen_choices.size(), 1u);
  auto none = prepared(cfg_for(kSample, {{"format", "jsonl"}, {"validation_fraction", 0.0}}));
  EXPECT_EQ(none->size(Partition::validation), 0u);
  EXPECT_EQ(none->size(Partition::train), a->size(Partition::train) + a->size(Partition::validation));
  // At least one seen study stays for training; a single seen study gives no validation.
  auto most = prepared(cfg_for(kSample, {{"format", "jsonl"}, {"validation_fraction", 0.99}}));
  EXPECT_EQ(studies(*most, Partition::validation).size(), 31u);
  EXPECT_EQ(studies(*most, Partition::train).size(), 1u);
  auto one = prepared(cfg_for(kSample, {{"format", "jsonl"}, {"include_studies", Array{"SYN01"}}}));
  EXPECT_EQ(one->size(Partition::validation), 0u);
  EXPECT_GT(one->size(Partition::train), 0u);
}

// ------------------------------------------------------------------------- subsets and filters

TEST(SocSci210, FractionIsADeterministicSubsetOfTheTrainingRows) {
  auto full = prepared(cfg_for(kSample, {{"format", "jsonl"}}), 7);
  const auto all_train = ids(*full, Partition::train);
  for (double f : {0.01, 0.1, 0.5}) {
    auto a = prepared(cfg_for(kSample, {{"format", "jsonl"}, {"fraction", f}}), 7);
    auto b = prepared(cfg_for(kSample, {{"format", "jsonl"}, {"fraction", f}}), 7);
    const auto sub = ids(*a, Partition::train);
    EXPECT_EQ(sub, ids(*b, Partition::train));
    EXPECT_EQ(sub.size(), static_cast<std::size_t>(std::llround(f * static_cast<double>(all_train.size()))));
    EXPECT_TRUE(std::includes(all_train.begin(), all_train.end(), sub.begin(), sub.end()));
    // Validation and test are untouched.
    EXPECT_EQ(ids(*a, Partition::validation), ids(*full, Partition::validation));
    EXPECT_EQ(ids(*a, Partition::test), ids(*full, Partition::test));
    EXPECT_NE(sub, ids(*prepared(cfg_for(kSample, {{"format", "jsonl"}, {"fraction", f}}), 8), Partition::train));
  }
  // Smaller fractions nest inside larger ones (same hash ranking).
  auto s1 = ids(*prepared(cfg_for(kSample, {{"format", "jsonl"}, {"fraction", 0.1}}), 7), Partition::train);
  auto s5 = ids(*prepared(cfg_for(kSample, {{"format", "jsonl"}, {"fraction", 0.5}}), 7), Partition::train);
  EXPECT_TRUE(std::includes(s5.begin(), s5.end(), s1.begin(), s1.end()));
}

TEST(SocSci210, FractionIsStableWhenTheRowsAreReorderedAndResplitIntoFiles) {
  auto lines = read_lines(kSampleJsonl);
  std::reverse(lines.begin(), lines.end());
  TempDir t;
  const std::size_t half = lines.size() / 2;
  jsonl_dataset(t, {lines.begin(), lines.begin() + static_cast<std::ptrdiff_t>(half)}, "b.jsonl");
  write_lines(t.path / "data" / "a.jsonl", {lines.begin() + static_cast<std::ptrdiff_t>(half), lines.end()});
  for (double f : {0.1, 1.0}) {
    auto a = prepared(cfg_for(kSample, {{"format", "jsonl"}, {"fraction", f}}), 3);
    auto b = prepared(cfg_for(t.path, {{"format", "jsonl"}, {"fraction", f}}), 3);
    for (Partition p : kParts) EXPECT_EQ(ids(*a, p), ids(*b, p)) << to_string(p);
  }
}

TEST(SocSci210, IncludeExcludeAndMaxRows) {
  auto inc = prepared(cfg_for(kSample, {{"format", "jsonl"}, {"include_studies", Array{"SYN01", "SYN08", "SYN12"}},
                                        {"validation_fraction", 0.0}}));
  EXPECT_EQ(studies(*inc, Partition::train), (std::set<std::string>{"SYN01"}));
  EXPECT_EQ(studies(*inc, Partition::test), (std::set<std::string>{"SYN08", "SYN12"}));

  auto exc = prepared(cfg_for(kSample, {{"format", "jsonl"}, {"exclude_studies", Array{"SYN01", "SYN08"}}}));
  for (Partition p : kParts) {
    EXPECT_EQ(studies(*exc, p).count("SYN01"), 0u);
    EXPECT_EQ(studies(*exc, p).count("SYN08"), 0u);
  }
  EXPECT_EQ(studies(*exc, Partition::test).size(), 7u);

  auto full = prepared(cfg_for(kSample, {{"format", "jsonl"}}));
  auto capped = prepared(cfg_for(kSample, {{"format", "jsonl"}, {"max_rows", 50}}));
  auto capped2 = prepared(cfg_for(kSample, {{"format", "jsonl"}, {"max_rows", 50}}));
  for (Partition p : kParts) {
    const auto all_ids = ids(*full, p), sub = ids(*capped, p);
    EXPECT_EQ(sub.size(), std::min<std::size_t>(50, all_ids.size()));
    EXPECT_TRUE(std::includes(all_ids.begin(), all_ids.end(), sub.begin(), sub.end()));
    EXPECT_EQ(sub, ids(*capped2, p));
  }
  // The cap spreads over studies (a hashed subset, not the first rows).
  EXPECT_GT(studies(*capped, Partition::train).size(), 3u);

  auto unknown = make(cfg_for(kSample, {{"format", "jsonl"}, {"include_studies", Array{"SYN01", "NOPE1", "NOPE2"}}}));
  EXPECT_THAT([&] { unknown->prepare(); },
              ThrowsMessage<ConfigError>(StrEq("'dataset.include_studies': names studies that are not in the data: NOPE1, NOPE2")));
}

// ---------------------------------------------------------------------------- answer scales

TEST(SocSci210, ScaleComesFromTheAnswerFormatSentence) {
  auto ds = prepared(cfg_for(kSample, {{"format", "jsonl"}}));
  std::size_t with = 0, without = 0;
  for (Partition p : kParts) {
    for (const Example& e : all(*ds, p)) {
      const auto at = e.stimuli.rfind("Only return an integer from ");
      if (at == std::string::npos) {
        EXPECT_FALSE(e.scale_min.has_value()) << e.stimuli;
        ++without;
        continue;
      }
      ++with;
      int lo = 0, hi = 0;
      ASSERT_EQ(std::sscanf(e.stimuli.c_str() + at, "Only return an integer from %d to %d", &lo, &hi), 2);
      EXPECT_EQ(e.scale_min, lo);
      EXPECT_EQ(e.scale_max, hi);
      EXPECT_GE(*e.response, lo);
      EXPECT_LE(*e.response, hi);
    }
  }
  EXPECT_GT(with, 1000u);
  EXPECT_GT(without, 0u);  // two tasks list their options instead

  // Crafted stimuli: numbers in the vignette do not count; only the answer-format phrase.
  TempDir t;
  Json base = row(0);
  std::vector<std::string> lines;
  const std::pair<std::string, std::optional<std::pair<double, double>>> cases[] = {
      {"Spending grew from 40 to 55 billion. Only return an integer from 1 to 7, where 1 means low.", {{1, 7}}},
      {"Only return an integer from 0 to 10.", {{0, 10}}},
      {"Pick a number between 2 and 9. Only return an integer between -3 and 3.", {{-3, 3}}},
      {"Only return a number from 1 to 5 where 5 is best.", {{1, 5}}},
      {"Answer: 1 = Yes, 2 = No.", std::nullopt},
      {"Only return an integer from 7 to 1.", std::nullopt},
      {"Spending grew from 40 to 55 billion.", std::nullopt},
  };
  for (std::size_t i = 0; i < std::size(cases); ++i) {
    Json r = base;
    r["sample_id"] = i;
    r["stimuli"] = cases[i].first;
    lines.push_back(r.dump());
  }
  jsonl_dataset(t, lines);
  auto crafted = prepared(cfg_for(t.path, {{"validation_fraction", 0.0}}));
  ASSERT_EQ(crafted->size(Partition::train), std::size(cases));
  for (std::size_t i = 0; i < std::size(cases); ++i) {
    const Example e = crafted->get(Partition::train, i);
    const auto& want = cases[i].second;
    EXPECT_EQ(e.scale_min.has_value(), want.has_value()) << cases[i].first;
    if (want) {
      EXPECT_EQ(*e.scale_min, want->first) << cases[i].first;
      EXPECT_EQ(*e.scale_max, want->second) << cases[i].first;
    }
  }
}

// ------------------------------------------------------------------------------- fingerprint

TEST(SocSci210, FingerprintFollowsTheDataAndTheOptionsThatChangeRows) {
  const std::string base = prepared(cfg_for(kSample, {{"format", "jsonl"}}))->fingerprint();
  EXPECT_THAT(base, StartsWith("socsci210-"));
  EXPECT_EQ(base, prepared(cfg_for(kSample, {{"format", "jsonl"}}))->fingerprint());
  EXPECT_THAT([&] { make(cfg_for(kSample))->fingerprint(); }, ThrowsMessage<Error>(StrEq("socsci210: fingerprint() before prepare()")));
  const std::vector<std::pair<Table, std::uint64_t>> variants = {
      {{{"split", "condition"}}, 0},        {{{"split", "task"}}, 0},
      {{{"validation_fraction", 0.2}}, 0},  {{{"fraction", 0.5}}, 0},
      {{{"include_studies", Array{"SYN01"}}}, 0}, {{{"exclude_studies", Array{"SYN01"}}}, 0},
      {{{"max_rows", 10}}, 0},              {{}, 1},
  };
  std::set<std::string> prints{base};
  for (const auto& [more, seed] : variants) {
    Table c = more;
    c.emplace("format", "jsonl");
    prints.insert(prepared(cfg_for(kSample, c), seed)->fingerprint());
  }
  EXPECT_EQ(prints.size(), variants.size() + 1);

  // Same content elsewhere: same fingerprint. One changed byte of data or mapping: another.
  TempDir t;
  const auto lines = read_lines(kSampleJsonl);
  const fs::path file = jsonl_dataset(t, lines, "train-00000-of-00001.jsonl");
  EXPECT_EQ(prepared(cfg_for(t.path, {{"format", "jsonl"}}))->fingerprint(), base);
  auto changed = lines;
  Json r = Json::parse(changed[5]);
  r["reasoning"] = r["reasoning"].get<std::string>() + "!";
  changed[5] = r.dump(-1, ' ', false);
  write_lines(file, changed);
  const std::string data_changed = prepared(cfg_for(t.path, {{"format", "jsonl"}}))->fingerprint();
  EXPECT_NE(data_changed, base);
  std::ofstream(t.path / "metadata" / "participant_mapping.json", std::ios::app) << "\n";
  EXPECT_NE(prepared(cfg_for(t.path, {{"format", "jsonl"}}))->fingerprint(), data_changed);
}

// --------------------------------------------------------------------------- malformed data

namespace {
// The first `n` sample rows, with `edit` applied to row `which` (0-based), as a JSONL dataset.
std::string jsonl_error(const std::function<void(Json&)>& edit, std::size_t which = 1, std::size_t n = 3) {
  TempDir t;
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < n; ++i) {
    Json r = row(i);
    if (i == which) edit(r);
    lines.push_back(r.dump());
  }
  jsonl_dataset(t, lines);
  try {
    prepared(cfg_for(t.path, {{"format", "jsonl"}}));
  } catch (const Error& e) {
    std::string msg = e.what();
    const std::string prefix = (t.path / "data").string() + "/";
    for (auto at = msg.find(prefix); at != std::string::npos; at = msg.find(prefix)) msg.replace(at, prefix.size(), "");
    return msg;
  }
  return "no error";
}
}  // namespace

TEST(SocSci210, MalformedJsonlNamesTheFileAndLine) {
  EXPECT_EQ(jsonl_error([](Json& r) { r.erase("response"); }), "train.jsonl:2: missing column 'response'");
  EXPECT_EQ(jsonl_error([](Json& r) { r.erase("demographic"); }), "train.jsonl:2: missing column 'demographic'");
  EXPECT_EQ(jsonl_error([](Json& r) { r["response"] = "5"; }),
            "train.jsonl:2: column 'response' has type string, expected an integer");
  EXPECT_EQ(jsonl_error([](Json& r) { r["response"] = 2.5; }),
            "train.jsonl:2: column 'response' has type number, expected an integer");
  EXPECT_EQ(jsonl_error([](Json& r) { r["response"] = nullptr; }), "train.jsonl:2: 'response' is null");
  EXPECT_EQ(jsonl_error([](Json& r) { r["study_id"] = nullptr; }), "train.jsonl:2: 'study_id' is null");
  EXPECT_EQ(jsonl_error([](Json& r) { r["study_id"] = 12; }),
            "train.jsonl:2: column 'study_id' has type number, expected a string");
  EXPECT_EQ(jsonl_error([](Json& r) { r["study_id"] = ""; }), "train.jsonl:2: 'study_id' is empty");
  EXPECT_EQ(jsonl_error([](Json& r) { r["stimuli"] = nullptr; }), "train.jsonl:2: 'stimuli' is null");
  EXPECT_EQ(jsonl_error([](Json& r) { r["prompt"] = Json::array(); }),
            "train.jsonl:2: column 'prompt' has type array, expected a string");
  EXPECT_EQ(jsonl_error([](Json& r) { r["sample_id"] = 0; }, 2), "train.jsonl:3: duplicate sample_id 0 (also at train.jsonl:1)");
  EXPECT_EQ(jsonl_error([](Json& r) { r["demographic"]["age"] = 34; }),
            "train.jsonl:2: column 'demographic.age' has type number, expected a string or null");
  EXPECT_EQ(jsonl_error([](Json& r) { r["demographic"].erase("ideology"); }),
            "train.jsonl:2: 'demographic' has no field 'ideology'");
  EXPECT_EQ(jsonl_error([](Json& r) { r["demographic"]["religion"] = "None"; }),
            "train.jsonl:2: 'demographic' has a field 'religion' that the first row lacks");
  EXPECT_EQ(jsonl_error([](Json& r) { r["demographic"] = "x"; }),
            "train.jsonl:2: column 'demographic' has type string, expected an object");
  EXPECT_EQ(jsonl_error([](Json& r) { r = Json::array({1, 2}); }), "train.jsonl:2: expected a JSON object, got array");
  // A null reasoning is allowed (empty), and so are null demographic attributes.
  EXPECT_EQ(jsonl_error([](Json& r) { r["reasoning"] = nullptr; r["demographic"]["age"] = nullptr; }), "no error");

  TempDir t;
  auto lines = read_lines(kSampleJsonl);
  lines.resize(3);
  lines[1] = "{\"sample_id\": 1, oops}";
  const fs::path f = jsonl_dataset(t, lines);
  EXPECT_THAT([&] { prepared(cfg_for(t.path)); }, ThrowsMessage<Error>(StrEq(f.string() + ":2: invalid JSON at column 18")));
}

TEST(SocSci210, MissingOrMalformedFilesAndMappings) {
  TempDir t;
  fs::create_directories(t.path / "data");
  EXPECT_THAT([&] { prepared(cfg_for(t.path, {{"format", "jsonl"}})); },
              ThrowsMessage<Error>(StrEq((t.path / "data").string() + ": no *.jsonl files")));

  jsonl_dataset(t, {row(0).dump(), row(1).dump()});
  const fs::path mapping = t.path / "metadata" / "condition_mapping.json";
  auto err = [&](const std::string& split) {
    try {
      prepared(cfg_for(t.path, {{"split", split}}));
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  fs::remove(mapping);
  EXPECT_EQ(err("condition"), mapping.string() + ": cannot open; the 'condition' split needs it");
  write_file(mapping, "{\"seen\": [\"SYN01:1\"], \"unseen\": [\"SYN01:1\"]}");
  EXPECT_EQ(err("condition"), mapping.string() + ": SYN01:1 is both seen and unseen");
  write_file(mapping, "{\"seen\": [\"SYN01-1\"], \"unseen\": []}");
  EXPECT_EQ(err("condition"), mapping.string() + ": \"seen\" has the entry \"SYN01-1\"; expected {\"seen\": [\"STUDY:N\", "
                                                 "...], \"unseen\": [...]} or {\"seen\": {\"STUDY\": [N, ...]}, ...}");
  write_file(mapping, "{\"seen\": []}");
  EXPECT_THAT(err("condition"), StartsWith(mapping.string() + ": no \"seen\" and \"unseen\" lists; expected "));
  write_file(mapping, "{\"seen\": [1");
  EXPECT_EQ(err("condition"), mapping.string() + ": invalid JSON at byte 12");
  // The object form, and rows in neither list (left out with a warning).
  write_file(mapping, "{\"seen\": {\"SYN01\": [2, 3]}, \"unseen\": {\"SYN01\": [1], \"SYN99\": [1]}}");
  auto ds = prepared(cfg_for(t.path, {{"split", "condition"}, {"validation_fraction", 0.0}}));
  EXPECT_EQ(ds->size(Partition::train), 0u);
  EXPECT_EQ(ds->size(Partition::test), 2u);  // both sample rows are SYN01, condition 1
  const fs::path pm = t.path / "metadata" / "participant_mapping.json";
  write_file(pm, "{\"seen\": [\"SYN01\", 5], \"unseen\": []}");
  EXPECT_EQ(err("participant"), pm.string() + ": \"seen\" has a number entry; expected {\"seen\": [study ids], \"unseen\": [study ids]}");
}

TEST(SocSci210, MalformedParquetNamesTheFileAndRow) {
#ifndef SOCSCI210_WITH_PARQUET
  GTEST_SKIP() << "socsci210 was built without Parquet support (pyarrow not found at configure time)";
#else
  auto parquet_error = [](const std::vector<Json>& rows, const std::string& spec) {
    TempDir t;
    std::vector<std::string> lines;
    for (const auto& r : rows) lines.push_back(r.dump());
    const fs::path src = jsonl_dataset(t, lines, "src.jsonl");
    to_parquet(src, t.path / "data" / "t.parquet", spec);
    fs::remove(src);
    try {
      prepared(cfg_for(t.path, {{"format", "parquet"}}));
    } catch (const Error& e) {
      std::string msg = e.what();
      const std::string prefix = (t.path / "data").string() + "/";
      for (auto at = msg.find(prefix); at != std::string::npos; at = msg.find(prefix)) msg.replace(at, prefix.size(), "");
      return msg;
    }
    return std::string("no error");
  };
  const std::vector<Json> good = {row(0), row(1), row(2)};
  const std::string cols_but_response =
      "sample_id:int64 participant:int64 study_id:string condition_num:int64 task_num:int64 "
      "demographic:demographic stimuli:string prompt:string reasoning:string";
  EXPECT_EQ(parquet_error(good, ""), "no error");
  EXPECT_EQ(parquet_error(good, cols_but_response), "t.parquet: missing column 'response'");
  EXPECT_EQ(parquet_error(good, cols_but_response + " response:double"),
            "t.parquet: column 'response' has type double, expected an integer");
  EXPECT_EQ(parquet_error(good, cols_but_response + " response:int32"), "no error");
  auto int_study = good;
  for (auto& r : int_study) r["study_id"] = 7;
  EXPECT_EQ(parquet_error(int_study, "sample_id:int64 participant:int64 study_id:int64 condition_num:int64 task_num:int64 "
                                     "demographic:demographic stimuli:string prompt:string reasoning:string response:int64"),
            "t.parquet: column 'study_id' has type int64, expected a string");
  auto int_age = good;
  for (auto& r : int_age) r["demographic"]["age"] = 40;
  EXPECT_EQ(parquet_error(int_age, "sample_id:int64 participant:int64 study_id:string condition_num:int64 task_num:int64 "
                                   "demographic:demographic_int_age stimuli:string prompt:string reasoning:string response:int64"),
            "t.parquet: column 'demographic.age' has type int64, expected a string");
  auto null_response = good;
  null_response[1]["response"] = nullptr;
  EXPECT_EQ(parquet_error(null_response, ""), "t.parquet: row 1: 'response' is null");
  auto null_study = good;
  null_study[2]["study_id"] = nullptr;
  EXPECT_EQ(parquet_error(null_study, ""), "t.parquet: row 2: 'study_id' is null");
  auto dup = good;
  dup[2]["sample_id"] = dup[0]["sample_id"];
  EXPECT_EQ(parquet_error(dup, ""), "t.parquet: row 2: duplicate sample_id 0 (also at t.parquet: row 0)");
  auto null_stimuli = good;
  null_stimuli[1]["stimuli"] = nullptr;
  EXPECT_EQ(parquet_error(null_stimuli, ""), "t.parquet: row 1: 'stimuli' is null");
  auto null_demo = good;
  null_demo[1]["demographic"] = nullptr;
  EXPECT_EQ(parquet_error(null_demo, ""), "t.parquet: row 1: 'demographic' is null");

  TempDir t;
  jsonl_dataset(t, {row(0).dump()});
  write_file(t.path / "data" / "bad.parquet", "this is not parquet at all");
  EXPECT_THAT([&] { prepared(cfg_for(t.path, {{"format", "parquet"}})); },
              ThrowsMessage<Error>(StartsWith((t.path / "data" / "bad.parquet").string() + ": not a readable Parquet file: ")));
#endif
}

// ------------------------------------------------------------------- the real dataset (opt-in)

// SOCSCI210_REAL_DIR=/path/to/SocSci210 test_dataset_socsci210 --gtest_filter='*RealData*'
// reads a full copy (e.g. the Hugging Face download) at the paper's 1% subset and checks the
// invariants; it prints the sizes, the time and the peak memory.
TEST(SocSci210, RealDataIfPresent) {
  const char* dir = std::getenv("SOCSCI210_REAL_DIR");
  if (!dir) GTEST_SKIP() << "set SOCSCI210_REAL_DIR to a SocSci210 folder to run this";
  const double fraction = std::getenv("SOCSCI210_REAL_FRACTION") ? std::atof(std::getenv("SOCSCI210_REAL_FRACTION")) : 0.01;
  const auto t0 = std::chrono::steady_clock::now();
  auto ds = prepared(cfg_for(dir, {{"fraction", fraction}}));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const Json m = read_json(fs::path(dir) / "metadata" / "participant_mapping.json");
  const std::set<std::string> unseen(m["unseen"].begin(), m["unseen"].end());
  const auto test = studies(*ds, Partition::test);
  for (const auto& s : test) EXPECT_EQ(unseen.count(s), 1u) << s;
  for (Partition p : {Partition::train, Partition::validation})
    for (const auto& s : studies(*ds, p)) EXPECT_EQ(unseen.count(s), 0u) << s;
  std::ifstream status("/proc/self/status");
  std::string line, peak;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0) peak = line;
  std::printf("real data: train %zu, validation %zu, test %zu rows (%zu test studies) in %.1f s; %s\n",
              ds->size(Partition::train), ds->size(Partition::validation), ds->size(Partition::test), test.size(), secs,
              peak.c_str());
}
