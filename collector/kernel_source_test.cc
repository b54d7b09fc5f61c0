// KernelSource's reconcile and resync logic over FakeConntrack: recorded
// netlink bytes, dumps interleaved with events, ENOBUFS and damaged
// datagrams, without root. The real-kernel tests are in tests/collector.
//
// The property every test checks: once the source is idle, the Pipeline's
// table holds exactly the fake kernel's flows (identity and counters), and
// whenever the path could not follow the kernel it said so with LOST.
#include "collector/kernel_source.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "collector/conntrack_parser.h"
#include "collector/fake_netlink.h"
#include "collector/netlink_capture.h"
#include "core/fake_clock.h"
#include "core/pipeline.h"
#include "gtest/gtest.h"

namespace flowtop::collector {
namespace {

using Id = FakeConntrack::Id;
using Flows = std::map<Id, uint64_t>;

constexpr absl::Duration kDeadline = absl::Seconds(60);

// A UDP flow from a dump the kernel sent (it has counters).
std::string RecordedUdpFlow() {
  absl::StatusOr<std::vector<std::string>> msgs =
      ReadCaptureFile("tests/fixtures/netlink/dump.nlcap");
  EXPECT_TRUE(msgs.ok()) << msgs.status();
  for (const std::string& m : *msgs) {
    v1::FlowEvent e;
    if (ParseConntrackMessage(m.data(), m.size(), e).ok() &&
        e.flow().protocol() == v1::UDP) {
      return m;
    }
  }
  ADD_FAILURE() << "no UDP flow in dump.nlcap";
  return "";
}

class LostCounter : public core::EventSink {
 public:
  void Publish(absl::Span<v1::FlowEvent> events) override {
    absl::MutexLock lock(&mu_);
    for (const v1::FlowEvent& e : events) {
      if (e.type() == v1::LOST) ++lost_;
      if (e.type() == v1::SNAPSHOT_END) ++snapshot_end_;
      if (e.type() == v1::COUNTERS) {
        ++counters_[e.flow().conntrack_id()];
      }
      if (e.type() == v1::STATUS && e.status().rate_period_millis() != 0) {
        rate_period_ms_ = e.status().rate_period_millis();
        rate_stretched_ = e.status().rate_stretched();
      }
    }
  }
  // The rate period of the latest STATUS event that said one (ms, 0: none)
  // and whether it was stretched.
  std::pair<uint64_t, bool> rate_period() {
    absl::MutexLock lock(&mu_);
    return {rate_period_ms_, rate_stretched_};
  }
  int lost() {
    absl::MutexLock lock(&mu_);
    return lost_;
  }
  int snapshot_end() {
    absl::MutexLock lock(&mu_);
    return snapshot_end_;
  }
  // COUNTERS events so far, per conntrack id (they carry no tuple).
  std::map<uint32_t, int> counters() {
    absl::MutexLock lock(&mu_);
    return counters_;
  }

 private:
  absl::Mutex mu_;
  int lost_ = 0;
  int snapshot_end_ = 0;
  std::map<uint32_t, int> counters_;
  uint64_t rate_period_ms_ = 0;
  bool rate_stretched_ = false;
};

class KernelSourceFakeTest : public ::testing::Test {
 protected:
  KernelSourceFakeTest()
      : kernel_(RecordedUdpFlow()), pipeline_({"t"}, core::RealClock::Get()) {
    pipeline_.AddSink(&lost_);
  }
  ~KernelSourceFakeTest() override { Stop(); }

