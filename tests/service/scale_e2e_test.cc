// Router scale over real gRPC: snapshots and lists never show a half-loaded
// table without saying so, and readers never stop the event path.
#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/service/test_node.h"

namespace flowtop::testing {
namespace {

std::vector<v1::FlowEvent> Snapshots(uint32_t first, uint32_t n) {
  std::vector<v1::FlowEvent> out;
  for (uint32_t id = first; id < first + n; ++id) {
    out.push_back(MakeEvent(v1::SNAPSHOT, id));
  }
  return out;
}

std::vector<v1::FlowEvent> End() {
  std::vector<v1::FlowEvent> out(1);
  out[0].set_type(v1::SNAPSHOT_END);
  return out;
}

TEST(ScaleEndToEnd, GetFlowsSnapshotWaitsForTheInitialDump) {
  TestNode node;
  node.Publish(Snapshots(1, 3));  // the kernel's dump has begun
  auto stub = node.Stub();
  v1::GetFlowsRequest request;
  request.set_snapshot(true);
  request.set_follow(true);
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
  auto reader = stub->GetFlows(&context, request);
  // Long enough for a server that does not wait to take its snapshot now.
  absl::SleepFor(absl::Milliseconds(200));
  node.Publish(Snapshots(4, 2));
  node.Publish(End());
  std::vector<v1::EventType> types;
  v1::GetFlowsResponse response;
  while (reader->Read(&response)) {
    for (const auto& e : response.events()) types.push_back(e.type());
    if (!types.empty() && types.back() == v1::SNAPSHOT_END) break;
  }
  EXPECT_EQ(types, (std::vector<v1::EventType>{
                       v1::STATUS, v1::SNAPSHOT, v1::SNAPSHOT, v1::SNAPSHOT,
                       v1::SNAPSHOT, v1::SNAPSHOT, v1::SNAPSHOT_END}));
  context.TryCancel();
  reader->Finish();
}

TEST(ScaleEndToEnd, ListFlowsAndStatusSayLoading) {
  TestNode node;
  node.Publish(Snapshots(1, 3));
  auto stub = node.Stub();
  {
    grpc::ClientContext context;
    v1::ListFlowsResponse response;
    ASSERT_TRUE(stub->ListFlows(&context, {}, &response).ok());
    EXPECT_TRUE(response.loading());
    EXPECT_EQ(response.total(), 3u);
    grpc::ClientContext c2;
    v1::GetStatusResponse status;
    ASSERT_TRUE(stub->GetStatus(&c2, {}, &status).ok());
    EXPECT_TRUE(status.status().loading());
    EXPECT_EQ(status.status().loaded_flows(), 3u);
  }
  node.Publish(End());
  grpc::ClientContext context;
  v1::ListFlowsResponse response;
  ASSERT_TRUE(stub->ListFlows(&context, {}, &response).ok());
  EXPECT_FALSE(response.loading());
  grpc::ClientContext c2;
  v1::GetStatusResponse status;
  ASSERT_TRUE(stub->GetStatus(&c2, {}, &status).ok());
  EXPECT_FALSE(status.status().loading());
}

TEST(ScaleEndToEnd, ListFlowsLimitIsTheTopOfTheWholeTable) {
  TestNode node;
  std::vector<v1::FlowEvent> batch = Snapshots(1, 2000);
  for (auto& e : batch) {
    const uint32_t id = e.flow().conntrack_id();
    e.mutable_flow()->mutable_original_counters()->set_bytes((id * 7919) % 2003);
  }
  node.Publish(batch);
  node.Publish(End());
  auto stub = node.Stub();
  v1::ListFlowsRequest request;
  request.set_sort(v1::SORT_BYTES);
  request.set_descending(true);
  request.set_limit(3);
  grpc::ClientContext context;
  v1::ListFlowsResponse response;
  ASSERT_TRUE(stub->ListFlows(&context, request, &response).ok());
  EXPECT_EQ(response.total(), 2000u);
  ASSERT_EQ(response.flows_size(), 3);
  // (id * 7919) % 2003 over ids 1..2000 takes 2000 distinct values below
  // 2003: the top three are the largest of them.
  std::vector<uint64_t> all;
  for (uint32_t id = 1; id <= 2000; ++id) all.push_back((id * 7919) % 2003);
  std::sort(all.rbegin(), all.rend());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(response.flows(i).original_counters().bytes(), all[i]);
  }
}

TEST(ScaleEndToEnd, EventsKeepMovingWhileReadersHoldViews) {
  // A GetFlows snapshot whose client never reads, and ListFlows calls over
  // the whole table, running while events are published: every publish
  // returns and every event is applied, readers or not.
  TestNode node;
  node.Publish(Snapshots(1, 20000));
  node.Publish(End());
  auto stub = node.Stub();
  v1::GetFlowsRequest request;
  request.set_snapshot(true);
  request.set_follow(true);
  grpc::ClientContext stalled;
  auto reader = stub->GetFlows(&stalled, request);  // never read
  std::atomic<bool> done{false};
  std::atomic<int> lists{0};
  std::thread lister([&] {
    while (!done.load()) {
      grpc::ClientContext context;
      v1::ListFlowsResponse response;
      if (stub->ListFlows(&context, {}, &response).ok()) ++lists;
    }
  });
  const uint64_t before = node.pipeline().stats().events;
  constexpr uint32_t kBatches = 200;
  for (uint32_t b = 0; b < kBatches; ++b) {
    std::vector<v1::FlowEvent> batch;
    for (uint32_t i = 0; i < 100; ++i) {
      batch.push_back(MakeEvent(v1::UPDATE, 1 + (b * 100 + i) % 20000));
    }
    node.Publish(std::move(batch));
  }
  EXPECT_EQ(node.pipeline().stats().events - before, kBatches * 100u);
  done = true;
  lister.join();
  EXPECT_GT(lists.load(), 0);
  stalled.TryCancel();
  reader->Finish();
}

}  // namespace
}  // namespace flowtop::testing
