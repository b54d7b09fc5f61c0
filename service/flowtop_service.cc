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
#include "proto/flow_text.h"
#include "service/get_flows_response.h"
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
//
// It reads as Hubble's observer serves GetFlows: the request was validated
// and its filters built before the stream exists (FlowTopService::GetFlows);
// Stream() chooses where reading starts, then reads and writes. Responses
// are framed by GetFlowsResponseWriter.
class FlowStream final : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  FlowStream(FlowTopService& service, v1::GetFlowsRequest request,
             core::FlowMatcher matcher)
      : service_(service),
        request_(std::move(request)),
        filter_(std::move(matcher)),
        batch_(request_.max_batch() != 0 ? request_.max_batch()
                                         : service.options_.default_batch),
        response_(!request_.binary_addresses_only()) {}

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
  // The flows of the table at one sequence number, filtered and ordered,
  // and the ring position of the first event after them.
  struct Snapshot {
    std::vector<v1::FlowEvent> events;
    uint64_t seq = 0;
    uint64_t next_position = 0;
  };

  // Returns the status the stream ends with.
  grpc::Status Stream();

  void Run() {
    const grpc::Status status = Stream();
    Finish(status);  // last use of `this` on this thread: OnDone deletes it
  }

  // Waits for the node's initial dump to end (never a half-loaded table),
  // then takes the table's matching flows. Fails when the daemon stops.
  absl::StatusOr<Snapshot> TakeSnapshot();
  // Returns where reading the ring starts.
  uint64_t ChooseStart(const Snapshot* snapshot) const;
  // Creates the stream's reader at `start`. Fails when the daemon stops.
  absl::Status OpenReader(uint64_t start);
  // Sends the snapshot's flows, then SNAPSHOT_END.
  absl::Status SendSnapshot(Snapshot& snapshot);
  // Sends the newest `number` matching events before `request_end` (a
  // LOST first when the ring lapped the scan).
  absl::Status SendNewest(uint64_t request_end);
  // Sends matching events from the reader's position up to `end`
  // (UINT64_MAX when following), `until` or `number` (with first), and a
  // STATUS keep-alive when a following stream had nothing to send for the
  // status interval (waited on the service's clock).
  absl::Status SendFromRing(uint64_t end);
  // Sends one event the ring holds (as filter_ decides). Sets *done when
  // the request is complete.
  absl::Status SendRingEvent(const v1::FlowEvent& e, absl::string_view bytes,
                             bool* done);

  // Sends `response_` if it holds events and clears it. Fails when the
  // client is gone or the stream must stop.
  absl::Status Flush() {
    if (response_.events() == 0) return absl::OkStatus();
    {
      absl::MutexLock lock(&mu_);
      if (broken_ || stopping_) return Gone();
      writing_ = true;
    }
    grpc::Slice slice(response_.Finish(service_.pipeline_.node()));
    out_ = grpc::ByteBuffer(&slice, 1);
    response_.Clear();
    StartWrite(&out_);
    absl::MutexLock lock(&mu_);
    auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !writing_;
    };
    mu_.Await(absl::Condition(&done));
    return !broken_ && !stopping_ ? absl::OkStatus() : Gone();
  }
  // Why a write failed: Ended() tells a stop from a cancel by the flags.
  static absl::Status Gone() { return absl::CancelledError("stream gone"); }

  // Adds one event; flushes when the batch is full. `bytes` is the event's
  // serialisation when the ring made one (shared by all streams), or empty.
  absl::Status Add(const v1::FlowEvent& event, absl::string_view bytes = {}) {
    if (!bytes.empty()) {
      response_.AddSerialized(event, bytes);
    } else {
      // This stream's own events, and the LOST a lapped read reports.
      if (event.type() == v1::LOST && event.lost().source() == v1::RING) {
        service_.ring_lost_ += event.lost().count();
      }
      response_.Add(event);
    }
    if (response_.events() >= batch_) return Flush();
    return absl::OkStatus();
  }

  // Sends a STATUS event at once.
  absl::Status SendStatus() {
    v1::FlowEvent event;
    event.set_type(v1::STATUS);
    event.set_node(service_.pipeline_.node());
    event.set_time_unix_nanos(service_.StreamNanos());
    *event.mutable_status() = service_.Status();
    if (absl::Status added = Add(event); !added.ok()) return added;
    return Flush();
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
  std::thread thread_;
  v1::FlowEvent full_;  // the merged flow filter_ may send instead
  GetFlowsResponseWriter response_;  // the next response
  uint64_t matched_ = 0;  // events sent that count for `number` with first
  grpc::ByteBuffer out_;  // the response being written

  absl::Mutex mu_;
  std::unique_ptr<RingReader> reader_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

grpc::Status FlowStream::Stream() {
  // Where the ring reading starts, and (without follow) where it ends.
  // Positions are fixed before anything is sent, so a client that has seen
  // the first message knows that every later event will reach it.
  absl::StatusOr<Snapshot> snapshot;
  if (request_.snapshot()) {
    snapshot = TakeSnapshot();
    if (!snapshot.ok()) return Ended(snapshot.status());
  }
  const uint64_t start = ChooseStart(snapshot.ok() ? &*snapshot : nullptr);
  const uint64_t request_end = service_.ring_.write_position();
  if (absl::Status open = OpenReader(start); !open.ok()) return Ended(open);

  absl::Status sent = absl::OkStatus();
  if (request_.follow()) sent = SendStatus();
  if (sent.ok() && request_.snapshot()) sent = SendSnapshot(*snapshot);
  const bool last_n = request_.number() > 0 && !request_.first();
  if (sent.ok() && last_n) {
    sent = SendNewest(request_end);
    if (sent.ok() && !request_.follow()) return grpc::Status::OK;
  }
  if (sent.ok()) {
    sent = SendFromRing(request_.follow() ? UINT64_MAX : request_end);
  }
  if (sent.ok()) sent = Flush();
  return sent.ok() ? grpc::Status::OK : Ended(sent);
}

absl::StatusOr<FlowStream::Snapshot> FlowStream::TakeSnapshot() {
  while (!service_.pipeline_.WaitLoaded(absl::Milliseconds(100))) {
    absl::MutexLock lock(&mu_);
    if (stopping_) return absl::UnavailableError(kShuttingDown);
  }
  // The table and the ring change together under the pipeline's lock: the
  // view (a consistent picture, taken in O(shards)) and the ring position
  // after it are taken there; the walk happens outside, so the event path
  // never waits for it.
  Snapshot snapshot;
  core::FlowTableView view;
  service_.pipeline_.WithTable([&](const core::FlowTable& table) {
    view = table.View();
    snapshot.next_position = service_.ring_.PositionOfSeq(view.last_seq() + 1);
    return 0;
  });
  snapshot.seq = view.last_seq();
  view.ForEach([&](const v1::Flow& flow) {
    if (!filter_.matcher().Matches(flow)) return;
    v1::FlowEvent& e = snapshot.events.emplace_back();
    e.set_type(v1::SNAPSHOT);
    *e.mutable_flow() = flow;
    filter_.Sent(e);
  });
  std::sort(snapshot.events.begin(), snapshot.events.end(),
            [](const v1::FlowEvent& a, const v1::FlowEvent& b) {
              return core::FlowOrder(v1::SORT_KEY_UNSPECIFIED)(a.flow(),
                                                                    b.flow());
            });
  return snapshot;
}

uint64_t FlowStream::ChooseStart(const Snapshot* snapshot) const {
  const EventRing& ring = service_.ring_;
  if (request_.since_unix_nanos() != 0) {
    return ring.PositionOfTime(absl::FromUnixNanos(request_.since_unix_nanos()));
  }
  if (request_.number() > 0 || (!request_.follow() && !request_.snapshot())) {
    return ring.oldest_position();
  }
  return snapshot != nullptr ? snapshot->next_position : ring.write_position();
}

absl::Status FlowStream::OpenReader(uint64_t start) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return absl::UnavailableError(kShuttingDown);
  reader_ = std::make_unique<RingReader>(service_.ring_, start, service_.clock_);
  return absl::OkStatus();
}