  // With rates off the source still dumps now and then while flows of the
  // initial dump have not been heard from (silent flows): on the fake clock,
  // which only the silent-flow tests move, so that the other tests see the
  // dumps they cause and no more.
  void Start(absl::Duration rate_interval = absl::ZeroDuration()) {
    KernelSourceOptions o;
    o.rate_interval = rate_interval;
    if (rate_interval > absl::ZeroDuration()) {
      StartWith(std::move(o), core::RealClock::Get());
    } else {
      StartWith(std::move(o), fake_clock_);
    }
  }
  void StartWith(KernelSourceOptions o, const core::Clock& clock) {
    o.enable_accounting = false;
    o.batch_size = 4;  // many small hand-offs, like a busy router
    KernelSockets sockets{kernel_.EventSocket(), kernel_.DumpSocket(),
                          kernel_.DumpSocket()};
    absl::StatusOr<std::unique_ptr<KernelSource>> src =
        KernelSource::CreateWithSockets(std::move(o), std::move(sockets), clock);
    ASSERT_TRUE(src.ok()) << src.status();
    source_ = std::move(*src);
    thread_ = std::thread([this] { run_status_ = source_->Run(pipeline_); });
  }
  void Stop() {
    if (source_ != nullptr) source_->Stop();
    if (thread_.joinable()) thread_.join();
  }
  // The Pipeline's table as (conntrack id, source port) -> bytes.
  Flows Table() {
    return pipeline_.WithTable([](const core::FlowTable& t) {
      Flows out;
      t.ForEach([&](const v1::Flow& f) {
        out[{f.conntrack_id(), static_cast<uint16_t>(f.original().src_port())}] =
            f.original_counters().bytes();
      });
      return out;
    });
  }
  // Waits for the source to be idle and compares the flows and, with
  // `counters`, their byte counters (which only dumps and DESTROYs carry
  // on a real kernel: a resync restores flows, the next rate dump counters).
  void ExpectConverged(bool counters = false) {
    ASSERT_TRUE(kernel_.WaitIdle(kDeadline)) << "the source never went idle";
    Flows table = Table();
    Flows kernel = kernel_.Flows();
    if (!counters) {
      for (auto& [id, bytes] : table) bytes = 0;
      for (auto& [id, bytes] : kernel) bytes = 0;
    }
    EXPECT_EQ(table, kernel);
  }

