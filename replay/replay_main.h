// ReplayMain: the non-interactive `flowtop replay FILE` modes (the flowtop
// binary dispatches them here; without a mode it runs the TUI over a
// ReplaySource itself).
//
//   --json      every event as one JSON object per line (protobuf's JSON
//               mapping), for jq
//   --summary   the offline report (top talkers, processes, countries,
//               protocols, flow states, lost events)
//   --info      the file's header, blocks, keyframes and any damage
#ifndef FLOWTOP_REPLAY_REPLAY_MAIN_H_
#define FLOWTOP_REPLAY_REPLAY_MAIN_H_

namespace flowtop::replay {

// Returns true when argv asks for a mode ReplayMain handles (--json,
// --summary, --info, --help), false for the interactive TUI replay.
bool IsReplayBatchMode(int argc, char** argv);

// argv[0] is "replay" (or the program name); FILE and options follow.
// Returns the exit status: 0 on success (a recording cut off by a killed
// recorder is a warning, not an error), 1 when the file cannot be read or
// has damage in the middle (after printing what could be recovered), 2 for
// a usage error.
int ReplayMain(int argc, char** argv);

}  // namespace flowtop::replay

#endif  // FLOWTOP_REPLAY_REPLAY_MAIN_H_
