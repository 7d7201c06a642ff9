// Test helper: converts a JSONL file to Parquet with a chosen schema, so the tests can write
// well-formed and deliberately broken Parquet files. Kept out of the test executable on
// purpose: the wheel's libparquet exports a bundled OpenSSL, which must not be linked next to
// the host's libcrypto in one executable's global symbol scope.
//
//   socsci210_jsonl_to_parquet IN.jsonl OUT.parquet [--row-group N] [COLUMN:TYPE ...]
//
// Without columns it uses the SocSci210 schema. TYPE: int64 int32 uint64 double string
// large_string bool demographic (the struct of 16 strings) demographic_int_age (age int64).
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <arrow/json/reader.h>
#include <parquet/arrow/writer.h>

namespace {

const char* kDemographic[] = {"age", "gender", "education", "employment", "ethnicity", "income",
                              "party_id", "ideology", "location", "marital_status", "household_size",
                              "housing_ownership", "housing_type", "metro_status", "internet_access",
                              "phone_service"};

std::shared_ptr<arrow::DataType> demographic(bool int_age) {
  arrow::FieldVector f;
  for (const char* n : kDemographic)
    f.push_back(arrow::field(n, int_age && std::string(n) == "age" ? arrow::int64() : arrow::utf8()));
  return arrow::struct_(f);
}

std::shared_ptr<arrow::DataType> type_of(const std::string& t) {
  if (t == "int64") return arrow::int64();
  if (t == "int32") return arrow::int32();
  if (t == "uint64") return arrow::uint64();
  if (t == "double") return arrow::float64();
  if (t == "string") return arrow::utf8();
  if (t == "large_string") return arrow::large_utf8();
  if (t == "bool") return arrow::boolean();
  if (t == "demographic") return demographic(false);
  if (t == "demographic_int_age") return demographic(true);
  return nullptr;
}

int die(const std::string& what) {
  std::cerr << "socsci210_jsonl_to_parquet: " << what << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return die("usage: IN.jsonl OUT.parquet [--row-group N] [COLUMN:TYPE ...]");
  std::int64_t row_group = 1000;
  std::vector<std::string> cols;
  for (int i = 3; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--row-group" && i + 1 < argc) {
      row_group = std::stoll(argv[++i]);
    } else {
      cols.push_back(a);
    }
  }
  if (cols.empty())
    cols = {"sample_id:int64", "participant:int64", "study_id:string", "condition_num:int64", "task_num:int64",
            "demographic:demographic", "stimuli:string", "prompt:string", "reasoning:string", "response:int64"};
  arrow::FieldVector fields;
  for (const auto& c : cols) {
    const auto colon = c.find(':');
    auto t = colon == std::string::npos ? nullptr : type_of(c.substr(colon + 1));
    if (!t) return die("bad column spec '" + c + "'");
    fields.push_back(arrow::field(c.substr(0, colon), t));
  }
  auto in = arrow::io::ReadableFile::Open(argv[1]);
  if (!in.ok()) return die(in.status().ToString());
  auto parse = arrow::json::ParseOptions::Defaults();
  parse.explicit_schema = arrow::schema(fields);
  parse.unexpected_field_behavior = arrow::json::UnexpectedFieldBehavior::Ignore;
  auto reader = arrow::json::TableReader::Make(arrow::default_memory_pool(), *in, arrow::json::ReadOptions::Defaults(), parse);
  if (!reader.ok()) return die(reader.status().ToString());
  auto table = (*reader)->Read();
  if (!table.ok()) return die(table.status().ToString());
  // The reader may give columns in another order; write them in the order asked for.
  std::vector<std::shared_ptr<arrow::ChunkedArray>> arrays;
  for (const auto& f : fields) {
    auto a = (*table)->GetColumnByName(f->name());
    if (!a) return die("column " + f->name() + " missing after reading");
    arrays.push_back(a);
  }
  auto ordered = arrow::Table::Make(arrow::schema(fields), arrays);
  auto out = arrow::io::FileOutputStream::Open(argv[2]);
  if (!out.ok()) return die(out.status().ToString());
  auto st = parquet::arrow::WriteTable(*ordered, arrow::default_memory_pool(), *out, row_group);
  if (!st.ok()) return die(st.ToString());
  st = (*out)->Close();
  return st.ok() ? 0 : die(st.ToString());
}
