#include "service/event_ring.h"

#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/fake_clock.h"
#include "gtest/gtest.h"

namespace flowtop::service {
namespace {

// Events numbered from `first_seq`, one second apart from second `first_seq`.
std::vector<v1::FlowEvent> Events(uint64_t first_seq, size_t n) {
  std::vector<v1::FlowEvent> events(n);
  for (size_t i = 0; i < n; ++i) {
    events[i].set_seq(first_seq + i);
    events[i].set_type(v1::NEW);
    events[i].set_time_unix_nanos(static_cast<int64_t>(first_seq + i) *
                                  1'000'000'000);
    events[i].mutable_flow()->set_conntrack_id(first_seq + i);
  }
  return events;
}

void Write(EventRing& ring, uint64_t first_seq, size_t n) {
  std::vector<v1::FlowEvent> events = Events(first_seq, n);
  ring.Publish(absl::MakeSpan(events));
}

std::unique_ptr<EventRing> MakeRing(size_t capacity) {
  auto ring = EventRing::Create(capacity);
  EXPECT_TRUE(ring.ok()) << ring.status();
  return *std::move(ring);
}

absl::Time Soon() { return absl::Now() + absl::Seconds(10); }

TEST(EventRing, RejectsCapacityThatIsNotAPowerOfTwo) {
  for (size_t bad : {size_t{0}, size_t{1}, size_t{3}, size_t{1000},
                     EventRing::kMaxCapacity * 2}) {
    auto ring = EventRing::Create(bad);
    ASSERT_FALSE(ring.ok()) << bad;
    EXPECT_EQ(ring.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(ring.status().message().find("power of two"), std::string::npos);
  }
  EXPECT_TRUE(EventRing::Create(8).ok());
}

TEST(EventRing, ReadsEventsInOrderInChunks) {
  auto ring = MakeRing(16);
  Write(*ring, 1, 5);
  RingReader reader(*ring, 0);
  std::vector<v1::FlowEvent> out;
  ASSERT_EQ(*reader.Read(3, Soon(), &out), 3u);
  ASSERT_EQ(*reader.Read(10, Soon(), &out), 2u);
  ASSERT_EQ(out.size(), 5u);
  for (size_t i = 0; i < out.size(); ++i) EXPECT_EQ(out[i].seq(), i + 1);
  EXPECT_EQ(reader.lost(), 0u);
  EXPECT_EQ(ring->fill(), 5u);
  EXPECT_EQ(ring->write_position(), 5u);
}

TEST(EventRing, WrapsAroundKeepingTheNewestCapacityEvents) {
  auto ring = MakeRing(8);
  Write(*ring, 1, 21);  // wraps more than twice
  EXPECT_EQ(ring->write_position(), 21u);
  EXPECT_EQ(ring->oldest_position(), 13u);
  EXPECT_EQ(ring->fill(), 8u);
  RingReader reader(*ring, ring->oldest_position());
  std::vector<v1::FlowEvent> out;
  ASSERT_EQ(*reader.Read(100, Soon(), &out), 8u);
  EXPECT_EQ(out.front().seq(), 14u);
  EXPECT_EQ(out.back().seq(), 21u);
  EXPECT_EQ(reader.lost(), 0u);
}

TEST(EventRing, LappedReaderIsToldExactlyHowManyEventsItLost) {
  auto ring = MakeRing(8);
  Write(*ring, 1, 4);
  RingReader reader(*ring, 0);
  std::vector<v1::FlowEvent> out;
  ASSERT_EQ(*reader.Read(2, Soon(), &out), 2u);  // seq 1, 2
  Write(*ring, 5, 20);                            // up to seq 24; oldest 17
  out.clear();
  ASSERT_EQ(*reader.Read(100, Soon(), &out), 9u);
  ASSERT_EQ(out[0].type(), v1::LOST);
  EXPECT_EQ(out[0].lost().source(), v1::RING);
  EXPECT_EQ(out[0].lost().count(), 14u);  // seq 3..16
  EXPECT_EQ(out[1].seq(), 17u);
  EXPECT_EQ(out.back().seq(), 24u);
  EXPECT_EQ(reader.lost(), 14u);
  // Lost + delivered accounts for every event written.
  EXPECT_EQ(2 + reader.lost() + 8, 24u);
}

TEST(EventRing, LostEventCountsAgainstMaxEvents) {
  auto ring = MakeRing(4);
  RingReader reader(*ring, 0);
  Write(*ring, 1, 10);
  std::vector<v1::FlowEvent> out;
  ASSERT_EQ(*reader.Read(2, Soon(), &out), 2u);
  EXPECT_EQ(out[0].type(), v1::LOST);
  EXPECT_EQ(out[0].lost().count(), 6u);
  EXPECT_EQ(out[1].seq(), 7u);
}

TEST(EventRing, PositionsBySeqTimeAndNewest) {
  auto ring = MakeRing(8);
  Write(*ring, 101, 12);  // holds seq 105..112, times 105..112 s
  EXPECT_EQ(ring->PositionOfSeq(1), 4u);  // older than held: the oldest
  EXPECT_EQ(ring->PositionOfSeq(107), 6u);
  EXPECT_EQ(ring->PositionOfSeq(500), 12u);  // future: the write cursor
  EXPECT_EQ(ring->PositionOfTime(absl::FromUnixSeconds(110)), 9u);
  EXPECT_EQ(ring->PositionOfTime(absl::FromUnixMillis(109'500)), 9u);
  EXPECT_EQ(ring->PositionOfTime(absl::FromUnixSeconds(1)), 4u);
  EXPECT_EQ(ring->PositionOfTime(absl::FromUnixSeconds(999)), 12u);
  EXPECT_EQ(ring->PositionOfNewest(3), 9u);
  EXPECT_EQ(ring->PositionOfNewest(100), 4u);
  EXPECT_EQ(ring->PositionOfNewest(0), 12u);
}

TEST(EventRing, SinceUntilWindowReadsExactlyThoseEvents) {
  auto ring = MakeRing(32);
  Write(*ring, 1, 20);
  RingReader reader(*ring, ring->PositionOfTime(absl::FromUnixSeconds(5)));
  const uint64_t end = ring->PositionOfTime(absl::FromUnixSeconds(9) +
                                            absl::Nanoseconds(1));
  std::vector<v1::FlowEvent> out;
  while (reader.position() < end) {
    ASSERT_TRUE(reader.Read(end - reader.position(), Soon(), &out).ok());
  }
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out.front().seq(), 5u);
  EXPECT_EQ(out.back().seq(), 9u);
}

TEST(EventRing, ReadReturnsZeroAtTheDeadline) {
  auto ring = MakeRing(8);
  RingReader reader(*ring, 0);
  std::vector<v1::FlowEvent> out;
  auto n = reader.Read(10, absl::Now() + absl::Milliseconds(20), &out);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0u);
}

TEST(EventRing, WaitingReaderWakesForNewEvents) {
  auto ring = MakeRing(8);
  RingReader reader(*ring, 0);
  std::vector<v1::FlowEvent> out;
  std::thread writer([&] { Write(*ring, 1, 1); });
  auto n = reader.Read(10, absl::InfiniteFuture(), &out);
  writer.join();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1u);
}

TEST(EventRing, CancelEndsAWaitingRead) {
  auto ring = MakeRing(8);
  RingReader reader(*ring, 0);
  std::vector<v1::FlowEvent> out;
  std::thread canceller([&] { reader.Cancel(); });
  auto n = reader.Read(10, absl::InfiniteFuture(), &out);
  canceller.join();
  EXPECT_EQ(n.status().code(), absl::StatusCode::kCancelled);
}

TEST(EventRing, CloseDrainsThenReportsUnavailable) {
  auto ring = MakeRing(8);
  Write(*ring, 1, 2);
  RingReader reader(*ring, 0);
  ring->Close();
  Write(*ring, 3, 2);  // dropped after Close
  std::vector<v1::FlowEvent> out;
  EXPECT_EQ(*reader.Read(10, absl::InfiniteFuture(), &out), 2u);
  EXPECT_EQ(reader.Read(10, absl::InfiniteFuture(), &out).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(EventRing, BatchLargerThanCapacityKeepsOnlyTheNewest) {
  auto ring = MakeRing(4);
  RingReader reader(*ring, 0);
  Write(*ring, 1, 10);
  std::vector<v1::FlowEvent> out;
  ASSERT_EQ(*reader.Read(100, Soon(), &out), 5u);
  EXPECT_EQ(out[0].type(), v1::LOST);
  EXPECT_EQ(out[0].lost().count(), 6u);
  EXPECT_EQ(out[1].seq(), 7u);
  EXPECT_EQ(out[4].seq(), 10u);
  EXPECT_EQ(ring->PositionOfSeq(8), 7u);
}

TEST(EventRing, MoveModeTakesTheEventsAndRecyclesBatches) {
  auto created = EventRing::Create(8, /*move_events=*/true);
  ASSERT_TRUE(created.ok());
  EventRing& ring = **created;
  RingReader reader(ring, 0);
  std::vector<v1::FlowEvent> out;
  for (uint64_t seq = 1; seq <= 40; seq += 4) {
    std::vector<v1::FlowEvent> batch = Events(seq, 4);
    ring.Publish(absl::MakeSpan(batch));
    // The reader keeps up: every event arrives intact although the ring
    // reuses the storage of batches it dropped.
    ASSERT_EQ(*reader.Read(100, Soon(), &out), 4u);
  }
  ASSERT_EQ(out.size(), 40u);
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].seq(), i + 1);
    EXPECT_EQ(out[i].flow().conntrack_id(), i + 1);
  }
}

// Appends an event's bytes as a length-delimited field 1, as GetFlows frames
// them into a GetFlowsResponse.
void AppendFramed(absl::string_view event_bytes, std::string* bytes) {
  bytes->push_back('\x0A');
  for (uint64_t n = event_bytes.size(); ; n >>= 7) {
    if (n < 0x80) {
      bytes->push_back(static_cast<char>(n));
      break;
    }
    bytes->push_back(static_cast<char>((n & 0x7F) | 0x80));
  }
  bytes->append(event_bytes.data(), event_bytes.size());
}

// Parses a run of length-delimited field-1 records (GetFlowsResponse bytes).
std::vector<v1::FlowEvent> ParseWire(const std::string& bytes) {
  v1::GetFlowsResponse response;
  EXPECT_TRUE(response.ParseFromString(bytes));
  return {response.events().begin(), response.events().end()};
}

// Not in event_ring_tsan_test: FakeClock hands its waiters over through
// absl::Mutex, which TSAN cannot see in Debian's uninstrumented Abseil (the
// ring's own locking is annotated, FakeClock's is not); event_ring_test runs
// it.
#if !defined(__SANITIZE_THREAD__)

// A read's deadline is a time of the reader's clock: with a FakeClock the
// read waits until the test moves the clock past it, however long that takes
// in real time, and an event that arrives before then is read.
TEST(EventRing, ReadDeadlineIsOnTheReadersClock) {
  auto ring = MakeRing(8);
  core::FakeClock clock(absl::FromUnixSeconds(1000));
  RingReader reader(*ring, 0, clock);
  absl::StatusOr<size_t> first, second;
  absl::Notification first_done;
  std::thread read([&] {
    std::vector<v1::FlowEvent> out;
    first = reader.Read(10, clock.Now() + absl::Seconds(10), &out);
    first_done.Notify();
    second = reader.Read(10, clock.Now() + absl::Seconds(10), &out);
  });
  if (!clock.AwaitWaiters(1, absl::Seconds(30))) {
    reader.Cancel();
    read.join();
    FAIL() << "the read does not wait on the reader's clock";
  }
  clock.Advance(absl::Seconds(9));  // not yet the deadline
  Write(*ring, 1, 1);
  first_done.WaitForNotification();
  ASSERT_TRUE(clock.AwaitWaiters(1, absl::Seconds(30)));
  clock.Advance(absl::Seconds(10));  // the second read's deadline
  read.join();
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, 1u);  // the event, not the deadline
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, 0u);  // the deadline
}
#endif  // !defined(__SANITIZE_THREAD__)

TEST(EventRing, ViewsShareEventsAndTheirBytes) {
  auto ring = MakeRing(8);
  Write(*ring, 1, 3);
  Write(*ring, 4, 3);
  RingReader a(*ring, 0), b(*ring, 1);
  RingView va, vb;
  ASSERT_EQ(*a.ReadView(10, Soon(), &va), 6u);
  ASSERT_EQ(*b.ReadView(10, Soon(), &vb), 5u);
  std::string bytes_a, bytes_b;
  std::vector<const v1::FlowEvent*> seen_a, seen_b;
  va.ForEachWire([&](const v1::FlowEvent& e, absl::string_view wire) {
    seen_a.push_back(&e);
    AppendFramed(wire, &bytes_a);
  });
  vb.ForEachWire([&](const v1::FlowEvent& e, absl::string_view wire) {
    seen_b.push_back(&e);
    AppendFramed(wire, &bytes_b);
  });
  // The same event objects (no copies), and bytes that parse back.
  EXPECT_EQ(seen_a[1], seen_b[0]);
  std::vector<v1::FlowEvent> parsed = ParseWire(bytes_a);
  ASSERT_EQ(parsed.size(), 6u);
  for (size_t i = 0; i < parsed.size(); ++i) {
    EXPECT_EQ(parsed[i].seq(), i + 1);
    EXPECT_EQ(parsed[i].flow().conntrack_id(), i + 1);
  }
  EXPECT_EQ(ParseWire(bytes_b).front().seq(), 2u);
}

TEST(EventRing, RecycledBatchesGetFreshBytes) {
  auto created = EventRing::Create(4, /*move_events=*/true);
  ASSERT_TRUE(created.ok());
  EventRing& ring = **created;
  RingReader reader(ring, 0);
  RingView view;
  for (uint64_t seq = 1; seq <= 40; seq += 2) {
    std::vector<v1::FlowEvent> batch = Events(seq, 2);
    ring.Publish(absl::MakeSpan(batch));
    ASSERT_EQ(*reader.ReadView(10, Soon(), &view), 2u);
    std::string bytes;
    view.ForEachWire([&](const v1::FlowEvent&, absl::string_view wire) {
      AppendFramed(wire, &bytes);
    });
    view.Clear();
    std::vector<v1::FlowEvent> parsed = ParseWire(bytes);
    ASSERT_EQ(parsed.size(), 2u);
    EXPECT_EQ(parsed[0].seq(), seq);
    EXPECT_EQ(parsed[1].seq(), seq + 1);
  }
}

// Many readers follow one writer: each sees every event in order or an
// exact LOST count for the ones it missed; nothing is duplicated or skipped.
TEST(EventRing, ManyConcurrentReadersAccountForEveryEvent) {
  constexpr size_t kReaders = 8;
  constexpr uint64_t kEvents = 20000;
  auto ring = MakeRing(64);
  std::vector<std::thread> threads;
  std::vector<uint64_t> delivered(kReaders), lost(kReaders);
  std::vector<bool> in_order(kReaders, true);
  std::vector<std::unique_ptr<RingReader>> readers;
  for (size_t r = 0; r < kReaders; ++r) {
    readers.push_back(std::make_unique<RingReader>(*ring, 0));
  }
  for (size_t r = 0; r < kReaders; ++r) {
    threads.emplace_back([&, r] {
      uint64_t expect = 1;
      std::vector<v1::FlowEvent> out;
      while (true) {
        out.clear();
        absl::StatusOr<size_t> n;
        if (r % 2 == 0) {
          n = readers[r]->Read(1 + r * 7, absl::InfiniteFuture(), &out);
        } else {
          // Half the readers take views and the shared bytes, as streams do.
          RingView view;
          n = readers[r]->ReadView(1 + r * 7, absl::InfiniteFuture(), &view);
          std::string bytes;
          view.ForEachWire([&](const v1::FlowEvent& e, absl::string_view w) {
            if (w.empty()) {
              out.push_back(e);  // the LOST event
            } else {
              AppendFramed(w, &bytes);
            }
          });
          for (auto& e : ParseWire(bytes)) out.push_back(std::move(e));
        }
        if (!n.ok()) break;
        for (const v1::FlowEvent& e : out) {
          if (e.type() == v1::LOST) {
            lost[r] += e.lost().count();
            expect += e.lost().count();
            continue;
          }
          if (e.seq() != expect) in_order[r] = false;
          expect = e.seq() + 1;
          ++delivered[r];
        }
      }
    });
  }
  for (uint64_t seq = 1; seq <= kEvents; seq += 10) Write(*ring, seq, 10);
  ring->Close();
  for (auto& t : threads) t.join();
  for (size_t r = 0; r < kReaders; ++r) {
    EXPECT_TRUE(in_order[r]) << "reader " << r;
    EXPECT_EQ(delivered[r] + lost[r], kEvents) << "reader " << r;
    EXPECT_EQ(lost[r], readers[r]->lost());
  }
}

}  // namespace
}  // namespace flowtop::service