  FakeConntrack kernel_;
  // For the rate schedule's test: its clock, and a thread CPU time that
  // grows by cost_ms_ with every rate dump.
  core::FakeClock fake_clock_{absl::FromUnixSeconds(1000)};
  std::atomic<int64_t> cpu_ms_{0};
  std::atomic<int64_t> cost_ms_{500};
  core::Pipeline pipeline_;
  LostCounter lost_;
  std::unique_ptr<KernelSource> source_;
  std::thread thread_;
  absl::Status run_status_;
};

TEST_F(KernelSourceFakeTest, InitialDumpKeepsFlowsThatShareAConntrackId) {
  // The kernel's conntrack ids are 32-bit hashes: at 100,000 flows about
  // one pair collides, at a million about 116 pairs.
  kernel_.Put({7, 1000}, 10, false);
  kernel_.Put({7, 1001}, 20, false);
  kernel_.Put({8, 1000}, 30, false);
  Start();
  ExpectConverged(/*counters=*/true);
  EXPECT_EQ(Table().size(), 3u);
  EXPECT_EQ(lost_.lost(), 0);
  EXPECT_EQ(lost_.snapshot_end(), 1);
}

TEST_F(KernelSourceFakeTest, EventsForFlowsThatShareAnIdStaySeparate) {
  kernel_.Put({7, 1000}, 10, false);
  Start();
  ExpectConverged();
  kernel_.Put({7, 2000}, 20);  // NEW with the id of a live flow
  ExpectConverged();
  kernel_.Put({7, 1000}, 15);  // UPDATE of the first
  ExpectConverged();
  kernel_.Remove({7, 1000});  // DESTROY of the first only
  ExpectConverged();
  EXPECT_EQ(Table().count({7, 2000}), 1u);
  EXPECT_EQ(Table().size(), 1u);
  EXPECT_EQ(lost_.lost(), 0);
}

TEST_F(KernelSourceFakeTest, ChangesDuringTheDumpConverge) {
  for (uint16_t p = 1; p <= 12; ++p) kernel_.Put({p, p}, p, false);
  kernel_.set_messages_per_part(2);
  kernel_.SetDumpHook([&](int part) {
    if (part != 2) return;  // flows 1-4 listed, 5-12 ahead
    kernel_.Put({1, 500}, 1);   // behind the cursor: only the event tells
    kernel_.Put({9, 500}, 2);   // ahead: dumped and announced
    kernel_.Remove({2, 2});     // behind: dumped, then destroyed
    kernel_.Remove({10, 10});   // ahead: never dumped, destroyed
    kernel_.Put({3, 3}, 333);   // behind: changed after it was dumped
    kernel_.Remove({11, 11});   // an id reused with a new tuple ahead
    kernel_.Put({11, 77}, 4);
  });
  Start();
  ExpectConverged();
  EXPECT_EQ(lost_.lost(), 0);
}

TEST_F(KernelSourceFakeTest, OverflowDuringTheDumpIsLostAndResynced) {
  for (uint16_t p = 1; p <= 8; ++p) kernel_.Put({p, p}, p, false);
  kernel_.set_messages_per_part(2);
  kernel_.SetDumpHook([&](int part) {
    if (kernel_.dumps() != 1 || part != 1) return;
    kernel_.Put({1, 900}, 1);
    kernel_.Overflow();           // the socket is full from here on:
    kernel_.Remove({1, 1});       // these events never arrive
    kernel_.Put({1, 901}, 5);
    kernel_.Put({2, 2}, 222);
  });
  Start();
  ExpectConverged();
  EXPECT_GE(lost_.lost(), 1);
  EXPECT_EQ(kernel_.dumps(), 2u);  // the initial dump and one resync
}

TEST_F(KernelSourceFakeTest, DamagedEventIsLostAndResynced) {
  kernel_.Put({1, 1}, 1, false);
  Start();
  ExpectConverged();
  // A change whose event arrives damaged (a conntrack message cut short
  // inside its attributes): the source cannot say which flow changed.
  kernel_.Put({1, 2}, 2, false);
  std::string damaged = FakeConntrack::Restamp(RecordedUdpFlow(), 1, 2, 2);
  damaged.resize(40);
  const uint32_t len = damaged.size();
  std::memcpy(damaged.data(), &len, sizeof(len));  // nlmsg_len
  kernel_.QueueRaw(damaged);
  ExpectConverged();
  EXPECT_EQ(lost_.lost(), 1);
}

TEST_F(KernelSourceFakeTest, RandomInterleavingsConverge) {
  // Few ids and ports: collisions and reuse everywhere; changes between
  // dump parts; now and then an overflow.
  std::mt19937 rng(12);
  auto random_flow = [&] {
    return Id{1 + rng() % 6, static_cast<uint16_t>(1 + rng() % 5)};
  };
  for (int i = 0; i < 20; ++i) kernel_.Put(random_flow(), rng() % 100, false);
  absl::Mutex mu;
  bool overflowed = false;
  auto churn = [&](int n) {
    for (int i = 0; i < n; ++i) {
      const Id f = random_flow();
      switch (rng() % 7) {
        case 0:
        case 1:
          kernel_.Remove(f);
          break;
        case 2:
          if (rng() % 8 == 0) {
            kernel_.Overflow();
            absl::MutexLock lock(&mu);
            overflowed = true;
          }
          break;
        default:
          kernel_.Put(f, rng() % 1000);
      }
    }
  };
  kernel_.set_messages_per_part(3);
  kernel_.SetDumpHook([&](int) { churn(3); });
  Start();
  ExpectConverged();
  for (int round = 0; round < 40; ++round) {
    churn(10);
    ExpectConverged();
    if (HasFailure()) break;
  }
  absl::MutexLock lock(&mu);
  if (!overflowed) {
    EXPECT_EQ(lost_.lost(), 0);
  }
}

TEST_F(KernelSourceFakeTest, RateDumpsNeverMoveCountersBetweenFlows) {
  // COUNTERS come from a second socket, racing DESTROY/NEW of flows that
  // reuse an id: counters must land on the flow they were read from.
  for (uint16_t p = 1; p <= 6; ++p) kernel_.Put({5, p}, 1000 + p, false);
  Start(absl::Milliseconds(1));
  ExpectConverged(/*counters=*/true);
  for (int round = 0; round < 30; ++round) {
    const uint16_t p = 1 + round % 6;
    const Id other{5, static_cast<uint16_t>(100 + round)};
    kernel_.Remove({5, p});
    kernel_.Put(other, 7000 + round);
    kernel_.Put({5, p}, 1000 + p);
    ExpectConverged(/*counters=*/true);
    if (HasFailure()) break;
    kernel_.Remove(other);
  }
  ExpectConverged(/*counters=*/true);
}

// Polls `done` (real time, bounded): for the source's own threads, which
// the fake clock does not drive.
template <typename Fn>
bool Eventually(Fn done, absl::Duration limit = kDeadline) {
  const absl::Time end = absl::Now() + limit;
  while (!done()) {
    if (absl::Now() > end) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

TEST_F(KernelSourceFakeTest, RateDumpsPublishOnlyFlowsThatMoved) {
  // The initial dump announced every flow's counters: a rate dump of idle
  // flows is no news (at a million flows it was a million COUNTERS).
  for (uint16_t p = 1; p <= 50; ++p) kernel_.Put({p, p}, 1000, false);
  KernelSourceOptions o;
  o.rate_interval = absl::Seconds(1);
  o.rate_cpu_budget = 0;
  StartWith(std::move(o), fake_clock_);
  ExpectConverged(/*counters=*/true);
  auto rate_dumps = [&] { return source_->stats().rate_dumps; };
  auto dumped = [&](uint64_t n) {
    return Eventually([&] { return rate_dumps() == n; }) &&
           Eventually([&] { return fake_clock_.waiters() > 0; }) &&
           kernel_.WaitIdle(kDeadline);
  };
  ASSERT_TRUE(Eventually([&] { return fake_clock_.waiters() > 0; }));

  fake_clock_.Advance(absl::Seconds(1));  // the first rate dump: all idle
  ASSERT_TRUE(dumped(1));
  EXPECT_TRUE(lost_.counters().empty());

  kernel_.Put({7, 7}, 5000, /*event=*/false);  // one flow moves
  fake_clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(dumped(2));
  EXPECT_EQ(lost_.counters(), (std::map<uint32_t, int>{{7, 1}}));
  ExpectConverged(/*counters=*/true);

  fake_clock_.Advance(absl::Seconds(1));  // it stopped: its zero rate, once
  ASSERT_TRUE(dumped(3));
  fake_clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(dumped(4));
  EXPECT_EQ(lost_.counters(), (std::map<uint32_t, int>{{7, 2}}));
  EXPECT_EQ(lost_.lost(), 0);
}

TEST_F(KernelSourceFakeTest, TheInitialDumpsCostDelaysTheFirstRateDump) {
  // A million flows just loaded: the initial dump cost half a second of a
  // core, so at 5% the first rate dump waits 10 s, not the 1 s interval
  // (it used to land in the first idle seconds and cost as much again).
  kernel_.Put({1, 1000}, 10, false);
  kernel_.SetDumpHook([this](int part) {
    if (part == 0 && kernel_.dumps() == 1) cpu_ms_ += 500;
  });
  KernelSourceOptions o;
  o.rate_interval = absl::Seconds(1);
  o.rate_cpu_budget = 0.05;
  o.thread_cpu_time = [this] { return absl::Milliseconds(cpu_ms_.load()); };
  StartWith(std::move(o), fake_clock_);
  ExpectConverged();
  ASSERT_TRUE(Eventually([&] { return fake_clock_.waiters() > 0; }));
  EXPECT_EQ(source_->stats().rate_period, absl::Seconds(10));
  EXPECT_TRUE(source_->stats().rate_stretched);
  EXPECT_EQ(lost_.rate_period(), std::make_pair(uint64_t{10000}, true));

  fake_clock_.Advance(absl::Seconds(9));
  EXPECT_FALSE(Eventually([&] { return source_->stats().rate_dumps > 0; },
                          absl::Seconds(1)));
  fake_clock_.Advance(absl::Seconds(1));
  EXPECT_TRUE(Eventually([&] { return source_->stats().rate_dumps == 1; }));
}

TEST_F(KernelSourceFakeTest, CostlyRateDumpsStretchThePeriodToTheCpuBudget) {
  // A rate dump of a million flows costs about half a second of a core: at
  // 5% of a core the dumps may run every 10 s, not every second.
  kernel_.Put({1, 1000}, 10, false);
  core::FakeClock& clock = fake_clock_;
  KernelSourceOptions o;
  o.rate_interval = absl::Seconds(1);
  o.rate_cpu_budget = 0.05;
  o.thread_cpu_time = [this] { return absl::Milliseconds(cpu_ms_.load()); };
  StartWith(std::move(o), clock);
  ExpectConverged();
  const size_t initial = kernel_.dumps();
  // Every later dump (the rate dumps) costs cost_ms_ of CPU.
  kernel_.SetDumpHook([this](int part) {
    if (part == 0) cpu_ms_ += cost_ms_.load();
  });
  auto rate_dumps = [&] { return source_->stats().rate_dumps; };
  // The n-th rate dump is done and the loop waits on the clock again (so it
  // has published the period that dump made).
  auto dumped = [&](uint64_t n) {
    return Eventually([&] { return rate_dumps() == n; }) &&
           Eventually([&] { return clock.waiters() > 0; });
  };
  ASSERT_TRUE(Eventually([&] { return clock.waiters() > 0; }));
  EXPECT_EQ(source_->stats().rate_period, absl::Seconds(1));

  clock.Advance(absl::Seconds(1));  // the first rate dump is due
  ASSERT_TRUE(dumped(1));
  EXPECT_EQ(kernel_.dumps(), initial + 1);
  EXPECT_EQ(source_->stats().rate_period, absl::Seconds(10));
  EXPECT_TRUE(source_->stats().rate_stretched);
  EXPECT_EQ(lost_.rate_period(), std::make_pair(uint64_t{10000}, true));

  // 9 s later the budget still holds the next dump back.
  clock.Advance(absl::Seconds(9));
  EXPECT_FALSE(Eventually([&] { return rate_dumps() > 1; }, absl::Seconds(1)));
  EXPECT_EQ(kernel_.dumps(), initial + 1);

  // At 10 s it runs; now cheap (the table shrank), the interval comes back.
  cost_ms_ = 10;
  clock.Advance(absl::Seconds(1));
  ASSERT_TRUE(dumped(2));
  EXPECT_EQ(source_->stats().rate_period, absl::Seconds(1));
  EXPECT_FALSE(source_->stats().rate_stretched);
  EXPECT_EQ(lost_.rate_period(), std::make_pair(uint64_t{1000}, false));
  clock.Advance(absl::Seconds(1));
  ASSERT_TRUE(dumped(3));
  EXPECT_EQ(lost_.lost(), 0);
}


// Flows that began before anyone listened to conntrack events get none
// (nf_conntrack_events=2): no UPDATE, no DESTROY. A dump is the only news
// of their end. Here the fake kernel removes flows without an event.
class SilentFlowTest : public KernelSourceFakeTest {
 protected:
  // Starts the source on the fake clock and waits until its rate loop waits
  // for the first dump.
  void StartSilent(absl::Duration rate_interval) {
    KernelSourceOptions o;
    o.rate_interval = rate_interval;
    o.rate_cpu_budget = 0;
    StartWith(std::move(o), fake_clock_);
    ExpectConverged();
    ASSERT_TRUE(Eventually([&] { return fake_clock_.waiters() > 0; }));
  }
  // Moves the fake clock a second and waits for the dump it starts.
  void NextDump() {
    const size_t before = kernel_.dumps();
    fake_clock_.Advance(absl::Seconds(1));
    ASSERT_TRUE(Eventually([&] { return kernel_.dumps() > before; }));
    ASSERT_TRUE(Eventually([&] { return fake_clock_.waiters() > 0 || !Running(); }));
    ASSERT_TRUE(kernel_.WaitIdle(kDeadline));
  }
  bool Running() { return source_->stats().silent > 0; }
};

TEST_F(SilentFlowTest, AFlowThatEndsWithoutAnEventLeavesWithTheNextDump) {
  for (uint16_t p = 1; p <= 3; ++p) kernel_.Put({p, p}, 10, /*event=*/false);
  StartSilent(absl::Seconds(1));
  EXPECT_EQ(source_->stats().silent, 3u);
  kernel_.Put({4, 4}, 10);  // begins now: the kernel sends its events
  ExpectConverged();

  kernel_.Remove({1, 1}, /*event=*/false);  // the kernel says nothing
  NextDump();
  ExpectConverged();
  EXPECT_EQ(Table().count({1, 1}), 0u);
  EXPECT_EQ(source_->stats().silent_gone, 1u);
  EXPECT_EQ(source_->stats().silent, 2u);
  EXPECT_EQ(lost_.lost(), 0);  // nothing was lost: the kernel sent nothing
}

TEST_F(SilentFlowTest, WithRatesOffDumpsRunUntilNoSilentFlowIsLeft) {
  kernel_.Put({1, 1}, 10, /*event=*/false);
  kernel_.Put({2, 2}, 10, /*event=*/false);
  StartSilent(absl::ZeroDuration());
  kernel_.Remove({1, 1}, /*event=*/false);
  NextDump();
  ExpectConverged();
  EXPECT_TRUE(lost_.counters().empty());  // rates off: no COUNTERS
  // An event names the other flow: the kernel has its extension now, and
  // sends its DESTROY itself; no flow is left for the dumps to watch.
  kernel_.Put({2, 2}, 20);
  ExpectConverged();
  EXPECT_EQ(source_->stats().silent, 0u);
  const size_t dumps = kernel_.dumps();
  fake_clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(Eventually([&] { return fake_clock_.waiters() == 0; }));
  fake_clock_.Advance(absl::Seconds(5));
  EXPECT_EQ(kernel_.dumps(), dumps);
  kernel_.Remove({2, 2});
  ExpectConverged();
}

TEST_F(SilentFlowTest, AReusedKeyIsNotDestroyedByTheSweep) {
  // The silent flow ends and a new one with the same id and tuple (the
  // same key) begins: its NEW names the key before the dump sees it.
  kernel_.Put({5, 5}, 10, /*event=*/false);
  kernel_.Put({6, 6}, 10, /*event=*/false);
  StartSilent(absl::Seconds(1));
  kernel_.Remove({5, 5}, /*event=*/false);
  kernel_.Put({5, 5}, 99);
  ExpectConverged();
  NextDump();
  ExpectConverged();
  EXPECT_EQ(Table().count({5, 5}), 1u);
}

}  // namespace
}  // namespace flowtop::collector

namespace flowtop::collector {
namespace {

// The nice value of this process's thread named `name` (-100: none such).
int NiceOfThread(const std::string& name) {
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return -100;
  int nice = -100;
  while (dirent* d = readdir(dir)) {
    const std::string task = std::string("/proc/self/task/") + d->d_name;
    std::ifstream comm(task + "/comm");
    std::string thread_name;
    if (!std::getline(comm, thread_name) || thread_name != name) continue;
    std::ifstream stat(task + "/stat");
    std::string line;
    std::getline(stat, line);
    // Fields after the ")" that ends the name: state is field 3, nice 19.
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string field;
    for (int i = 3; i <= 19 && rest >> field; ++i) {
      if (i == 19) nice = std::stoi(field);
    }
  }
  closedir(dir);
  return nice;
}

// A rate dump of a million flows holds a core for seconds: its thread yields
// the CPU to the reader and the service's handlers (a ListFlows at a dump's
// start took 43.6 ms instead of 3-5).
TEST_F(KernelSourceFakeTest, TheRateDumpThreadYieldsTheCpu) {
  kernel_.Put({1, 1000}, 10, false);
  KernelSourceOptions o;
  o.rate_interval = absl::Seconds(1);
  o.rate_thread_nice = 10;
  StartWith(std::move(o), fake_clock_);
  ExpectConverged();
  ASSERT_TRUE(Eventually([&] { return NiceOfThread("flowtop-rates") != -100; }));
  EXPECT_EQ(NiceOfThread("flowtop-rates"), 10);
  // Only that thread: the test's own is untouched.
  EXPECT_EQ(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())), 0);
}

TEST(KernelSourceOptions, TheRateThreadsNiceIsBounded) {
  for (int nice : {-1, 20}) {
    KernelSourceOptions o;
    o.rate_thread_nice = nice;
    FakeConntrack kernel(RecordedUdpFlow());
    KernelSockets sockets{kernel.EventSocket(), kernel.DumpSocket(), kernel.DumpSocket()};
    absl::StatusOr<std::unique_ptr<KernelSource>> src =
        KernelSource::CreateWithSockets(std::move(o), std::move(sockets));
    EXPECT_TRUE(absl::IsInvalidArgument(src.status())) << nice;
  }
}

}  // namespace
}  // namespace flowtop::collector
