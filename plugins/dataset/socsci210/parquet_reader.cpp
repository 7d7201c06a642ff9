// Parquet through Arrow C++ (the libraries the pinned pyarrow wheel ships). Reads only the
// columns a pass needs, one row group at a time.
#include <map>
#include <string>

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/schema.h>
#include <parquet/exception.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include "row_source.hpp"

namespace socsci210 {
namespace {

bool integer_type(const arrow::DataType& t) {
  switch (t.id()) {
    case arrow::Type::INT8: case arrow::Type::INT16: case arrow::Type::INT32: case arrow::Type::INT64:
    case arrow::Type::UINT8: case arrow::Type::UINT16: case arrow::Type::UINT32: case arrow::Type::UINT64:
      return true;
    default:
      return false;
  }
}
bool string_type(const arrow::DataType& t) {
  return t.id() == arrow::Type::STRING || t.id() == arrow::Type::LARGE_STRING || t.id() == arrow::Type::STRING_VIEW;
}

// Typed access to one column of a record batch, whatever its integer or string width.
class IntColumn {
 public:
  explicit IntColumn(const arrow::Array* a) : a_(a) {}
  bool null(std::int64_t i) const { return a_->IsNull(i); }
  // Returns false when an unsigned value does not fit in int64.
  bool get(std::int64_t i, std::int64_t& out) const {
    switch (a_->type_id()) {
      case arrow::Type::INT8: out = cast<arrow::Int8Array>(i); return true;
      case arrow::Type::INT16: out = cast<arrow::Int16Array>(i); return true;
      case arrow::Type::INT32: out = cast<arrow::Int32Array>(i); return true;
      case arrow::Type::INT64: out = cast<arrow::Int64Array>(i); return true;
      case arrow::Type::UINT8: out = cast<arrow::UInt8Array>(i); return true;
      case arrow::Type::UINT16: out = cast<arrow::UInt16Array>(i); return true;
      case arrow::Type::UINT32: out = cast<arrow::UInt32Array>(i); return true;
      case arrow::Type::UINT64: {
        auto u = static_cast<const arrow::UInt64Array*>(a_)->Value(i);
        out = static_cast<std::int64_t>(u);
        return u <= static_cast<std::uint64_t>(INT64_MAX);
      }
      default: return false;
    }
  }

 private:
  template <class A>
  std::int64_t cast(std::int64_t i) const { return static_cast<std::int64_t>(static_cast<const A*>(a_)->Value(i)); }
  const arrow::Array* a_;
};

class StringColumn {
 public:
  StringColumn() = default;
  explicit StringColumn(const arrow::Array* a) : a_(a) {}
  bool null(std::int64_t i) const { return a_->IsNull(i); }
  std::string_view get(std::int64_t i) const {
    switch (a_->type_id()) {
      case arrow::Type::STRING: return static_cast<const arrow::StringArray*>(a_)->GetView(i);
      case arrow::Type::LARGE_STRING: return static_cast<const arrow::LargeStringArray*>(a_)->GetView(i);
      default: return static_cast<const arrow::StringViewArray*>(a_)->GetView(i);
    }
  }

