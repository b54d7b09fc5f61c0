#include "replay/replay_source.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/flow_key.h"

namespace flowtop::replay {

absl::StatusOr<std::unique_ptr<ReplaySource>> ReplaySource::Open(
    const std::string& path, ReplayOptions options,
    const core::Clock& clock) {
  if (options.speed < 0) {
    return absl::InvalidArgumentError(
        "replay speed must be positive (or 0 / max for as fast as possible)");
  }
  absl::StatusOr<std::unique_ptr<RecordingReader>> reader =
      RecordingReader::Open(path);
  if (!reader.ok()) return reader.status();
  (*reader)->SetDecodeAhead(options.decode_ahead);
  std::unique_ptr<ReplaySource> source(
      new ReplaySource(path, std::move(options), clock, std::move(*reader)));
  absl::Status status = source->BuildIndex();
  if (!status.ok()) return status;
  return source;
}

ReplaySource::ReplaySource(std::string path, ReplayOptions options,
                           const core::Clock& clock,
                           std::unique_ptr<RecordingReader> reader)
    : path_(std::move(path)),
      clock_(clock),
      reader_(std::move(reader)),
      header_(reader_->header()),
      max_batch_(std::max<size_t>(1, options.max_batch)),
      use_keyframes_(options.use_keyframes),
      on_damage_(std::move(options.on_damage)) {
  absl::MutexLock lock(&mu_);
  paused_ = options.start_paused;
  speed_ = options.speed;
  loop_ = options.loop;
  hold_at_end_ = options.hold_at_end;
  seek_ = options.start_at;
}

absl::Status ReplaySource::BuildIndex() {
  BlockInfo info;
  bool have_first = false;
  while (true) {
    absl::StatusOr<bool> more = reader_->NextInfo(&info);
    if (!more.ok()) return more.status();
    if (!*more) break;
    index_.push_back(info);
    if (!info.header.keyframe() || index_.size() == 1) {
      if (!have_first) {
        first_event_ = absl::FromUnixNanos(info.header.first_time_unix_nanos);
        have_first = true;
      }
      last_event_ = absl::FromUnixNanos(info.header.last_time_unix_nanos);
    }
  }
  if (!have_first) {
    first_event_ = last_event_ = absl::FromUnixNanos(header_.start_unix_nanos());
  }
  reader_->TakeDamage();  // found again, and reported, while playing
  reader_->SeekToOffset(reader_->data_offset());
  recorded_clock_.Set(absl::ToUnixNanos(first_event_));
  return absl::OkStatus();
}

void ReplaySource::Track(const v1::FlowEvent& event) {
  switch (event.type()) {
    case v1::NEW:
    case v1::SNAPSHOT:
    case v1::UPDATE:
      live_.insert(core::FlowKey(event.flow()));
      break;
    case v1::DESTROY:
      live_.erase(core::FlowKey(event.flow()));
      break;
    default:
      break;
  }
}

void ReplaySource::Deliver(size_t begin, size_t end, core::EventSink& sink) {
  if (begin >= end) return;
  for (size_t i = begin; i < end; ++i) Track(block_.events[i]);
  last_seq_ = block_.events[end - 1].seq();
  last_time_ = block_.events[end - 1].time_unix_nanos();
  recorded_clock_.Set(last_time_);
  {
    absl::MutexLock lock(&mu_);
    pos_seq_ = last_seq_;
    pos_time_ = last_time_;
    delivered_ += end - begin;
  }
  sink.Publish(absl::MakeSpan(block_.events.data() + begin, end - begin));
}

void ReplaySource::DeliverDamage(core::EventSink& sink) {
  std::vector<Damage> damage = reader_->TakeDamage();
  if (!header_damage_reported_ && reader_->header_damage().has_value()) {
    // Rewinding to the first block does not find it again: said once here.
    header_damage_reported_ = true;
    damage.insert(damage.begin(), *reader_->header_damage());
  }
  if (damage.empty()) return;
  scratch_.clear();
  for (const Damage& d : damage) {
    v1::FlowEvent& e = scratch_.emplace_back();
    e.set_seq(last_seq_);
    e.set_time_unix_nanos(last_time_ != 0 ? last_time_ : header_.start_unix_nanos());
    e.set_type(v1::LOST);
    e.set_node(header_.node());
    e.mutable_lost()->set_source(v1::RECORDING);
    e.mutable_lost()->set_count(d.events_lost);
    e.mutable_lost()->set_detail(absl::StrCat(path_, ": ", d.message));
    if (on_damage_) on_damage_(e.lost().detail(), d.events_lost);
  }
  {
    absl::MutexLock lock(&mu_);
    damaged_ += damage.size();
    for (const Damage& d : damage) truncated_tail_ |= d.truncated_tail;
  }
  sink.Publish(absl::MakeSpan(scratch_));
}

absl::StatusOr<bool> ReplaySource::LoadNextBlock(core::EventSink& sink) {
  while (true) {
    const bool at_start = reader_->position() == reader_->data_offset();
    absl::StatusOr<bool> more = reader_->Next(&block_);
    DeliverDamage(sink);
    if (!more.ok() || !*more) {
      block_valid_ = false;
      return more;
    }
    next_ = 0;
    block_valid_ = true;
    const BlockHeader& h = block_.info.header;
    if (!h.keyframe()) {
      leading_keyframe_.reset();
      return true;
    }
    // A keyframe is the table a rotated file starts from (all of its
    // blocks); elsewhere it only serves seeking.
    if (at_start && block_.info.offset == reader_->data_offset()) {
      leading_keyframe_ = h.first_seq;
    } else if (leading_keyframe_ != h.first_seq) {
      leading_keyframe_.reset();
    }
    if (leading_keyframe_.has_value()) Deliver(0, block_.size(), sink);
  }
}

size_t ReplaySource::KeyframeFor(int64_t target, bool restart) const {
  // The last keyframe at or before target; a rotated file's leading
  // keyframe is its starting table even for earlier times.
  size_t keyframe = kNoKeyframe;
  for (size_t i = 0; i < index_.size(); ++i) {
    const BlockHeader& h = index_[i].header;
    if (!h.keyframe() || ContinuesKeyframe(i)) continue;
    // A rotated file's leading keyframe is its only starting state.
    if (i == 0 || (use_keyframes_ && h.first_time_unix_nanos <= target)) keyframe = i;
  }
  // At or before the first event: the file's starting table (empty, or a
  // rotated file's leading keyframe), then play every event from the start.
  if (restart) {
    keyframe = kNoKeyframe;
    if (!index_.empty() && index_[0].header.keyframe()) keyframe = 0;
  }
  return keyframe;
}

bool ReplaySource::ContinuesKeyframe(size_t i) const {
  if (i == 0 || i >= index_.size()) return false;
  const BlockHeader& h = index_[i].header;
  const BlockHeader& before = index_[i - 1].header;
  return h.keyframe() && before.keyframe() && h.first_seq == before.first_seq;
}

absl::StatusOr<bool> ReplaySource::ApplyKeyframe(size_t keyframe,
                                                 core::FlowTable& table) {
  reader_->SeekToOffset(index_[keyframe].offset);
  for (size_t i = keyframe; i == keyframe || ContinuesKeyframe(i); ++i) {
    absl::StatusOr<bool> more = reader_->Next(&block_);
    if (!more.ok()) return more.status();
    // A damaged first block: no keyframe; a damaged later one: the table
    // lacks its flows (the reader reports the damage), and the block read
    // in its place is read again by the caller.
    if (!*more || block_.info.offset != index_[i].offset) {
      if (*more) reader_->SeekToOffset(block_.info.offset);
      return i > keyframe;
    }
    for (size_t e = 0; e < block_.size(); ++e) table.Apply(block_.events[e]);
  }
  return true;
}

absl::Status ReplaySource::RebuildTable(size_t keyframe, int64_t target, bool restart,
                                        SeekState* out) {
  core::FlowTable& table = out->table;
  uint64_t& seq = out->seq;
  std::vector<Damage>& damage = out->damage;
  bool used_keyframe = false;
  if (keyframe != kNoKeyframe) {
    absl::StatusOr<bool> applied = ApplyKeyframe(keyframe, table);
    if (!applied.ok()) return applied.status();
    used_keyframe = *applied;
    if (used_keyframe) seq = index_[keyframe].header.first_seq;
  }
  if (!used_keyframe) {
    // No usable keyframe (none yet, or it is damaged): from the start.
    reader_->TakeDamage();
    reader_->SeekToOffset(reader_->data_offset());
  }
  block_valid_ = false;
  while (!restart) {
    absl::StatusOr<bool> more = reader_->Next(&block_);
    if (!more.ok()) return more.status();
    for (Damage& d : reader_->TakeDamage()) damage.push_back(std::move(d));
    if (!*more) break;
    if (block_.info.header.keyframe()) continue;
    size_t i = 0;
    for (; i < block_.size(); ++i) {
      const v1::FlowEvent& e = block_.events[i];
      if (e.time_unix_nanos() > target) break;
      table.Apply(e);
      seq = e.seq();
    }
    if (i < block_.size()) {
      next_ = i;
      block_valid_ = true;
      break;
    }
  }
  return absl::OkStatus();
}

void ReplaySource::PublishResync(SeekState& state, int64_t target,
                                 core::EventSink& sink) {
  const core::FlowTable& table = state.table;
  const uint64_t seq = state.seq;
  const std::vector<Damage>& damage = state.damage;
  // Hand the sink the difference as a resync.
  std::vector<uint64_t> gone(live_.begin(), live_.end());
  std::sort(gone.begin(), gone.end());
  // Copies: FlowTable hands out flows only for the duration of a call.
  std::vector<v1::Flow> flows = table.Snapshot();
  std::sort(flows.begin(), flows.end(), [](const v1::Flow& a, const v1::Flow& b) {
    return core::FlowKey(a) < core::FlowKey(b);
  });
  auto make = [&](v1::EventType type) -> v1::FlowEvent& {
    v1::FlowEvent& e = scratch_.emplace_back();
    e.set_seq(seq);
    e.set_time_unix_nanos(target);
    e.set_type(type);
    e.set_node(header_.node());
    return e;
  };
  auto flush = [&](bool force) {
    if (scratch_.empty() || (!force && scratch_.size() < max_batch_)) return;
    sink.Publish(absl::MakeSpan(scratch_));
    scratch_.clear();
  };
  scratch_.clear();
  make(v1::RESYNC_BEGIN);
  for (uint64_t id : gone) {
    v1::Flow* flow = make(v1::DESTROY).mutable_flow();
    core::SetFlowKey(id, *flow);
    flow->set_node(header_.node());
    flush(false);
  }
  live_.clear();
  for (v1::Flow& flow : flows) {
    live_.insert(core::FlowKey(flow));
    make(v1::SNAPSHOT).mutable_flow()->Swap(&flow);
    flush(false);
  }
  make(v1::RESYNC_END);
  for (const Damage& d : damage) {
    v1::FlowEvent& e = make(v1::LOST);
    e.mutable_lost()->set_source(v1::RECORDING);
    e.mutable_lost()->set_count(d.events_lost);
    e.mutable_lost()->set_detail(absl::StrCat(path_, ": ", d.message));
  }
  flush(true);
}

absl::Status ReplaySource::DoSeek(absl::Time t, core::EventSink& sink) {
  t = std::clamp(t, first_event_, last_event_);
  const int64_t target = absl::ToUnixNanos(t);
  const bool restart = target <= absl::ToUnixNanos(first_event_);
  SeekState state;
  absl::Status status = RebuildTable(KeyframeFor(target, restart), target, restart, &state);
  if (!status.ok()) return status;
  PublishResync(state, target, sink);
  last_seq_ = state.seq;
  last_time_ = target;
  recorded_clock_.Set(target);
  absl::MutexLock lock(&mu_);
  pos_seq_ = state.seq;
  pos_time_ = target;
  damaged_ += state.damage.size();
  for (const Damage& d : state.damage) truncated_tail_ |= d.truncated_tail;
  at_end_ = !restart && !block_valid_;
  reanchor_ = true;
  return absl::OkStatus();
}

ReplaySource::Command ReplaySource::NextCommand() {
  absl::MutexLock lock(&mu_);
  while (!stop_ && !seek_.has_value() && paused_ && step_budget_ == 0) {
    idle_ = true;
    cv_.SignalAll();
    cv_.Wait(&mu_);
  }
  idle_ = false;
  Command c;
  c.stop = stop_;
  c.seek = seek_;
  seek_.reset();
  c.stepping = paused_;
  c.speed = speed_;
  return c;
}

bool ReplaySource::AtEndOfRecording(uint64_t* delivered_at_loop) {
  absl::MutexLock lock(&mu_);
  at_end_ = true;
  if (loop_ && delivered_ > *delivered_at_loop) {
    *delivered_at_loop = delivered_;
    seek_ = first_event_;
    return true;
  }
  if (!hold_at_end_) return false;
  while (!stop_ && !seek_.has_value()) {
    idle_ = true;
    cv_.SignalAll();
    cv_.Wait(&mu_);
  }
  idle_ = false;
  return true;
}

size_t ReplaySource::StepEnd() {
  absl::MutexLock lock(&mu_);
  const size_t n = std::min(step_budget_, block_.size() - next_);
  step_budget_ -= n;
  reanchor_ = true;
  return next_ + n;
}

namespace {

// When recorded time `t` is due on the clock, given the pacing anchor.
absl::Time DueAt(absl::Time anchor_wall, int64_t anchor_rec, int64_t t,
                 double speed) {
  return anchor_wall + absl::Nanoseconds(t - anchor_rec) / speed;
}

}  // namespace

bool ReplaySource::DueNow(int64_t t, double speed, Pacing* pacing) {
  {
    absl::MutexLock lock(&mu_);
    if (reanchor_) {
      reanchor_ = false;
      pacing->anchor_wall = clock_.Now();
      pacing->anchor_rec = last_time_ != 0 ? std::min(last_time_, t) : t;
    }
  }
  const absl::Time due =
      DueAt(pacing->anchor_wall, pacing->anchor_rec, t, speed);
  if (due <= clock_.Now()) return true;
  // Waits through the clock: a FakeClock moved by a test wakes it.
  absl::MutexLock lock(&mu_);
  const uint64_t epoch = clock_epoch_;
  auto interrupted = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stop_ || seek_.has_value() || paused_ || reanchor_ ||
           clock_epoch_ != epoch || speed_ != speed;
  };
  idle_ = true;
  cv_.SignalAll();
  clock_.AwaitWithDeadline(&mu_, absl::Condition(&interrupted), due);
  idle_ = false;
  return false;
}

