#include "service/flowtop_service.h"

#include <cstdio>
#include <algorithm>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "google/protobuf/io/coded_stream.h"
#include "proto/flow_text.h"
#include "absl/strings/str_cat.h"
#include "core/flow_filter.h"
#include "core/flow_list.h"
#include "core/flow_sort.h"
#include "core/flow_table.h"
#include "core/stream_filter.h"
#include "core/version.h"
#include "core/flow_key.h"

namespace flowtop::service {
namespace {

constexpr char kUnauthenticated[] = "missing or wrong credentials";
constexpr char kShuttingDown[] = "flowtopd is shutting down";

// A unary reactor that finishes at once with `status`.
grpc::ServerUnaryReactor* Finished(grpc::CallbackServerContext* context,
                                   const grpc::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(status);
  return reactor;
}

// A write reactor that finishes at once with `status` (refused streams).
class RefusedStream final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  explicit RefusedStream(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

// Parses a raw request into `message`. Returns false when the bytes are
// not one (protobuf refuses malformed bytes and string fields that are not
// UTF-8).
bool ParseRaw(const grpc::ByteBuffer* raw, google::protobuf::Message* message) {
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (raw != nullptr && raw->Dump(&slices).ok()) {
    for (const grpc::Slice& slice : slices) {
      bytes.append(reinterpret_cast<const char*>(slice.begin()), slice.size());
    }
  }
  return message->ParseFromString(bytes);
}

// The message for a request that did not parse.
std::string NotParsed(absl::string_view what) {
  return absl::StrCat("not a ", what,
                      " (malformed bytes, or a string field that is not UTF-8)");
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  // Compares every byte of the longer one, so the time depends only on the
  // lengths; a different length still fails.
  const size_t n = std::max(a.size(), b.size());
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? a[i] : 0;
    const unsigned char y = i < b.size() ? b[i] : 0;
    diff |= x ^ y;
  }
  return diff == 0;
}

// One GetFlows call: a thread that reads the ring, filters, batches and
// writes, one write in flight at a time.
class FlowStream final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  FlowStream(FlowTopService& service, v1::GetFlowsRequest request,
             core::FlowMatcher matcher)
      : service_(service),
        request_(std::move(request)),
        filter_(std::move(matcher)),
        batch_(request_.max_batch() != 0 ? request_.max_batch()
                                         : service.options_.default_batch),
        text_addresses_(!request_.binary_addresses_only()) {}

  // Starts the stream's thread; call once, after registering the stream.
  void Start() {
    absl::MutexLock lock(&mu_);
    thread_ = std::thread([this] { Run(); });
    started_ = true;
  }

  // Ends the stream with UNAVAILABLE (daemon shutdown). Thread-safe.
  void Stop() {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (reader_ != nullptr) reader_->Cancel();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) broken_ = true;
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    broken_ = true;
    if (reader_ != nullptr) reader_->Cancel();
  }