absl::Status FlowStream::SendSnapshot(Snapshot& snapshot) {
  const int64_t now = service_.StreamNanos();
  for (v1::FlowEvent& e : snapshot.events) {
    e.set_seq(snapshot.seq);
    e.set_node(service_.pipeline_.node());
    e.set_time_unix_nanos(now);
    if (absl::Status added = Add(e); !added.ok()) return added;
  }
  v1::FlowEvent snapshot_end;
  snapshot_end.set_type(v1::SNAPSHOT_END);
  snapshot_end.set_seq(snapshot.seq);
  snapshot_end.set_node(service_.pipeline_.node());
  snapshot_end.set_time_unix_nanos(now);
  if (absl::Status added = Add(snapshot_end); !added.ok()) return added;
  return Flush();
}

absl::Status FlowStream::SendNewest(uint64_t request_end) {
  // The newest `number` matching events up to the request: scan what the
  // ring holds, keep the tail, then send it.
  RingReader& reader = *reader_;  // set before the first send, kept
  const uint64_t number = request_.number();
  const int64_t until = request_.until_unix_nanos();
  std::vector<v1::FlowEvent> chunk;
  std::deque<v1::FlowEvent> tail;
  uint64_t lost = 0;
  while (reader.position() < request_end) {
    chunk.clear();
    absl::StatusOr<size_t> n = reader.Read(
        std::min<uint64_t>(batch_, request_end - reader.position()),
        absl::InfiniteFuture(), &chunk);
    if (!n.ok()) return n.status();
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
    if (absl::Status added = Add(e); !added.ok()) return added;
  }
  for (const v1::FlowEvent& e : tail) {
    if (absl::Status added = Add(e); !added.ok()) return added;
  }
  return Flush();
}

