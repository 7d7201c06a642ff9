// socsci210: the SocSci210 dataset (socratesft/SocSci210) from Parquet or JSONL, split by
// study (or by condition or task) through the dataset's metadata/*_mapping.json.
//
// prepare() reads in two passes. Pass 1 reads the key columns of every row, validates them,
// and decides the partitions (split, validation studies, fraction, filters, max_rows).
// Pass 2 reads the full rows that were kept, and only those, into compact storage.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "row_source.hpp"
#include "socrates/dataset.hpp"

namespace {

using socrates::Error;
using namespace socsci210;
namespace fs = std::filesystem;

#ifdef SOCSCI210_WITH_PARQUET
constexpr bool kHaveParquet = true;
#else
constexpr bool kHaveParquet = false;
#endif

const socrates_option kOptions[] = {
    {"path", SOCRATES_PATH, nullptr,
     "The SocSci210 folder: data/*.parquet or data/*.jsonl, and metadata/{participant,condition,task}_mapping.json",
     nullptr},
    {"format", SOCRATES_STRING, "\"auto\"",
     "Which data files to read; auto = data/*.parquet if present and Parquet support was built, else data/*.jsonl",
     "auto|parquet|jsonl"},
    {"split", SOCRATES_STRING, "\"participant\"",
     "Which metadata mapping defines train vs test (test = its \"unseen\" side): unseen studies, conditions or tasks",
     "participant|condition|task"},
    {"validation_fraction", SOCRATES_FLOAT, "0.1",
     "Share of the seen studies (or seen conditions/tasks) held out whole as validation, seeded; 0 = none", nullptr},
    {"fraction", SOCRATES_FLOAT, "1.0",
     "Seeded subset of the training rows, in (0, 1] (0.01 and 0.1 are the paper's subsets)", nullptr},
    {"include_studies", SOCRATES_STRING_LIST, "[]", "Only these study ids (empty = all)", nullptr},
    {"exclude_studies", SOCRATES_STRING_LIST, "[]", "Leave out these study ids", nullptr},
    {"max_rows", SOCRATES_INT, "0", "Cap on the rows of each partition, a seeded subset (0 = no cap)", nullptr},
};

constexpr std::uint64_t kSaltValidation = 0x76616c6964617465ULL;  // "validate"
constexpr std::uint64_t kSaltRows = 0x726f777375627365ULL;        // "rowsubse"

/// The answer scale stated by the answer-format sentence: the last "integer from A to B"
/// (or "number from", "integer between A and B", ...), when A < B.
std::optional<std::pair<std::int64_t, std::int64_t>> parse_scale(std::string_view s) {
  static constexpr std::string_view kLead[] = {"integer from ", "number from ", "integer between ", "number between "};
  std::optional<std::pair<std::int64_t, std::int64_t>> best;
  std::size_t best_at = 0;
  auto read_int = [&](std::size_t& i, std::int64_t& out) {
    bool neg = i < s.size() && s[i] == '-';
    std::size_t j = i + (neg ? 1 : 0), start = j;
    std::int64_t v = 0;
    while (j < s.size() && s[j] >= '0' && s[j] <= '9' && j - start < 12) v = v * 10 + (s[j++] - '0');
    if (j == start || (j < s.size() && s[j] >= '0' && s[j] <= '9')) return false;
    out = neg ? -v : v;
    i = j;
    return true;
  };
  for (std::string_view lead : kLead) {
    const std::string_view sep = lead.substr(lead.find(' ') + 1) == "from " ? " to " : " and ";
    for (std::size_t at = s.rfind(lead); at != std::string_view::npos; at = at ? s.rfind(lead, at - 1) : std::string_view::npos) {
      std::size_t i = at + lead.size();
      std::int64_t a = 0, b = 0;
      if (!read_int(i, a) || s.substr(i, sep.size()) != sep) continue;
      i += sep.size();
      if (!read_int(i, b) || a >= b) continue;
      if (!best || at > best_at) best = std::make_pair(a, b), best_at = at;
      break;  // the last valid match for this lead
    }
  }
  return best;
}

std::string hex64(std::uint64_t h) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, h);
  return buf;
}