 private:
  const arrow::Array* a_ = nullptr;
};

void collect_leaves(const parquet::arrow::SchemaField& f, std::vector<int>& out) {
  if (f.children.empty()) {
    if (f.column_index >= 0) out.push_back(f.column_index);
    return;
  }
  for (const auto& c : f.children) collect_leaves(c, out);
}

class ParquetFile final : public RowFile {
 public:
  explicit ParquetFile(const std::filesystem::path& p) : RowFile(p) {
    auto in = arrow::io::ReadableFile::Open(path_.string());
    if (!in.ok()) throw socrates::Error(path_.string() + ": cannot open: " + in.status().message());
    try {
      parquet::arrow::FileReaderBuilder b;
      check(b.Open(*in), "not a readable Parquet file");
      parquet::ArrowReaderProperties props;
      props.set_use_threads(true);
      b.properties(props);
      auto r = b.Build();
      check(r.status(), "not a readable Parquet file");
      reader_ = std::move(*r);
      check(reader_->GetSchema(&schema_), "cannot read the schema");
    } catch (const parquet::ParquetException& e) {
      throw socrates::Error(path_.string() + ": not a readable Parquet file: " + e.what());
    }
    for (const char* name : kColumns) {
      int idx = schema_->GetFieldIndex(name);
      if (idx < 0) throw socrates::Error(path_.string() + ": missing column '" + name + "'");
      const arrow::DataType& t = *schema_->field(idx)->type();
      const std::string n = name;
      if (n == "demographic") {
        if (t.id() != arrow::Type::STRUCT)
          throw socrates::Error(path_.string() + ": column 'demographic' has type " + t.ToString() +
                                ", expected a struct of strings");
        for (const auto& child : t.fields()) {
          if (!string_type(*child->type()))
            throw socrates::Error(path_.string() + ": column 'demographic." + child->name() + "' has type " +
                                  child->type()->ToString() + ", expected a string");
          fields_.push_back(child->name());
        }
      } else if (n == "study_id" || n == "stimuli" || n == "prompt" || n == "reasoning") {
        if (!string_type(t))
          throw socrates::Error(path_.string() + ": column '" + n + "' has type " + t.ToString() + ", expected a string");
      } else if (!integer_type(t)) {
        throw socrates::Error(path_.string() + ": column '" + n + "' has type " + t.ToString() + ", expected an integer");
      }
      collect_leaves(reader_->manifest().schema_fields[static_cast<std::size_t>(idx)], leaves_[n]);
    }
    auto meta = reader_->parquet_reader()->metadata();
    std::int64_t start = 0;
    for (int g = 0; g < meta->num_row_groups(); ++g) {
      group_start_.push_back(start);
      start += meta->RowGroup(g)->num_rows();
    }
    group_start_.push_back(start);
  }

  void scan_keys(const std::function<void(std::uint64_t, const KeyRow&)>& fn) override {
    static const std::vector<std::string> cols = {"sample_id", "participant", "study_id", "condition_num", "task_num", "response"};
    std::vector<int> groups(group_start_.size() - 1);
    for (std::size_t g = 0; g < groups.size(); ++g) groups[g] = static_cast<int>(g);
    std::uint64_t pos = 0;
    read(groups, cols, [&](const arrow::RecordBatch& batch) {
      Keys k(*this, batch);
      KeyRow row;
      for (std::int64_t i = 0; i < batch.num_rows(); ++i, ++pos) {
        k.get(i, pos, row);
        fn(pos, row);
      }
    });
  }

  void scan_full(const std::vector<std::uint64_t>& wanted,
                 const std::function<void(std::uint64_t, const FullRow&)>& fn) override {
    static const std::vector<std::string> cols(std::begin(kColumns), std::end(kColumns));
    std::size_t next = 0;
    FullRow row;
    for (std::size_t g = 0; g + 1 < group_start_.size() && next < wanted.size(); ++g) {
      const auto end = static_cast<std::uint64_t>(group_start_[g + 1]);
      if (wanted[next] >= end) continue;  // nothing wanted in this row group: skip it unread
      std::uint64_t pos = static_cast<std::uint64_t>(group_start_[g]);
      read({static_cast<int>(g)}, cols, [&](const arrow::RecordBatch& batch) {
        Keys k(*this, batch);
        StringColumn stimuli(column(batch, "stimuli")), prompt(column(batch, "prompt")),
            reasoning(column(batch, "reasoning"));
        const auto* demo = static_cast<const arrow::StructArray*>(column(batch, "demographic"));
        std::vector<StringColumn> demo_cols;
        for (int f = 0; f < demo->num_fields(); ++f) demo_cols.emplace_back(demo->field(f).get());
        const std::uint64_t batch_end = pos + static_cast<std::uint64_t>(batch.num_rows());
        while (next < wanted.size() && wanted[next] < batch_end) {
          const std::uint64_t p = wanted[next++];
          const auto i = static_cast<std::int64_t>(p - pos);
          k.get(i, p, row.key);
          if (demo->IsNull(i)) fail(p, "'demographic' is null");
          row.demographic.assign(demo_cols.size(), std::nullopt);
          for (std::size_t f = 0; f < demo_cols.size(); ++f)
            if (!demo_cols[f].null(i)) row.demographic[f] = demo_cols[f].get(i);
          if (stimuli.null(i)) fail(p, "'stimuli' is null");
          if (prompt.null(i)) fail(p, "'prompt' is null");
          row.stimuli = stimuli.get(i);
          row.prompt = prompt.get(i);
          row.reasoning = reasoning.null(i) ? std::string_view() : reasoning.get(i);
          fn(p, row);
        }
        pos = batch_end;
      });
    }
  }

