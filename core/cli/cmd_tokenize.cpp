// socrates tokenize --tokenizer PATH (--text T | --jsonl FILE)
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/cli.hpp"
#include "socrates/error.hpp"
#include "tokenizer/bpe_tokenizer.hpp"

namespace socrates::cli {

namespace {
void write_ids(std::ostream& os, const std::vector<std::int32_t>& ids) {
  std::string line = "{\"ids\": [";
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i) line += ", ";
    line += std::to_string(ids[i]);
  }
  line += "]}\n";
  os << line;
}

// Each non-blank line of `in` is {"text": "..."}; errors name FILE:LINE.
void tokenize_jsonl(const BpeTokenizer& tok, std::istream& in, const std::string& name) {
  std::string line;
  std::size_t lineno = 0;
  std::vector<std::int32_t> ids;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = name + ":" + std::to_string(lineno);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      throw Error(where + ": not valid JSON (" + e.what() + "); each line must be {\"text\": \"...\"}");
    }
    if (!j.is_object() || !j.contains("text") || !j["text"].is_string())
      throw Error(where + ": each line must be a JSON object with a \"text\" string");
    ids.clear();
    tok.encode_into(j["text"].get_ref<const std::string&>(), ids);
    write_ids(std::cout, ids);
  }
  if (in.bad()) throw Error(name + ": read error after line " + std::to_string(lineno));
}
}  // namespace

int cmd_tokenize(const std::vector<std::string>& args) {
  std::string tokenizer, text, jsonl;
  po::options_description opts("options");
  opts.add_options()("tokenizer", po::value<std::string>(&tokenizer)->required(),
                     "tokenizer.json, or a model directory that contains one")(
      "text", po::value<std::string>(&text), "encode this text")(
      "jsonl", po::value<std::string>(&jsonl), "encode each line {\"text\": ...} of this file ('-': stdin)");
  po::variables_map vm;
  if (!parse(args, opts, {}, vm, "socrates tokenize --tokenizer PATH (--text T | --jsonl FILE)")) return 0;
  const bool has_text = vm.count("text") > 0, has_jsonl = vm.count("jsonl") > 0;
  if (has_text == has_jsonl) throw ConfigError("tokenize: pass exactly one of --text or --jsonl");

  const auto tok = BpeTokenizer::from_file(tokenizer);
  std::ios::sync_with_stdio(false);
  if (has_text) {
    write_ids(std::cout, tok->encode(text));
  } else if (jsonl == "-") {
    tokenize_jsonl(*tok, std::cin, "<stdin>");
  } else {
    std::ifstream in(jsonl, std::ios::binary);
    if (!in) throw Error("tokenize: cannot open " + jsonl + "; pass an existing JSONL file of {\"text\": ...} lines");
    tokenize_jsonl(*tok, in, jsonl);
  }
  std::cout.flush();
  return 0;
}

}  // namespace socrates::cli