/// Content hash of a file: its size and a word-at-a-time 64-bit hash of every byte.
std::uint64_t hash_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw Error(p.string() + ": cannot open for reading");
  std::vector<char> buf(std::size_t{1} << 20);
  std::uint64_t h = 0x9e3779b97f4a7c15ULL, n = 0;
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    std::size_t i = 0;
    for (; i + 8 <= got; i += 8) {
      std::uint64_t w;
      std::memcpy(&w, buf.data() + i, 8);
      h = (h ^ mix64(w)) * 0x100000001b3ULL;
    }
    for (; i < got; ++i) h = (h ^ static_cast<unsigned char>(buf[i])) * 0x100000001b3ULL;
    n += got;
  }
  return mix64(h ^ n);
}

/// The unit a split assigns: a study, or a (study, condition) / (study, task) pair.
struct Unit {
  std::uint32_t study = 0;
  std::int64_t num = 0;  // condition_num or task_num; 0 for the participant split
  auto operator<=>(const Unit&) const = default;
};

class SocSci210 final : public socrates::Dataset {
 public:
  explicit SocSci210(const socrates::PluginContext& ctx)
      : cfg_(ctx.config),
        logger_(ctx.logger),
        seed_(ctx.seed),
        root_(ctx.config.get<fs::path>("path")),
        format_(ctx.config.get<std::string>("format")),
        split_(ctx.config.get<std::string>("split")),
        validation_fraction_(ctx.config.get<double>("validation_fraction")),
        fraction_(ctx.config.get<double>("fraction")),
        include_(ctx.config.get<std::vector<std::string>>("include_studies")),
        exclude_(ctx.config.get<std::vector<std::string>>("exclude_studies")),
        max_rows_(ctx.config.get<std::int64_t>("max_rows")) {
    if (root_.empty()) throw cfg_.error("path", "is empty; give the SocSci210 folder (with data/ and metadata/)");
    if (!(validation_fraction_ >= 0 && validation_fraction_ < 1))
      throw cfg_.error("validation_fraction", "must be in [0, 1), got " + fmt(validation_fraction_));
    if (!(fraction_ > 0 && fraction_ <= 1)) throw cfg_.error("fraction", "must be in (0, 1], got " + fmt(fraction_));
    if (max_rows_ < 0) throw cfg_.error("max_rows", "must be 0 (no cap) or positive, got " + std::to_string(max_rows_));
    for (const char* key : {"include_studies", "exclude_studies"})
      for (const auto& s : key[0] == 'i' ? include_ : exclude_)
        if (s.empty()) throw cfg_.error(key, "has an empty study id");
    for (const auto& s : include_)
      if (std::find(exclude_.begin(), exclude_.end(), s) != exclude_.end())
        throw cfg_.error("exclude_studies", "study '" + s + "' is also in include_studies");
    if (format_ == "parquet" && !kHaveParquet)
      throw cfg_.error("format", "\"parquet\", but this build of socsci210 has no Parquet support (pyarrow was "
                                 "not found when it was configured); use \"jsonl\" or rebuild with pyarrow");
  }

  void prepare() override {
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<fs::path> files = data_files();
    const fs::path mapping_file = root_ / "metadata" / (split_ + "_mapping.json");

    // --- Pass 1: keys of every row ------------------------------------------------------
    std::vector<std::unique_ptr<RowFile>> readers;
    std::vector<KeyRec> keys;
    for (std::size_t f = 0; f < files.size(); ++f) {
      readers.push_back(open(files[f]));
      readers.back()->scan_keys([&](std::uint64_t pos, const KeyRow& k) {
        keys.push_back({k.sample_id, k.participant, k.condition_num, k.task_num, k.response, pos,
                        intern_study(k.study_id), static_cast<std::uint32_t>(f)});
      });
      if (f > 0 && readers[f]->demographic_fields() != readers[0]->demographic_fields())
        throw Error(files[f].string() + ": its demographic fields (" + join(readers[f]->demographic_fields()) +
                    ") differ from those of " + files[0].string() + " (" + join(readers[0]->demographic_fields()) + ")");
    }
    if (!readers.empty()) demographic_fields_ = readers[0]->demographic_fields();

    // Stable order and unique ids: sort by sample_id.
    std::vector<std::uint32_t> order(keys.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = static_cast<std::uint32_t>(i);
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
      return std::tie(keys[a].sample_id, keys[a].file, keys[a].pos) < std::tie(keys[b].sample_id, keys[b].file, keys[b].pos);
    });
    for (std::size_t i = 1; i < order.size(); ++i) {
      const KeyRec &a = keys[order[i - 1]], &b = keys[order[i]];
      if (a.sample_id == b.sample_id)
        throw Error(readers[b.file]->where(b.pos) + ": duplicate sample_id " + std::to_string(b.sample_id) +
                    " (also at " + readers[a.file]->where(a.pos) + ")");
    }

