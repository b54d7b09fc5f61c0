// StringPool: interned strings shared by many flows.
//
// A million flows name a few thousand processes, cgroups, hostnames, cities
// and AS organisations. A FlowRecord (core/flow_record.h) keeps each of them
// as a 4-byte id into a pool instead of a copy per flow. Ids are counted
// references: Intern adds one, Release drops one, and an entry whose count
// falls to 0 is freed (its id reused later).
//
// Threads: one writer (Intern, Ref, Release) and any number of readers (Get)
// at once. A reader that walks records outside the writer's lock (a table
// snapshot, core/flow_table.h) holds a Pin: while any pin is held, entries
// whose count falls to 0 are not freed (their ids are not reused), so the
// ids in the reader's records keep naming the same strings; the last Unpin
// frees them.
#ifndef FLOWTOP_CORE_STRING_POOL_H_
#define FLOWTOP_CORE_STRING_POOL_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "absl/synchronization/mutex.h"

namespace flowtop::core {

class StringPool {
 public:
  using Id = uint32_t;  // 0: the empty string, never counted

  StringPool() = default;
  StringPool(const StringPool&) = delete;
  StringPool& operator=(const StringPool&) = delete;

  // Returns the id of `s` with one more reference (0 for "").
  Id Intern(absl::string_view s);
  // One more reference to a live id (0: nothing).
  void Ref(Id id);
  // One reference less (0: nothing); frees the entry at 0 unless pinned.
  void Release(Id id);
  // Ref and Release of many ids under one lock (0s are skipped): a block of
  // records copied or dropped at once (the TUI's copy-on-write chunks).
  void RefAll(absl::Span<const Id> ids);
  void ReleaseAll(absl::Span<const Id> ids);

  // The string of a live (or pinned) id; "" for 0. The view stays valid
  // while the id is referenced or a pin taken before its release is held.
  absl::string_view Get(Id id) const;

  // See the file comment. Unpin frees what was released meanwhile.
  void Pin();
  void Unpin();

  // Live entries (distinct strings) and their bytes, with the overhead of
  // an entry and its index slot: what the pool costs.
  size_t size() const;
  size_t MemoryBytes() const;

 private:
  struct Entry {
    std::string text;
    uint32_t refs = 0;
  };
  void FreeLocked(Id id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReleaseLocked(Id id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  // Index i holds id i + 1; a deque never moves its elements, so the index's
  // views into `text` stay valid.
  std::deque<Entry> entries_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<absl::string_view, Id> index_ ABSL_GUARDED_BY(mu_);
  std::vector<Id> free_ ABSL_GUARDED_BY(mu_);
  std::vector<Id> deferred_ ABSL_GUARDED_BY(mu_);  // released while pinned
  int pins_ ABSL_GUARDED_BY(mu_) = 0;
  size_t bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace flowtop::core

#endif  // FLOWTOP_CORE_STRING_POOL_H_
