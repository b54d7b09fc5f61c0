// Giving freed heap memory back to the kernel after a burst.
//
// Loading a table streams every flow through transient objects (protobuf
// events, gRPC messages, the collector's dump buffers) while the model's
// chunks are allocated between them; glibc keeps the freed pages of that
// burst mapped. At 100,000 flows over --connect that was ~170 B a flow of
// resident memory the table no longer used (docs/memory.md).
#ifndef FLOWTOP_TUI_RELEASE_MEMORY_H_
#define FLOWTOP_TUI_RELEASE_MEMORY_H_

namespace flowtop::tui {

// Returns the allocator's free pages to the kernel (glibc's malloc_trim):
// call it off the event path, once a burst (an initial snapshot) is over.
// Takes milliseconds at a million flows; does nothing elsewhere.
void ReleaseFreedMemory();

}  // namespace flowtop::tui

#endif  // FLOWTOP_TUI_RELEASE_MEMORY_H_
