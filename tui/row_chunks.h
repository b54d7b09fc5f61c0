// RowChunks<T>: a growable array stored in fixed chunks that snapshots share
// copy-on-write.
//
// The model keeps one entry per flow (a row pointer, its hot fields). A
// snapshot used to copy those arrays whole: 72 MB under the model's lock for
// every refresh at 1,000,000 flows, even with nothing changed. Here a
// snapshot copies only the chunk pointers (one per kChunk entries); the
// model clones a chunk the first time it writes to it while a snapshot still
// shares it. The cost of a snapshot follows the rows that changed since the
// last one, not the table's size, and an idle table costs nothing.
//
// The chunk type may be any copyable type with an `items` array of kRowChunk
// entries (RowChunk<T> by default); the model's chunks of records take and
// drop pool references when they are copied and destroyed
// (tui/row_store.h). New chunks come from a factory given to the
// constructor (default: a default-constructed chunk).
//
// Not thread-safe: the owner serialises writes and Freeze (the model does
// both under its mutex). Frozen views are immutable and may be read and
// dropped on any thread.
#ifndef FLOWTOP_TUI_ROW_CHUNKS_H_
#define FLOWTOP_TUI_ROW_CHUNKS_H_

#include <array>
#include <functional>
#include <cstddef>
#include <iterator>
#include <memory>
#include <utility>
#include <vector>

namespace flowtop::tui {

inline constexpr size_t kRowChunk = 1024;

template <typename T>
struct RowChunk {
  std::array<T, kRowChunk> items{};
};

// An immutable view of a RowChunks at the moment it was frozen.
template <typename T, typename Chunk = RowChunk<T>>
class FrozenRows {
 public:
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = const T*;
    using reference = const T&;
    const_iterator(const FrozenRows* rows, size_t i) : rows_(rows), i_(i) {}
    const T& operator*() const { return (*rows_)[i_]; }
    const_iterator& operator++() {
      ++i_;
      return *this;
    }
    bool operator==(const const_iterator& o) const { return i_ == o.i_; }
    bool operator!=(const const_iterator& o) const { return i_ != o.i_; }

   private:
    const FrozenRows* rows_;
    size_t i_;
  };

  FrozenRows() = default;
  FrozenRows(std::vector<std::shared_ptr<const Chunk>> chunks, size_t size)
      : chunks_(std::move(chunks)), size_(size) {}

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const T& operator[](size_t i) const { return chunks_[i / kRowChunk]->items[i % kRowChunk]; }
  const_iterator begin() const { return const_iterator(this, 0); }
  const_iterator end() const { return const_iterator(this, size_); }
  // The chunks themselves: equal pointers in two views mean equal entries.
  const std::vector<std::shared_ptr<const Chunk>>& chunks() const { return chunks_; }

 private:
  std::vector<std::shared_ptr<const Chunk>> chunks_;
  size_t size_ = 0;
};

template <typename T, typename Chunk = RowChunk<T>>
class RowChunks {
 public:
  using Factory = std::function<std::shared_ptr<Chunk>()>;

  RowChunks() : make_([] { return std::make_shared<Chunk>(); }) {}
  explicit RowChunks(Factory make) : make_(std::move(make)) {}

  size_t size() const { return size_; }
  const T& operator[](size_t i) const { return chunks_[i / kRowChunk]->items[i % kRowChunk]; }

  void Set(size_t i, T value) { Mutable(i) = std::move(value); }

  // Entry i, writable: its chunk is cloned first if a frozen view shares it.
  T& Mutable(size_t i) { return Writable(i / kRowChunk).items[i % kRowChunk]; }

  void PushBack(T value) {
    if (size_ == chunks_.size() * kRowChunk) chunks_.push_back(make_());
    Set(size_++, std::move(value));
  }

  void PopBack() {
    Set(size_ - 1, T{});  // nothing stale stays reachable through a chunk
    --size_;
    if (size_ == (chunks_.size() - 1) * kRowChunk) chunks_.pop_back();
  }

  // A view of the current entries; later writes do not change it.
  FrozenRows<T, Chunk> Freeze() const {
    std::vector<std::shared_ptr<const Chunk>> out(chunks_.begin(), chunks_.end());
    return FrozenRows<T, Chunk>(std::move(out), size_);
  }

  // Chunks cloned because a frozen view still shared them (for tests and
  // benchmarks).
  size_t clones() const { return clones_; }

 private:
  Chunk& Writable(size_t c) {
    // Only this owner can hand out new references (under its lock), so a
    // count of one cannot grow meanwhile; a view dropped concurrently can
    // only make us clone once more than needed.
    if (chunks_[c].use_count() > 1) {
      chunks_[c] = std::make_shared<Chunk>(*chunks_[c]);
      ++clones_;
    }
    return *chunks_[c];
  }

  Factory make_;
  std::vector<std::shared_ptr<Chunk>> chunks_;
  size_t size_ = 0;
  size_t clones_ = 0;
};

}  // namespace flowtop::tui

#endif  // FLOWTOP_TUI_ROW_CHUNKS_H_
