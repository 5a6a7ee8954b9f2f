// cli/yaml_docs: the multi-document YAML that `kubectl vane lint` and `plan` read.
#include "cli/yaml_docs.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(vane::fuzz::text(data, size));
  for (const auto& doc : vane::cli::splitYamlDocuments(text)) {
    auto j = vane::cli::yamlToJson(doc.text);
    if (j.ok()) (void)j->dump();
  }
  return 0;
}