  void OnDone() override {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(&started_));
    }
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();
    } else {
      thread_.join();
    }
    service_.StreamDone(this);
    delete this;
  }

 private:
  // Returns the status the stream ends with.
  grpc::Status Stream();

  void Run() {
    const grpc::Status status = Stream();
    Finish(status);  // last use of `this` on this thread: OnDone deletes it
  }

  // Sends `response` if it holds events and clears it. Returns false when the
  // client is gone or the stream must stop.
  bool Flush() {
    if (pending_events_ == 0) return true;
    // GetFlowsResponse.node (field 2) after the events (field 1).
    const std::string& node = service_.pipeline_.node();
    AppendTagAndSize(0x12, node.size());
    pending_.append(node);
    {
      absl::MutexLock lock(&mu_);
      if (broken_ || stopping_) return false;
      writing_ = true;
    }
    grpc::Slice slice(pending_);
    out_ = grpc::ByteBuffer(&slice, 1);
    pending_.clear();
    pending_events_ = 0;
    StartWrite(&out_);
    absl::MutexLock lock(&mu_);
    auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !writing_;
    };
    mu_.Await(absl::Condition(&done));
    return !broken_ && !stopping_;
  }

  // Adds one event (serialised at once: the ring's events are shared and
  // never copied); flushes when the batch is full. Returns false as Flush.
  bool Add(const v1::FlowEvent& event) {
    if (event.type() == v1::LOST && event.lost().source() == v1::RING) {
      service_.ring_lost_ += event.lost().count();
    }
    // GetFlowsResponse.events (field 1, length-delimited), then the text
    // addresses (merged into the event by the client's parser).
    const std::string& text = TextSuffix(event);
    const size_t size = event.ByteSizeLong();
    AppendTagAndSize(0x0A, size + text.size());
    const size_t at = pending_.size();
    pending_.resize(at + size);
    event.SerializeWithCachedSizesToArray(
        reinterpret_cast<uint8_t*>(&pending_[at]));
    pending_.append(text);
    if (++pending_events_ >= batch_) return Flush();
    return true;
  }

  // The text addresses to append to `event` for this client (see
  // AddressTextSuffix), or nothing when it asked for bytes only. Valid
  // until the next call (one buffer, reused: no allocation per event).
  const std::string& TextSuffix(const v1::FlowEvent& event) {
    text_.clear();
    if (text_addresses_) AppendAddressTextSuffix(event, &text_);
    return text_;
  }

  // Adds an event whose bytes the ring already serialised (shared by all
  // streams); falls back to Add when there are none.
  bool AddWire(const v1::FlowEvent& event, absl::string_view wire) {
    if (wire.empty()) return Add(event);
    const std::string& text = TextSuffix(event);
    if (!text.empty()) {
      // `wire` is tag, length, event: re-frame it with the text appended.
      google::protobuf::io::CodedInputStream in(
          reinterpret_cast<const uint8_t*>(wire.data()), static_cast<int>(wire.size()));
      uint32_t length = 0;
      if (in.ReadTag() == 0x0A && in.ReadVarint32(&length) &&
          static_cast<size_t>(in.CurrentPosition()) + length == wire.size()) {
        AppendTagAndSize(0x0A, length + text.size());
        const size_t at = static_cast<size_t>(in.CurrentPosition());
        pending_.append(wire.data() + at, wire.size() - at);
        pending_.append(text);
        if (++pending_events_ >= batch_) return Flush();
        return true;
      }
    }
    pending_.append(wire.data(), wire.size());
    if (++pending_events_ >= batch_) return Flush();
    return true;
  }

  void AppendTagAndSize(uint8_t tag, size_t size) {
    uint8_t bytes[1 + 10];
    bytes[0] = tag;
    uint8_t* end =
        google::protobuf::io::CodedOutputStream::WriteVarint64ToArray(
            size, bytes + 1);
    pending_.append(reinterpret_cast<const char*>(bytes), end - bytes);
  }

  v1::FlowEvent StatusEvent() const {
    v1::FlowEvent event;
    event.set_type(v1::STATUS);
    event.set_node(service_.pipeline_.node());
    event.set_time_unix_nanos(service_.StreamNanos());
    *event.mutable_status() = service_.Status();
    return event;
  }

  // Returns the status for a read that failed, or why the stream stopped.
  grpc::Status Ended(const absl::Status& read_status) {
    absl::MutexLock lock(&mu_);
    if (stopping_ || absl::IsUnavailable(read_status)) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, kShuttingDown);
    }
    if (broken_ || absl::IsCancelled(read_status)) {
      return grpc::Status(grpc::StatusCode::CANCELLED, "stream cancelled");
    }
    return ToGrpcStatus(read_status);
  }

  FlowTopService& service_;
  const v1::GetFlowsRequest request_;
  // Which events the client gets; follows the flows it was given.
  core::StreamFilter filter_;
  const uint32_t batch_;
  const bool text_addresses_;  // append Tuple.src_addr/dst_addr (see AddressTextSuffix)
  std::string text_;           // TextSuffix's buffer
  std::thread thread_;
  v1::FlowEvent full_;  // the merged flow filter_ may send instead
  std::string pending_;  // serialised events of the next response
  uint32_t pending_events_ = 0;
  grpc::ByteBuffer out_;  // the response being written

  absl::Mutex mu_;
  std::unique_ptr<RingReader> reader_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

