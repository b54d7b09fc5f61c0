#include "replay/table_dump.h"

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/text_format.h"

namespace flowtop::replay {

std::string DumpTable(const core::FlowTable& table) {
  // Copies: FlowTable hands out flows only for the duration of a call.
  std::vector<v1::Flow> flows = table.Snapshot();
  std::sort(flows.begin(), flows.end(), [](const v1::Flow& a, const v1::Flow& b) {
    return a.conntrack_id() < b.conntrack_id();
  });
  google::protobuf::TextFormat::Printer printer;
  printer.SetSingleLineMode(true);
  std::string out = absl::StrCat("flows ", flows.size(), "\n");
  for (const v1::Flow& flow : flows) {
    std::string text;
    printer.PrintToString(flow, &text);
    absl::StrAppend(&out, "id ", flow.conntrack_id(), ": ", text, "\n");
  }
  return out;
}

}  // namespace flowtop::replay