absl::Status FlowStream::SendFromRing(uint64_t end) {
  RingReader& reader = *reader_;  // set before the first send, kept
  const core::Clock& clock = service_.clock_;
  const bool follow = request_.follow();
  const int64_t until = request_.until_unix_nanos();
  absl::Time next_status = clock.Now() + service_.options_.status_interval;
  RingView view;
  bool done = false;
  while (!done && reader.position() < end) {
    absl::Time deadline = follow ? next_status : absl::InfiniteFuture();
    if (follow && until != 0) {
      deadline = std::min(deadline, absl::FromUnixNanos(until));
    }
    const uint64_t want = std::min<uint64_t>(batch_, end - reader.position());
    absl::StatusOr<size_t> n = reader.ReadView(want, deadline, &view);
    if (!n.ok()) {
      if (absl::Status flushed = Flush(); !flushed.ok()) return flushed;
      return n.status();
    }
    if (*n == 0) {
      // Deadline: until has passed, or time for a keep-alive STATUS.
      if (until != 0 && service_.StreamNanos() > until) break;
      if (absl::Status sent = SendStatus(); !sent.ok()) return sent;
      next_status = clock.Now() + service_.options_.status_interval;
      continue;
    }
    absl::Status sent = absl::OkStatus();
    view.ForEachWire([&](const v1::FlowEvent& e, absl::string_view bytes) {
      if (!done && sent.ok()) sent = SendRingEvent(e, bytes, &done);
    });
    view.Clear();  // let the ring recycle the batches before waiting
    if (sent.ok()) sent = Flush();
    if (!sent.ok()) return sent;
  }
  return absl::OkStatus();
}

absl::Status FlowStream::SendRingEvent(const v1::FlowEvent& e,
                                       absl::string_view bytes, bool* done) {
  const int64_t until = request_.until_unix_nanos();
  if (until != 0 && e.time_unix_nanos() > until && e.type() != v1::LOST) {
    *done = true;
    return absl::OkStatus();
  }
  const core::StreamFilter::Verdict verdict = filter_.Decide(e, &full_);
  if (verdict == core::StreamFilter::Verdict::kDrop) {
    return absl::OkStatus();
  }
  const absl::Status added =
      verdict == core::StreamFilter::Verdict::kPassMerged ? Add(full_)
                                                                : Add(e, bytes);
  if (!added.ok()) return added;
  const bool counts = e.type() != v1::LOST && e.type() != v1::STATUS;
  if (counts && request_.first() && ++matched_ >= request_.number()) {
    *done = true;
  }
  return absl::OkStatus();
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
  status.mutable_lost()->set_table(stats.dropped_flows);
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
