#include "tests/replay/golden_report.h"

#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/fake_clock.h"
#include "core/pipeline.h"
#include "replay/reader.h"
#include "replay/replay_source.h"
#include "replay/summary.h"
#include "replay/table_dump.h"

namespace flowtop::replay {
namespace {

// Feeds the pipeline and the summary.
class CheckpointSink final : public core::EventSink {
 public:
  CheckpointSink(core::Pipeline& pipeline, Summary& summary)
      : pipeline_(pipeline), summary_(summary) {}
  void Publish(absl::Span<v1::FlowEvent> events) override {
    for (const v1::FlowEvent& e : events) summary_.Add(e);
    pipeline_.Publish(events);
  }

 private:
  core::Pipeline& pipeline_;
  Summary& summary_;
};

std::string Stats(const core::PipelineStats& s) {
  return absl::StrFormat(
      "events %d flows %d dropped %d lost kernel %d ring %d client %d recording %d "
      "last_seq %d\n",
      s.events, s.flows, s.dropped_flows, s.lost_kernel, s.lost_ring, s.lost_client,
      s.lost_recording, s.last_seq);
}

}  // namespace

absl::StatusOr<std::vector<absl::Time>> Checkpoints(const std::string& path) {
  core::FakeClock clock;
  absl::StatusOr<std::unique_ptr<ReplaySource>> source =
      ReplaySource::Open(path, ReplayOptions(), clock);
  if (!source.ok()) return source.status();
  const ReplayPosition p = (*source)->position();
  const absl::Duration span = p.last_event - p.first_event;
  return std::vector<absl::Time>{p.first_event + span / 4, p.first_event + span / 2,
                                 p.first_event + span * 3 / 4, p.last_event};
}

absl::StatusOr<std::string> GoldenReport(const std::string& path) {
  absl::StatusOr<std::vector<absl::Time>> checkpoints = Checkpoints(path);
  if (!checkpoints.ok()) return checkpoints.status();
  std::string out;
  // One replay per checkpoint, each started at the checkpoint (a seek) and
  // one full sequential replay: both must agree, which the test checks too.
  for (absl::Time t : *checkpoints) {
    core::FakeClock clock;
    ReplayOptions options;
    options.speed = 0;
    options.start_at = t;
    options.start_paused = true;
    auto source = ReplaySource::Open(path, options, clock);
    if (!source.ok()) return source.status();
    core::PipelineOptions popts;
    popts.keep_source_seq = true;
    core::Pipeline pipeline(popts, (*source)->recorded_clock());
    ReplaySource* raw = source->get();
    // Paused: Run performs the seek, then waits; stop it once idle.
    absl::Status status;
    {
      std::unique_ptr<std::thread> runner(
          new std::thread([&] { status = raw->Run(pipeline); }));
      raw->WaitIdle(absl::Minutes(1));
      raw->Stop();
      runner->join();
    }
    if (!status.ok()) return status;
    absl::StrAppend(&out, "== table at ",
                    absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone()), "\n",
                    pipeline.WithTable([](const core::FlowTable& table) {
                      return DumpTable(table);
                    }));
  }
  core::FakeClock clock;
  ReplayOptions options;
  options.speed = 0;
  auto source = ReplaySource::Open(path, options, clock);
  if (!source.ok()) return source.status();
  core::PipelineOptions popts;
  popts.keep_source_seq = true;
  core::Pipeline pipeline(popts, (*source)->recorded_clock());
  Summary summary;
  CheckpointSink sink(pipeline, summary);
  absl::Status status = (*source)->Run(sink);
  if (!status.ok()) return status;
  summary.Finish();
  absl::StrAppend(&out, "== sequential replay to the end\n",
                  pipeline.WithTable([](const core::FlowTable& table) {
                    return DumpTable(table);
                  }),
                  "== pipeline\n", Stats(pipeline.stats()));
  auto reader = RecordingReader::Open(path);
  if (!reader.ok()) return reader.status();
  absl::StrAppend(&out, "== summary\n",
                  summary.Report((*source)->header(), (*reader)->file_size(), 10));
  return out;
}

}  // namespace flowtop::replay