grpc::Status FlowStream::Stream() {
  EventRing& ring = service_.ring_;
  const v1::GetFlowsRequest& r = request_;
  const bool follow = r.follow();
  const int64_t until = r.until_unix_nanos();
  const uint64_t number = r.number();

  // Where the ring reading starts, and (without follow) where it ends.
  // Positions are fixed before anything is sent, so a client that has seen
  // the first message knows that every later event will reach it.
  uint64_t start = ring.write_position();
  std::vector<v1::FlowEvent> snapshot;
  uint64_t snapshot_seq = 0;
  if (r.snapshot()) {
    // Never a half-loaded table: wait for the node's initial dump to end.
    while (!service_.pipeline_.WaitLoaded(absl::Milliseconds(100))) {
      absl::MutexLock lock(&mu_);
      if (stopping_) return Ended(absl::OkStatus());
    }
    // The table and the ring change together under the pipeline's lock: the
    // view (a consistent picture, taken in O(shards)) and the ring position
    // after it are taken there; the walk happens outside, so the event path
    // never waits for it.
    core::FlowTableView view;
    service_.pipeline_.WithTable([&](const core::FlowTable& table) {
      view = table.View();
      start = ring.PositionOfSeq(view.last_seq() + 1);
      return 0;
    });
    snapshot_seq = view.last_seq();
    view.ForEach([&](const v1::Flow& flow) {
      if (!filter_.matcher().Matches(flow)) return;
      v1::FlowEvent& e = snapshot.emplace_back();
      e.set_type(v1::SNAPSHOT);
      *e.mutable_flow() = flow;
      filter_.Sent(e);
    });
  }
  const bool last_n = number > 0 && !r.first();
  if (r.since_unix_nanos() != 0) {
    start = ring.PositionOfTime(absl::FromUnixNanos(r.since_unix_nanos()));
  } else if (number > 0 || (!follow && !r.snapshot())) {
    start = ring.oldest_position();
  }
  const uint64_t request_end = ring.write_position();
  const uint64_t end = follow ? UINT64_MAX : request_end;
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return Ended(absl::OkStatus());
    reader_ = std::make_unique<RingReader>(ring, start);
  }
  RingReader* reader = reader_.get();  // lives as long as the stream

  if (follow && (!Add(StatusEvent()) || !Flush())) {
    return Ended(absl::OkStatus());
  }
  if (r.snapshot()) {
    std::sort(snapshot.begin(), snapshot.end(),
              [](const v1::FlowEvent& a, const v1::FlowEvent& b) {
                return core::FlowOrder(v1::SORT_KEY_UNSPECIFIED)(
                    a.flow(), b.flow());
              });
    const int64_t now = service_.StreamNanos();
    for (v1::FlowEvent& e : snapshot) {
      e.set_seq(snapshot_seq);
      e.set_node(service_.pipeline_.node());
      e.set_time_unix_nanos(now);
      if (!Add(std::move(e))) return Ended(absl::OkStatus());
    }
    v1::FlowEvent snapshot_end;
    snapshot_end.set_type(v1::SNAPSHOT_END);
    snapshot_end.set_seq(snapshot_seq);
    snapshot_end.set_node(service_.pipeline_.node());
    snapshot_end.set_time_unix_nanos(now);
    if (!Add(std::move(snapshot_end)) || !Flush()) {
      return Ended(absl::OkStatus());
    }
  }

  std::vector<v1::FlowEvent> chunk;
  chunk.reserve(batch_);
  uint64_t matched = 0;
  bool done = false;

  if (last_n) {
    // The newest `number` matching events up to the request: scan what the
    // ring holds, keep the tail, then send it.
    const uint64_t backlog_end = request_end;
    std::deque<v1::FlowEvent> tail;
    uint64_t lost = 0;
    while (reader->position() < backlog_end) {
      chunk.clear();
      absl::StatusOr<size_t> n = reader->Read(
          std::min<uint64_t>(batch_, backlog_end - reader->position()),
          absl::InfiniteFuture(), &chunk);
      if (!n.ok()) return Ended(n.status());
      for (v1::FlowEvent& e : chunk) {
        if (e.type() == v1::LOST && e.lost().source() == v1::RING) {
          lost += e.lost().count();
          continue;
        }
        if (until != 0 && e.time_unix_nanos() > until) break;
        if (!filter_.matcher().Matches(e)) continue;
        tail.push_back(std::move(e));
        if (tail.size() > number) tail.pop_front();
      }
    }
    if (lost > 0) {
      // Lapped while scanning: the tail may miss matches; say so.
      v1::FlowEvent e;
      e.set_type(v1::LOST);
      e.mutable_lost()->set_source(v1::RING);
      e.mutable_lost()->set_count(lost);
      e.mutable_lost()->set_detail("overwritten while looking for the newest events");
      if (!Add(std::move(e))) return Ended(absl::OkStatus());
    }
    for (v1::FlowEvent& e : tail) {
      if (!Add(std::move(e))) return Ended(absl::OkStatus());
    }
    if (!Flush()) return Ended(absl::OkStatus());
    if (!follow) return grpc::Status::OK;
  }

  absl::Time next_status = absl::Now() + service_.options_.status_interval;
  RingView view;
  while (!done) {
    if (!follow && reader->position() >= end) break;
    absl::Time deadline = follow ? next_status : absl::InfiniteFuture();
    if (follow && until != 0) {
      deadline = std::min(deadline, absl::FromUnixNanos(until));
    }
    uint64_t want = batch_;
    if (!follow) want = std::min<uint64_t>(want, end - reader->position());
    absl::StatusOr<size_t> n = reader->ReadView(want, deadline, &view);
    if (!n.ok()) {
      if (!Flush()) return Ended(absl::OkStatus());
      return Ended(n.status());
    }
    if (*n == 0) {
      // Deadline: until has passed, or time for a keep-alive STATUS.
      if (until != 0 && service_.StreamNanos() > until) break;
      if (!Add(StatusEvent()) || !Flush()) return Ended(absl::OkStatus());
      next_status = absl::Now() + service_.options_.status_interval;
      continue;
    }
    bool gone = false;
    view.ForEachWire([&](const v1::FlowEvent& e, absl::string_view wire) {
      if (done || gone) return;
      if (until != 0 && e.time_unix_nanos() > until && e.type() != v1::LOST) {
        done = true;
        return;
      }
      const core::StreamFilter::Verdict verdict = filter_.Decide(e, &full_);
      if (verdict == core::StreamFilter::Verdict::kDrop) return;
      const bool use_full = verdict == core::StreamFilter::Verdict::kPassMerged;
      const bool counts = e.type() != v1::LOST && e.type() != v1::STATUS;
      if (!(use_full ? Add(full_) : AddWire(e, wire))) {
        gone = true;
        return;
      }
      if (counts && r.first() && ++matched >= number) done = true;
    });
    view.Clear();  // let the ring recycle the batches before waiting
    if (gone || !Flush()) return Ended(absl::OkStatus());
  }
  if (!Flush()) return Ended(absl::OkStatus());
  return grpc::Status::OK;
}