size_t ReplaySource::PacedEnd(double speed, Pacing* pacing) {
  if (!DueNow(block_.events[next_].time_unix_nanos(), speed, pacing)) {
    return next_;  // nothing due yet: look at the commands again
  }
  const absl::Time now = clock_.Now();
  size_t end = next_ + 1;
  while (end < block_.size() && end - next_ < max_batch_ &&
         DueAt(pacing->anchor_wall, pacing->anchor_rec,
               block_.events[end].time_unix_nanos(), speed) <= now) {
    ++end;
  }
  return end;
}

bool ReplaySource::PassEndMark(const Command& command, Pacing* pacing) {
  if (!block_valid_ || block_.size() != 0 || block_.info.header.keyframe()) {
    return true;
  }
  const int64_t t = block_.info.header.last_time_unix_nanos;
  if (t <= last_time_) return true;
  if (!command.stepping && command.speed > 0 &&
      !DueNow(t, command.speed, pacing)) {
    return false;
  }
  last_time_ = t;
  recorded_clock_.Set(t);
  absl::MutexLock lock(&mu_);
  pos_time_ = t;
  return true;
}

absl::Status ReplaySource::Run(core::EventSink& sink) {
  Pacing pacing;
  uint64_t delivered_at_loop = 0;
  absl::Status result;
  while (true) {
    const Command command = NextCommand();
    if (command.stop) break;
    if (command.seek.has_value()) {
      result = DoSeek(*command.seek, sink);
      if (!result.ok()) break;
      continue;
    }
    if (!block_valid_ || next_ >= block_.size()) {
      if (!PassEndMark(command, &pacing)) continue;
      absl::StatusOr<bool> more = LoadNextBlock(sink);
      if (!more.ok()) {
        result = more.status();
        break;
      }
      if (*more || AtEndOfRecording(&delivered_at_loop)) continue;
      break;
    }
    {
      absl::MutexLock lock(&mu_);
      at_end_ = false;
    }
    size_t end;
    if (command.stepping) {
      end = StepEnd();
    } else if (command.speed <= 0) {
      end = std::min(block_.size(), next_ + max_batch_);
    } else {
      end = PacedEnd(command.speed, &pacing);
      if (end == next_) continue;
    }
    Deliver(next_, end, sink);
    next_ = end;
  }
  absl::MutexLock lock(&mu_);
  finished_ = true;
  idle_ = true;
  cv_.SignalAll();
  return result;
}

