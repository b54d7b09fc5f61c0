// Proto3 string fields must hold valid UTF-8: a message that carries
// anything else fails to parse wherever it arrives (a gRPC client, a
// recording's reader, a stored record read back), and protobuf logs a line
// each time it is written. Strings that come from outside (a process's
// comm, which any user may set to any bytes; a PTR record; a GeoIP
// database) are repaired where they enter, with RepairUtf8Strings.
#ifndef FLOWTOP_CORE_PROTO_UTF8_H_
#define FLOWTOP_CORE_PROTO_UTF8_H_

#include "google/protobuf/message.h"

namespace flowtop::core {

// Replaces each invalid UTF-8 byte of every string field of `m` and of its
// sub-messages (repeated ones too) with U+FFFD, as core::RepairUtf8 does.
// Returns whether anything was replaced.
bool RepairUtf8Strings(google::protobuf::Message& m);

}  // namespace flowtop::core

#endif  // FLOWTOP_CORE_PROTO_UTF8_H_
