#include "core/string_pool.h"

#include <utility>

namespace flowtop::core {

StringPool::Id StringPool::Intern(absl::string_view s) {
  if (s.empty()) return 0;
  absl::MutexLock lock(&mu_);
  auto it = index_.find(s);
  if (it != index_.end()) {
    ++entries_[it->second - 1].refs;
    return it->second;
  }
  Id id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
  } else {
    entries_.emplace_back();
    id = static_cast<Id>(entries_.size());
  }
  Entry& entry = entries_[id - 1];
  entry.text.assign(s.data(), s.size());
  entry.refs = 1;
  bytes_ += entry.text.capacity();
  index_.emplace(absl::string_view(entry.text), id);
  return id;
}

void StringPool::Ref(Id id) {
  if (id == 0) return;
  absl::MutexLock lock(&mu_);
  ++entries_[id - 1].refs;
}

void StringPool::RefAll(absl::Span<const Id> ids) {
  absl::MutexLock lock(&mu_);
  for (Id id : ids) {
    if (id != 0) ++entries_[id - 1].refs;
  }
}

void StringPool::Release(Id id) {
  if (id == 0) return;
  absl::MutexLock lock(&mu_);
  ReleaseLocked(id);
}

void StringPool::ReleaseAll(absl::Span<const Id> ids) {
  absl::MutexLock lock(&mu_);
  for (Id id : ids) {
    if (id != 0) ReleaseLocked(id);
  }
}

void StringPool::ReleaseLocked(Id id) {
  Entry& entry = entries_[id - 1];
  if (entry.refs == 0 || --entry.refs != 0) return;
  if (pins_ > 0) {
    deferred_.push_back(id);
  } else {
    FreeLocked(id);
  }
}

void StringPool::FreeLocked(Id id) {
  Entry& entry = entries_[id - 1];
  if (entry.refs != 0 || entry.text.empty()) return;  // re-interned, or freed
  index_.erase(absl::string_view(entry.text));
  bytes_ -= entry.text.capacity();
  std::string().swap(entry.text);
  free_.push_back(id);
}

absl::string_view StringPool::Get(Id id) const {
  if (id == 0) return {};
  absl::ReaderMutexLock lock(&mu_);
  return entries_[id - 1].text;
}

void StringPool::Pin() {
  absl::MutexLock lock(&mu_);
  ++pins_;
}

void StringPool::Unpin() {
  absl::MutexLock lock(&mu_);
  if (--pins_ > 0) return;
  std::vector<Id> deferred = std::move(deferred_);
  deferred_.clear();
  for (Id id : deferred) FreeLocked(id);
}

size_t StringPool::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return index_.size();
}

size_t StringPool::MemoryBytes() const {
  absl::ReaderMutexLock lock(&mu_);
  return bytes_ + entries_.size() * sizeof(Entry) +
         index_.capacity() * (sizeof(absl::string_view) + sizeof(Id) + 1) +
         (free_.capacity() + deferred_.capacity()) * sizeof(Id);
}

}  // namespace flowtop::core