void ReplaySource::Stop() {
  absl::MutexLock lock(&mu_);
  stop_ = true;
  cv_.SignalAll();
}

void ReplaySource::Pause() {
  absl::MutexLock lock(&mu_);
  paused_ = true;
  cv_.SignalAll();
}

void ReplaySource::Resume() {
  absl::MutexLock lock(&mu_);
  paused_ = false;
  step_budget_ = 0;
  reanchor_ = true;
  cv_.SignalAll();
}

void ReplaySource::Step(size_t events) {
  absl::MutexLock lock(&mu_);
  if (!paused_) return;
  step_budget_ += events;
  if (!finished_) idle_ = false;
  cv_.SignalAll();
}

void ReplaySource::SeekTo(absl::Time t) {
  absl::MutexLock lock(&mu_);
  seek_ = t;
  if (!finished_) idle_ = false;
  cv_.SignalAll();
}

void ReplaySource::SeekBy(absl::Duration delta) {
  SeekTo(recorded_clock_.Now() + delta);
}

void ReplaySource::SetSpeed(double speed) {
  if (speed < 0) return;
  absl::MutexLock lock(&mu_);
  speed_ = speed;
  reanchor_ = true;
  cv_.SignalAll();
}

void ReplaySource::SetLoop(bool loop) {
  absl::MutexLock lock(&mu_);
  loop_ = loop;
}

void ReplaySource::ClockChanged() {
  absl::MutexLock lock(&mu_);
  ++clock_epoch_;
  if (!finished_) idle_ = false;
  cv_.SignalAll();
}

bool ReplaySource::WaitIdle(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  const absl::Time deadline = absl::Now() + timeout;
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return finished_ || (idle_ && !seek_.has_value() && step_budget_ == 0);
  };
  while (!idle()) {
    if (cv_.WaitWithDeadline(&mu_, deadline)) return idle();
  }
  return true;
}

ReplayPosition ReplaySource::position() const {
  absl::MutexLock lock(&mu_);
  ReplayPosition p;
  p.first_event = first_event_;
  p.last_event = last_event_;
  p.now = absl::FromUnixNanos(pos_time_ != 0 ? pos_time_
                                             : absl::ToUnixNanos(first_event_));
  p.seq = pos_seq_;
  p.events_delivered = delivered_;
  p.damaged_blocks = damaged_;
  p.truncated_tail = truncated_tail_;
  p.paused = paused_;
  p.at_end = at_end_;
  p.finished = finished_;
  p.speed = speed_;
  return p;
}

}  // namespace flowtop::replay
