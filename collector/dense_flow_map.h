// DenseFlowMap: a per-flow value by FlowKey, in about the value's own size.
//
// The kernel path keeps two things for every flow beside the table: the
// reader's reconcile fingerprint and the rate tracker's last counters. As
// absl::flat_hash_map<uint64_t, V> each slot holds a key and a value, and at
// a million flows the map sits at 2^21 slots (load 0.48): a flow costs twice
// its entry. Here the entries are dense (a vector that grows by an eighth,
// not by doubling) and the hash index holds only 4-byte positions hashed by
// the entries' keys, as FlowTable's shards do: at a million flows an entry
// costs its size plus ~11 bytes of index (bench/collector:flow_table_memory).
//
// Erase moves the last entry into the hole, so positions (and pointers
// returned by Find/TryEmplace) are valid only until the next insert or
// erase. Not thread-safe; not copyable (the index points at the entries).
#ifndef FLOWTOP_COLLECTOR_DENSE_FLOW_MAP_H_
#define FLOWTOP_COLLECTOR_DENSE_FLOW_MAP_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"

namespace flowtop::collector {

template <typename Value>
class DenseFlowMap {
 public:
  struct Entry {
    uint64_t key;
    Value value;
  };

  DenseFlowMap() : index_(0, Hash{&entries_}, Eq{&entries_}) {}
  DenseFlowMap(const DenseFlowMap&) = delete;
  DenseFlowMap& operator=(const DenseFlowMap&) = delete;

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

  Value* Find(uint64_t key) {
    auto it = index_.find(Key{key});
    return it == index_.end() ? nullptr : &entries_[*it].value;
  }
  const Value* Find(uint64_t key) const {
    auto it = index_.find(Key{key});
    return it == index_.end() ? nullptr : &entries_[*it].value;
  }
  bool Contains(uint64_t key) const { return index_.contains(Key{key}); }

  // The value under `key`, value-initialized when it was absent (second:
  // true then).
  std::pair<Value*, bool> TryEmplace(uint64_t key) {
    if (Value* v = Find(key)) return {v, false};
    if (entries_.size() == entries_.capacity()) {
      entries_.reserve(entries_.size() + entries_.size() / 8 + 16);
    }
    entries_.push_back(Entry{key, Value()});
    index_.insert(static_cast<uint32_t>(entries_.size() - 1));
    return {&entries_.back().value, true};
  }

  // Removes `key`; false when it was absent.
  bool Erase(uint64_t key) {
    auto it = index_.find(Key{key});
    if (it == index_.end()) return false;
    EraseAt(*it);
    return true;
  }

  // Removes every entry for which pred(key, value) holds; returns how many.
  template <typename Pred>
  size_t EraseIf(Pred pred) {
    size_t erased = 0;
    // Backwards: the entry moved into a hole was already looked at.
    for (size_t i = entries_.size(); i-- > 0;) {
      if (!pred(entries_[i].key, static_cast<const Value&>(entries_[i].value))) continue;
      EraseAt(static_cast<uint32_t>(i));
      ++erased;
    }
    return erased;
  }

  // Calls fn(key, value) for every entry, in no particular order.
  template <typename Fn>
  void ForEach(Fn fn) const {
    for (const Entry& e : entries_) fn(e.key, e.value);
  }

  void Clear() {
    index_.clear();
    entries_.clear();
  }

  // Room for `n` entries without growing.
  void Reserve(size_t n) {
    entries_.reserve(n);
    index_.reserve(n);
  }

  // Bytes held: entries' capacity and the index's slots (a 4-byte position
  // and a control byte each).
  size_t MemoryBytes() const {
    return entries_.capacity() * sizeof(Entry) +
           index_.capacity() * (sizeof(uint32_t) + 1);
  }

 private:
  struct Key {
    uint64_t value;
  };
  struct Hash {
    using is_transparent = void;
    const std::vector<Entry>* entries;
    size_t operator()(Key key) const { return absl::HashOf(key.value); }
    size_t operator()(uint32_t pos) const {
      return absl::HashOf((*entries)[pos].key);
    }
  };
  struct Eq {
    using is_transparent = void;
    const std::vector<Entry>* entries;
    bool operator()(uint32_t a, uint32_t b) const { return a == b; }
    bool operator()(uint32_t a, Key b) const { return (*entries)[a].key == b.value; }
    bool operator()(Key a, uint32_t b) const { return (*this)(b, a); }
  };

  void EraseAt(uint32_t pos) {
    const uint32_t last = static_cast<uint32_t>(entries_.size() - 1);
    index_.erase(pos);
    if (pos != last) {
      index_.erase(last);
      entries_[pos] = std::move(entries_[last]);
      entries_.pop_back();
      index_.insert(pos);
    } else {
      entries_.pop_back();
    }
  }

  std::vector<Entry> entries_;
  absl::flat_hash_set<uint32_t, Hash, Eq> index_;
};

}  // namespace flowtop::collector

#endif  // FLOWTOP_COLLECTOR_DENSE_FLOW_MAP_H_
