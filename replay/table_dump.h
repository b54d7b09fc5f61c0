// TableDump: a canonical text form of a flow table, for golden files and for
// comparing two tables (rates and counters included) byte for byte.
#ifndef FLOWTOP_REPLAY_TABLE_DUMP_H_
#define FLOWTOP_REPLAY_TABLE_DUMP_H_

#include <string>

#include "core/flow_table.h"

namespace flowtop::replay {

// Returns every flow of `table` sorted by conntrack id, each in protobuf text
// format on one line ("id <n>: <flow>"), preceded by a line with the flow
// count. Deterministic: the same table always gives the same bytes.
std::string DumpTable(const core::FlowTable& table);

}  // namespace flowtop::replay

#endif  // FLOWTOP_REPLAY_TABLE_DUMP_H_
