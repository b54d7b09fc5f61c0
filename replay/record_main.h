// RecordMain: `flowtop record -o FILE [options]`, the command that writes a
// recording (the flowtop binary dispatches its `record` subcommand here).
//
// It runs source -> pipeline -> recorder until --duration, --count, the end
// of the source, SIGINT or SIGTERM, then flushes and closes the file. A
// progress line goes to stderr when it is a terminal.
#ifndef FLOWTOP_REPLAY_RECORD_MAIN_H_
#define FLOWTOP_REPLAY_RECORD_MAIN_H_

namespace flowtop::replay {

// argv[0] is "record" (or the program name); the options follow. Returns
// the process exit status: 0 when the recording was written and closed
// cleanly, 1 for a runtime error (its one-line message on stderr), 2 for a
// usage error.
int RecordMain(int argc, char** argv);

}  // namespace flowtop::replay

#endif  // FLOWTOP_REPLAY_RECORD_MAIN_H_