  const std::vector<std::string>& demographic_fields() const override { return fields_; }

  std::string where(std::uint64_t pos) const override { return path_.string() + ": row " + std::to_string(pos); }

 private:
  // The key columns of one batch.
  struct Keys {
    Keys(const ParquetFile& f, const arrow::RecordBatch& b)
        : file(f), sample_id(f.column(b, "sample_id")), participant(f.column(b, "participant")),
          study_id(f.column(b, "study_id")), condition_num(f.column(b, "condition_num")),
          task_num(f.column(b, "task_num")), response(f.column(b, "response")) {}
    void get(std::int64_t i, std::uint64_t pos, KeyRow& row) const {
      row.sample_id = integer(sample_id, "sample_id", i, pos);
      row.participant = integer(participant, "participant", i, pos);
      if (study_id.null(i)) file.fail(pos, "'study_id' is null");
      row.study_id = study_id.get(i);
      if (row.study_id.empty()) file.fail(pos, "'study_id' is empty");
      row.condition_num = integer(condition_num, "condition_num", i, pos);
      row.task_num = integer(task_num, "task_num", i, pos);
      row.response = integer(response, "response", i, pos);
    }
    std::int64_t integer(const IntColumn& c, const char* name, std::int64_t i, std::uint64_t pos) const {
      if (c.null(i)) file.fail(pos, std::string("'") + name + "' is null");
      std::int64_t v = 0;
      if (!c.get(i, v)) file.fail(pos, std::string("'") + name + "' does not fit in int64");
      return v;
    }
    const ParquetFile& file;
    IntColumn sample_id, participant;
    StringColumn study_id;
    IntColumn condition_num, task_num, response;
  };

  [[noreturn]] void fail(std::uint64_t pos, const std::string& what) const { throw socrates::Error(where(pos) + ": " + what); }

  void check(const arrow::Status& s, const char* what) const {
    if (!s.ok()) throw socrates::Error(path_.string() + ": " + what + ": " + s.message());
  }

  const arrow::Array* column(const arrow::RecordBatch& b, const char* name) const {
    const auto& a = b.GetColumnByName(name);
    if (!a) throw socrates::Error(path_.string() + ": column '" + name + "' missing from a row group");
    return a.get();
  }

  template <class Fn>
  void read(const std::vector<int>& groups, const std::vector<std::string>& cols, Fn&& fn) {
    std::vector<int> leaves;
    for (const auto& c : cols) leaves.insert(leaves.end(), leaves_[c].begin(), leaves_[c].end());
    std::sort(leaves.begin(), leaves.end());
    try {
      auto rb = reader_->GetRecordBatchReader(groups, leaves);
      check(rb.status(), "cannot read");
      std::shared_ptr<arrow::RecordBatch> batch;
      while (true) {
        check((*rb)->ReadNext(&batch), "cannot read");
        if (!batch) break;
        fn(*batch);
      }
    } catch (const parquet::ParquetException& e) {
      throw socrates::Error(path_.string() + ": cannot read: " + e.what());
    }
  }

  std::unique_ptr<parquet::arrow::FileReader> reader_;
  std::shared_ptr<arrow::Schema> schema_;
  std::map<std::string, std::vector<int>> leaves_;
  std::vector<std::string> fields_;
  std::vector<std::int64_t> group_start_;
};

}  // namespace

std::unique_ptr<RowFile> open_parquet(const std::filesystem::path& file) { return std::make_unique<ParquetFile>(file); }

}  // namespace socsci210