FlowTopService::FlowTopService(ServiceOptions options,
                               core::Pipeline& pipeline, EventRing& ring,
                               const core::Clock& clock,
                               const SourceStatus* source_status)
    : options_(std::move(options)),
      pipeline_(pipeline),
      ring_(ring),
      clock_(clock),
      source_status_(source_status),
      start_(clock.Now()),
      token_(options_.token) {}

FlowTopService::~FlowTopService() {
  Shutdown();
  absl::MutexLock lock(&mu_);
  auto none = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return streams_.empty();
  };
  mu_.Await(absl::Condition(&none));
}

void FlowTopService::Shutdown() {
  absl::MutexLock lock(&mu_);
  shutting_down_ = true;
  for (FlowStream* stream : streams_) stream->Stop();
}

void FlowTopService::SetToken(std::string token) {
  absl::MutexLock lock(&mu_);
  token_ = std::move(token);
}

int FlowTopService::streams() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(streams_.size());
}

bool FlowTopService::WaitForStreams(int n, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto reached = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return static_cast<int>(streams_.size()) == n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

void FlowTopService::StreamDone(FlowStream* stream) {
  absl::MutexLock lock(&mu_);
  streams_.erase(stream);
}

absl::Status FlowTopService::Authenticate(
    const grpc::CallbackServerContext& context) const {
  std::string token;
  {
    absl::MutexLock lock(&mu_);
    token = token_;
  }
  if (token.empty()) return absl::OkStatus();
  const std::string peer = AuthFailures::PeerHost(context.peer());
  const absl::Time now = clock_.Now();
  // A peer that failed too often is refused before its token is compared.
  if (const absl::Duration locked = auth_failures_.LockedFor(peer, now);
      locked > absl::ZeroDuration()) {
    return absl::UnauthenticatedError(absl::StrCat(
        "too many failed authentications from your address; retry in ",
        absl::FormatDuration(absl::Ceil(locked, absl::Seconds(1)))));
  }
  const auto& metadata = context.client_metadata();
  auto it = metadata.find("authorization");
  constexpr absl::string_view kBearer = "Bearer ";
  const bool ok =
      it != metadata.end() &&
      absl::StartsWith(absl::string_view(it->second.data(), it->second.size()),
                       kBearer) &&
      ConstantTimeEquals(
          absl::string_view(it->second.data(), it->second.size())
              .substr(kBearer.size()),
          token);
  if (!ok) {
    const std::string line = auth_failures_.RecordFailure(peer, now);
    if (!line.empty()) std::fprintf(stderr, "flowtopd: %s\n", line.c_str());
    return absl::UnauthenticatedError(kUnauthenticated);
  }
  return absl::OkStatus();
}

absl::Status FlowTopService::ValidateGetFlows(
    const v1::GetFlowsRequest& request, const ServiceOptions& options) {
  if (request.first() && request.follow()) {
    return absl::InvalidArgumentError(
        "first: cannot be combined with follow (the first N events are "
        "already in the ring; use number without first to follow)");
  }
  if (request.first() && request.number() == 0) {
    return absl::InvalidArgumentError("first: needs number (first N events)");
  }
  if (request.since_unix_nanos() < 0 || request.until_unix_nanos() < 0) {
    return absl::InvalidArgumentError(
        "since_unix_nanos/until_unix_nanos: must not be negative");
  }
  if (request.until_unix_nanos() != 0 &&
      request.since_unix_nanos() > request.until_unix_nanos()) {
    return absl::InvalidArgumentError(
        absl::StrCat("until_unix_nanos: ", request.until_unix_nanos(),
                     " is before since_unix_nanos ",
                     request.since_unix_nanos()));
  }
  if (request.max_batch() > options.max_batch) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_batch: ", request.max_batch(), " is more than ",
                     options.max_batch));
  }
  return absl::OkStatus();
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* FlowTopService::GetFlows(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw) {
  if (absl::Status auth = Authenticate(*context); !auth.ok()) {
    return new RefusedStream(ToGrpcStatus(auth));
  }
  v1::GetFlowsRequest parsed;
  if (!ParseRaw(raw, &parsed)) {
    return new RefusedStream(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                          NotParsed("GetFlowsRequest")));
  }
  const v1::GetFlowsRequest* request = &parsed;
  if (absl::Status valid = ValidateGetFlows(*request, options_); !valid.ok()) {
    return new RefusedStream(ToGrpcStatus(valid));
  }
  absl::StatusOr<core::FlowMatcher> matcher =
      core::FlowMatcher::Compile(request->allow(), request->deny());
  if (!matcher.ok()) return new RefusedStream(ToGrpcStatus(matcher.status()));
  FlowStream* stream;
  {
    absl::MutexLock lock(&mu_);
    if (shutting_down_) {
      return new RefusedStream(
          grpc::Status(grpc::StatusCode::UNAVAILABLE, kShuttingDown));
    }
    if (static_cast<int>(streams_.size()) >= options_.max_streams) {
      return new RefusedStream(grpc::Status(
          grpc::StatusCode::RESOURCE_EXHAUSTED,
          absl::StrCat("too many GetFlows streams (at most ",
                       options_.max_streams, "); try again later")));
    }
    stream = new FlowStream(*this, *request, *std::move(matcher));
    streams_.insert(stream);
  }
  stream->Start();
  return stream;
}