    // Study filters.
    std::vector<char> study_ok(studies_.size(), 1);
    for (const auto& [list, key] : {std::pair{&include_, "include_studies"}, std::pair{&exclude_, "exclude_studies"}}) {
      std::vector<std::string> unknown;
      for (const auto& s : *list)
        if (!study_index_.count(s)) unknown.push_back(s);
      if (!unknown.empty())
        throw cfg_.error(key, "names studies that are not in the data: " + join(unknown));
    }
    if (!include_.empty()) {
      std::fill(study_ok.begin(), study_ok.end(), 0);
      for (const auto& s : include_) study_ok[study_index_.at(s)] = 1;
    }
    for (const auto& s : exclude_) study_ok[study_index_.at(s)] = 0;

    // Split: seen / unseen units from the mapping.
    const auto [seen, unseen] = read_mapping(mapping_file);
    std::vector<std::uint32_t> seen_rows, test_rows;
    std::set<Unit> seen_units, unlisted;
    std::size_t unlisted_rows = 0;
    for (std::uint32_t i : order) {
      const KeyRec& k = keys[i];
      if (!study_ok[k.study]) continue;
      const Unit u = unit_of(k);
      if (seen.count(u)) {
        seen_rows.push_back(i);
        seen_units.insert(u);
      } else if (unseen.count(u)) {
        test_rows.push_back(i);
      } else {
        ++unlisted_rows;
        unlisted.insert(u);
      }
    }
    if (unlisted_rows && logger_)
      logger_->warn("socsci210: {} rows in {} {} are in neither list of {} and are left out (e.g. {})", unlisted_rows,
                    unlisted.size(), unit_noun(), mapping_file.string(), unit_name(*unlisted.begin()));

    // Validation: whole seen units (studies, or conditions/tasks), chosen by a seeded hash.
    std::vector<Unit> units(seen_units.begin(), seen_units.end());
    std::size_t n_val = 0;
    if (validation_fraction_ > 0 && units.size() == 1 && logger_)
      logger_->warn("socsci210: only one seen {} ({}): no validation partition", unit_noun(), unit_name(units[0]));
    if (validation_fraction_ > 0 && units.size() >= 2) {
      // At least one unit each for validation and for training.
      n_val = std::clamp<std::size_t>(static_cast<std::size_t>(std::llround(validation_fraction_ * static_cast<double>(units.size()))),
                                      1, units.size() - 1);
      const std::uint64_t salt = mix64(seed_ ^ kSaltValidation);
      std::stable_sort(units.begin(), units.end(), [&](const Unit& a, const Unit& b) {
        return mix64(salt ^ fnv1a(unit_name(a))) < mix64(salt ^ fnv1a(unit_name(b)));
      });
      units.resize(n_val);
    } else {
      units.clear();
    }
    const std::set<Unit> val_units(units.begin(), units.end());
    std::vector<std::uint32_t> train_rows, val_rows;
    for (std::uint32_t i : seen_rows) (val_units.count(unit_of(keys[i])) ? val_rows : train_rows).push_back(i);
    for (const Unit& u : val_units) validation_units_.push_back(unit_name(u));

