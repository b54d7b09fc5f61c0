// `flowtop replay FILE --ipfix HOST:PORT`: back-fills a recording into IPFIX
// collectors. The recording goes through a Pipeline (so DESTROYs carry the
// flow's last state, as in flowtopd) into an IpfixExporter in event-time
// mode: the records, their times, the messages and their sequence numbers
// are the same on every run. Flows still alive at the end of the recording
// get a final record (forcedEnd).
#ifndef FLOWTOP_REPLAY_REPLAY_EXPORT_H_
#define FLOWTOP_REPLAY_REPLAY_EXPORT_H_

namespace flowtop::replay {

// True when argv (after "replay") asks for an export (--ipfix).
bool IsReplayExport(int argc, char** argv);

// argv[0] is "replay"; FILE and options follow. Returns the exit status: 0
// when every record was sent, 1 when the file cannot be read or records
// could not be sent (the counts are printed), 2 for a usage error.
int ReplayExportMain(int argc, char** argv);

}  // namespace flowtop::replay

#endif  // FLOWTOP_REPLAY_REPLAY_EXPORT_H_