absl::Status FlowTopService::ValidateListFlows(
    const v1::ListFlowsRequest& request) {
  if (!v1::SortKey_IsValid(request.sort())) {
    return absl::InvalidArgumentError(
        absl::StrCat("sort: ", request.sort(), " is not a SortKey"));
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* FlowTopService::ListFlows(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* raw,
    grpc::ByteBuffer* out) {
  if (absl::Status auth = Authenticate(*context); !auth.ok()) {
    return Finished(context, ToGrpcStatus(auth));
  }
  v1::ListFlowsRequest request;
  if (!ParseRaw(raw, &request)) {
    return Finished(context, grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                                          NotParsed("ListFlowsRequest")));
  }
  v1::ListFlowsResponse response;
  if (absl::Status s = AnswerListFlows(request, &response); !s.ok()) {
    return Finished(context, ToGrpcStatus(s));
  }
  bool own_buffer = false;
  return Finished(context, grpc::SerializationTraits<v1::ListFlowsResponse>::
                               Serialize(response, out, &own_buffer));
}

absl::Status FlowTopService::AnswerListFlows(
    const v1::ListFlowsRequest& request,
    v1::ListFlowsResponse* response) const {
  if (absl::Status valid = ValidateListFlows(request); !valid.ok()) {
    return valid;
  }
  absl::StatusOr<core::FlowMatcher> matcher =
      core::FlowMatcher::Compile(request.allow(), request.deny());
  if (!matcher.ok()) return matcher.status();
  // A consistent picture of the table, taken in O(shards) under the
  // pipeline's lock; the walk, filter and order happen outside it, so the
  // event path never waits for a million flows (core/flow_list.h).
  const core::FlowTableView view = pipeline_.View();
  const uint64_t seq = view.last_seq();
  core::FlowList list =
      core::ListTopFlows(view, *matcher, request.sort(),
                              request.descending(), request.limit());
  response->set_total(list.total);
  std::vector<v1::Flow>& flows = list.flows;
  response->set_seq(seq);
  response->set_loading(pipeline_.stats().loading);
  response->set_node(pipeline_.node());
  response->mutable_flows()->Reserve(static_cast<int>(flows.size()));
  for (v1::Flow& f : flows) {
    v1::Flow* added = response->add_flows();
    added->Swap(&f);
    if (!request.binary_addresses_only()) FillAddressText(added);
  }
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* FlowTopService::GetStatus(
    grpc::CallbackServerContext* context, const v1::GetStatusRequest*,
    v1::GetStatusResponse* response) {
  if (absl::Status auth = Authenticate(*context); !auth.ok()) {
    return Finished(context, ToGrpcStatus(auth));
  }
  *response->mutable_status() = Status();
  return Finished(context, grpc::Status::OK);
}

v1::NodeStatus FlowTopService::Status() const {
  v1::NodeStatus status;
  const core::PipelineStats stats = pipeline_.stats();
  const absl::Time now = clock_.Now();
  status.set_node(pipeline_.node());
  status.set_version(kVersion);
  status.set_start_unix_nanos(absl::ToUnixNanos(start_));
  status.set_uptime_seconds(absl::ToInt64Seconds(now - start_));
  status.set_source(options_.source);
  status.set_ring_capacity(ring_.capacity());
  status.set_ring_fill(ring_.fill());
  status.set_events_seen(stats.events);
  status.mutable_lost()->set_kernel(stats.lost_kernel);
  status.mutable_lost()->set_ring(stats.lost_ring + ring_lost_.load());
  status.mutable_lost()->set_client(stats.lost_client);
  status.mutable_lost()->set_recording(stats.lost_recording);
  status.set_clients_connected(static_cast<uint32_t>(streams()));
  status.set_flows(stats.flows);
  status.set_last_seq(stats.last_seq);
  status.set_loading(stats.loading);
  status.set_loaded_flows(stats.loaded);
  if (source_status_ != nullptr) source_status_->FillStatus(&status);
  if (options_.fill_status) options_.fill_status(&status);
  return status;
}

}  // namespace flowtop::service