    // Row subsets: the lowest hashes of (seed, sample_id), kept in sample_id order.
    if (fraction_ < 1 && !train_rows.empty())
      keep_lowest(train_rows, keys, std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(fraction_ * static_cast<double>(train_rows.size())))));
    if (max_rows_ > 0)
      for (auto* rows : {&train_rows, &val_rows, &test_rows}) keep_lowest(*rows, keys, static_cast<std::size_t>(max_rows_));

    // --- Pass 2: the kept rows, in full -------------------------------------------------
    std::vector<std::vector<std::pair<std::uint64_t, std::uint32_t>>> wanted(files.size());  // (pos, key index)
    for (const auto* rows : {&train_rows, &val_rows, &test_rows})
      for (std::uint32_t i : *rows) wanted[keys[i].file].emplace_back(keys[i].pos, i);
    std::vector<std::uint32_t> slot(keys.size(), UINT32_MAX);  // key index -> stored row
    rows_.reserve(train_rows.size() + val_rows.size() + test_rows.size());
    for (std::size_t f = 0; f < files.size(); ++f) {
      auto& w = wanted[f];
      std::sort(w.begin(), w.end());
      std::vector<std::uint64_t> pos(w.size());
      for (std::size_t j = 0; j < w.size(); ++j) pos[j] = w[j].first;
      std::size_t j = 0;
      readers[f]->scan_full(pos, [&](std::uint64_t p, const FullRow& r) {
        while (j < w.size() && w[j].first < p) ++j;
        const std::uint32_t ki = w[j++].second;
        const KeyRec& k = keys[ki];
        if (r.key.sample_id != k.sample_id)
          throw Error(readers[f]->where(p) + ": changed while it was being read (sample_id " +
                      std::to_string(r.key.sample_id) + ", was " + std::to_string(k.sample_id) + ")");
        slot[ki] = static_cast<std::uint32_t>(rows_.size());
        rows_.push_back(store(k, r));
      });
    }
    for (auto [rows, part] : {std::pair{&train_rows, &train_}, std::pair{&val_rows, &val_}, std::pair{&test_rows, &test_}}) {
      part->reserve(rows->size());
      for (std::uint32_t i : *rows) {
        if (slot[i] == UINT32_MAX) throw Error(readers[keys[i].file]->where(keys[i].pos) + ": row vanished between passes");
        part->push_back(slot[i]);
      }
    }

    fingerprint_ = compute_fingerprint(files, mapping_file);
    prepared_ = true;
    if (logger_) {
      const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      logger_->info("socsci210: {} rows from {} {} file(s) in {:.1f} s; split {}: train {} rows, validation {} rows "
                    "({} held-out {}), test {} rows; {:.1f} MiB of text",
                    keys.size(), files.size(), resolved_format_, secs, split_, train_.size(), val_.size(),
                    validation_units_.size(), unit_noun(), test_.size(), static_cast<double>(arena_.used()) / (1 << 20));
    }
  }

  std::size_t size(socrates::Partition p) const override { return part(p).size(); }

  socrates::Example get(socrates::Partition p, std::size_t i) const override {
    const auto& ids = part(p);
    if (i >= ids.size())
      throw std::out_of_range("socsci210: " + std::string(socrates::to_string(p)) + " example " + std::to_string(i) +
                              " out of range (size " + std::to_string(ids.size()) + ")");
    const Row& r = rows_[ids[i]];
    socrates::Example ex;
    ex.sample_id = r.sample_id;
    ex.participant = r.participant;
    ex.study_id = studies_[r.study];
    ex.condition_num = r.condition_num;
    ex.task_num = r.task_num;
    // The profile is stored as the concatenation of (4-byte length or UINT32_MAX for null, bytes).
    std::string_view prof = arena_.view(strings_[r.profile]);
    ex.demographic.reserve(demographic_fields_.size());
    for (const auto& name : demographic_fields_) {
      std::uint32_t n;
      std::memcpy(&n, prof.data(), 4);
      prof.remove_prefix(4);
      if (n == UINT32_MAX) {
        ex.demographic.emplace_back(name, std::nullopt);
      } else {
        ex.demographic.emplace_back(name, std::string(prof.substr(0, n)));
        prof.remove_prefix(n);
      }
    }
    ex.stimuli = std::string(arena_.view(strings_[r.stimuli]));
    ex.prompt = std::string(arena_.view(strings_[r.prompt]));
    if (r.prompt_ends_with_stimuli) ex.prompt += ex.stimuli;
    ex.reasoning = std::string(arena_.view(r.reasoning));
    ex.response = r.response;
    if (r.has_scale) {
      ex.scale_min = static_cast<double>(r.scale_min);
      ex.scale_max = static_cast<double>(r.scale_max);
    }
    return ex;
  }

  std::string fingerprint() const override {
    if (!prepared_) throw Error("socsci210: fingerprint() before prepare()");
    return fingerprint_;
  }

 private:
  struct KeyRec {
    std::int64_t sample_id, participant, condition_num, task_num, response;
    std::uint64_t pos;
    std::uint32_t study, file;
  };
  struct Row {
    std::int64_t sample_id, participant, condition_num, task_num, response;
    std::uint32_t study, profile, stimuli, prompt;  // ids into strings_
    Arena::Ref reasoning;
    std::int32_t scale_min = 0, scale_max = 0;
    bool has_scale = false, prompt_ends_with_stimuli = false;
  };

  static std::string fmt(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
  }
  static std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
  }

  const std::vector<std::uint32_t>& part(socrates::Partition p) const {
    if (!prepared_) throw Error("socsci210: prepare() was not called");
    switch (p) {
      case socrates::Partition::train: return train_;
      case socrates::Partition::validation: return val_;
      case socrates::Partition::test: return test_;
    }
    return test_;
  }

  std::vector<fs::path> data_files() {
    const fs::path dir = root_ / "data";
    std::error_code ec;
    if (!fs::is_directory(dir, ec))
      throw Error(dir.string() + ": no such folder; 'path' must name the SocSci210 folder, the one with data/ and " +
                  "metadata/" + (cfg_.origin("path").empty() ? "" : " (set at " + cfg_.origin("path") + ")"));
    std::vector<fs::path> parquet, jsonl;
    for (const auto& e : fs::directory_iterator(dir)) {
      if (!e.is_regular_file()) continue;
      if (e.path().extension() == ".parquet") parquet.push_back(e.path());
      if (e.path().extension() == ".jsonl") jsonl.push_back(e.path());
    }
    std::sort(parquet.begin(), parquet.end());
    std::sort(jsonl.begin(), jsonl.end());
    resolved_format_ = format_;
    if (format_ == "auto") resolved_format_ = (kHaveParquet && !parquet.empty()) ? "parquet" : "jsonl";
    auto& files = resolved_format_ == "parquet" ? parquet : jsonl;
    if (files.empty()) {
      std::string why = dir.string() + ": no *." + resolved_format_ + " files";
      if (format_ == "auto" && !kHaveParquet && !parquet.empty())
        why += " (there are *.parquet files, but this build of socsci210 has no Parquet support)";
      throw Error(why);
    }
    return files;
  }

  std::unique_ptr<RowFile> open(const fs::path& f) const {
#ifdef SOCSCI210_WITH_PARQUET
    if (resolved_format_ == "parquet") return open_parquet(f);
#endif
    return open_jsonl(f);
  }

  std::uint32_t intern_study(std::string_view s) {
    auto it = study_index_.find(std::string(s));
    if (it != study_index_.end()) return it->second;
    const auto id = static_cast<std::uint32_t>(studies_.size());
    studies_.emplace_back(s);
    study_index_.emplace(std::string(s), id);
    return id;
  }

  Unit unit_of(const KeyRec& k) const {
    if (split_ == "condition") return {k.study, k.condition_num};
    if (split_ == "task") return {k.study, k.task_num};
    return {k.study, 0};
  }
  std::string unit_name(const Unit& u) const {
    return split_ == "participant" ? studies_[u.study] : studies_[u.study] + ":" + std::to_string(u.num);
  }
  const char* unit_noun() const {
    return split_ == "condition" ? "conditions" : split_ == "task" ? "tasks" : "studies";
  }

  // Reads metadata/<split>_mapping.json. The participant mapping lists study ids; the
  // condition and task mappings list "STUDY:N" strings, or map each study to its numbers
  // ({"STUDY": [N, ...]}). Units of studies absent from the data are ignored.
  std::pair<std::set<Unit>, std::set<Unit>> read_mapping(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw Error(file.string() + ": cannot open; the '" + split_ + "' split needs it");
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::parse_error& e) {
      throw Error(file.string() + ": invalid JSON at byte " + std::to_string(e.byte));
    }
    const std::string shape = split_ == "participant"
                                  ? "{\"seen\": [study ids], \"unseen\": [study ids]}"
                                  : "{\"seen\": [\"STUDY:N\", ...], \"unseen\": [...]} or {\"seen\": {\"STUDY\": [N, ...]}, ...}";
    auto bad = [&](const std::string& what) { return Error(file.string() + ": " + what + "; expected " + shape); };
    if (!j.is_object() || !j.contains("seen") || !j.contains("unseen")) throw bad("no \"seen\" and \"unseen\" lists");
    std::set<Unit> sides[2];
    std::size_t absent = 0;
    for (int side = 0; side < 2; ++side) {
      const char* name = side == 0 ? "seen" : "unseen";
      std::vector<std::pair<std::string, std::int64_t>> entries;
      const auto& list = j[name];
      if (split_ == "participant") {
        if (!list.is_array()) throw bad(std::string("\"") + name + "\" is not a list");
        for (const auto& e : list) {
          if (!e.is_string()) throw bad(std::string("\"") + name + "\" has a " + e.type_name() + " entry");
          entries.emplace_back(e.get<std::string>(), 0);
        }
      } else if (list.is_array()) {
        for (const auto& e : list) {
          const std::string s = e.is_string() ? e.get<std::string>() : std::string();
          const auto colon = s.rfind(':');
          std::int64_t n = 0;
          const char* end = s.data() + s.size();
          if (colon == std::string::npos || colon == 0 ||
              std::from_chars(s.data() + colon + 1, end, n).ptr != end || colon + 1 == s.size())
            throw bad(std::string("\"") + name + "\" has the entry " + e.dump());
          entries.emplace_back(s.substr(0, colon), n);
        }
      } else if (list.is_object()) {
        for (const auto& [study, nums] : list.items()) {
          if (!nums.is_array()) throw bad(std::string("\"") + name + "\"." + study + " is not a list");
          for (const auto& n : nums) {
            if (!n.is_number_integer()) throw bad(std::string("\"") + name + "\"." + study + " has the entry " + n.dump());
            entries.emplace_back(study, n.get<std::int64_t>());
          }
        }
      } else {
        throw bad(std::string("\"") + name + "\" is neither a list nor an object");
      }
      for (const auto& [study, n] : entries) {
        auto it = study_index_.find(study);
        if (it == study_index_.end()) {
          ++absent;
          continue;
        }
        sides[side].insert({it->second, n});
      }
    }
    for (const Unit& u : sides[0])
      if (sides[1].count(u)) throw Error(file.string() + ": " + unit_name(u) + " is both seen and unseen");
    if (absent && logger_)
      logger_->info("socsci210: {} entries of {} name studies that are not in the data", absent, file.string());
    return {std::move(sides[0]), std::move(sides[1])};
  }

  void keep_lowest(std::vector<std::uint32_t>& rows, const std::vector<KeyRec>& keys, std::size_t n) const {
    if (rows.size() <= n) return;
    const std::uint64_t salt = mix64(seed_ ^ kSaltRows);
    auto rank = [&](std::uint32_t i) { return mix64(salt ^ static_cast<std::uint64_t>(keys[i].sample_id)); };
    std::vector<std::uint32_t> by_rank = rows;
    std::nth_element(by_rank.begin(), by_rank.begin() + static_cast<std::ptrdiff_t>(n) - 1, by_rank.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return rank(a) < rank(b); });
    const std::uint64_t cut = rank(by_rank[n - 1]);
    std::vector<std::uint32_t> kept;
    kept.reserve(n);
    for (std::uint32_t i : rows)  // rows are in sample_id order; ranks are distinct for distinct ids
      if (rank(i) <= cut) kept.push_back(i);
    rows = std::move(kept);
  }

  std::uint32_t intern(std::string_view s) {
    auto it = pool_.find(s);
    if (it != pool_.end()) return it->second;
    const Arena::Ref ref = arena_.add(s);
    const auto id = static_cast<std::uint32_t>(strings_.size());
    strings_.push_back(ref);
    pool_.emplace(arena_.view(ref), id);
    return id;
  }

  Row store(const KeyRec& k, const FullRow& r) {
    Row row{k.sample_id, k.participant, k.condition_num, k.task_num, k.response, k.study, 0, 0, 0, {}, 0, 0, false, false};
    std::string& prof = scratch_;
    prof.clear();
    for (const auto& v : r.demographic) {
      const std::uint32_t n = v ? static_cast<std::uint32_t>(v->size()) : UINT32_MAX;
      prof.append(reinterpret_cast<const char*>(&n), 4);
      if (v) prof.append(*v);
    }
    row.profile = intern(prof);
    const std::size_t before = strings_.size();
    row.stimuli = intern(r.stimuli);
    if (strings_.size() != before) scales_.emplace(row.stimuli, parse_scale(r.stimuli));
    if (const auto& sc = scales_.at(row.stimuli)) {
      row.has_scale = sc->first >= INT32_MIN && sc->second <= INT32_MAX;
      row.scale_min = static_cast<std::int32_t>(sc->first);
      row.scale_max = static_cast<std::int32_t>(sc->second);
    }
    // Prompts repeat the stimuli after a per-participant profile: store that prefix once.
    if (r.prompt.size() >= r.stimuli.size() && r.prompt.substr(r.prompt.size() - r.stimuli.size()) == r.stimuli) {
      row.prompt = intern(r.prompt.substr(0, r.prompt.size() - r.stimuli.size()));
      row.prompt_ends_with_stimuli = true;
    } else {
      row.prompt = intern(r.prompt);
    }
    row.reasoning = arena_.add(r.reasoning);
    return row;
  }

  std::string compute_fingerprint(const std::vector<fs::path>& files, const fs::path& mapping) const {
    std::string s = "socsci210/1|format=" + resolved_format_ + "|split=" + split_ +
                    "|validation_fraction=" + fmt(validation_fraction_) + "|fraction=" + fmt(fraction_) +
                    "|max_rows=" + std::to_string(max_rows_) + "|seed=" + std::to_string(seed_) + "|include=";
    for (const auto& x : include_) s += x + ",";
    s += "|exclude=";
    for (const auto& x : exclude_) s += x + ",";
    std::vector<fs::path> all = files;
    all.push_back(mapping);
    for (const auto& f : all) {
      std::error_code ec;
      const auto size = fs::file_size(f, ec);
      s += "|" + f.filename().string() + ":" + std::to_string(ec ? 0 : size) + ":" + hex64(hash_file(f));
    }
    return "socsci210-" + hex64(fnv1a(s)) + hex64(mix64(fnv1a(s, 0x84222325cbf29ce4ULL)));
  }

  socrates::ConfigSection cfg_;
  std::shared_ptr<spdlog::logger> logger_;
  std::uint64_t seed_;
  fs::path root_;
  std::string format_, split_, resolved_format_;
  double validation_fraction_, fraction_;
  std::vector<std::string> include_, exclude_;
  std::int64_t max_rows_;

  bool prepared_ = false;
  std::vector<std::string> studies_;
  std::unordered_map<std::string, std::uint32_t> study_index_;
  std::vector<std::string> demographic_fields_;
  std::vector<std::string> validation_units_;
  Arena arena_;
  std::vector<Arena::Ref> strings_;
  std::unordered_map<std::string_view, std::uint32_t> pool_;
  std::unordered_map<std::uint32_t, std::optional<std::pair<std::int64_t, std::int64_t>>> scales_;
  std::string scratch_;
  std::vector<Row> rows_;
  std::vector<std::uint32_t> train_, val_, test_;
  std::string fingerprint_;
};

}  // namespace

SOCRATES_PLUGIN(socrates::Dataset, SocSci210, "socsci210", "1.0.0",
                "SocSci210 (socratesft/SocSci210) from Parquet or JSONL; split by study, condition or task", kOptions);
