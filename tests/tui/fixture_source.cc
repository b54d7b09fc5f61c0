#include "tests/tui/fixture_source.h"

#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"

namespace flowtop::tui {

absl::Status FixtureSource::Run(core::EventSink& sink) {
  std::ifstream in(path_);
  if (!in) return absl::NotFoundError(absl::StrCat(path_, ": cannot open the file"));
  std::vector<v1::FlowEvent> batch;
  std::string line;
  for (int n = 1; std::getline(in, line) && !stop_.load(); ++n) {
    if (line.empty()) continue;
    v1::FlowEvent event;
    auto st = google::protobuf::util::JsonStringToMessage(line, &event);
    if (!st.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path_, ":", n, ": not a FlowEvent: ", st.ToString()));
    }
    batch.push_back(std::move(event));
    if (batch.size() == 256) {
      sink.Publish(absl::MakeSpan(batch));
      batch.clear();
    }
  }
  if (!batch.empty()) sink.Publish(absl::MakeSpan(batch));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<core::EventSource>> FixtureSourceFactory::Local(
    const Options&, std::function<void(const std::string&)>) {
  return absl::UnimplementedError("the fixture build has no local mode; use --replay FILE");
}

absl::StatusOr<std::unique_ptr<core::EventSource>> FixtureSourceFactory::Remote(
    const std::string&, const Options&) {
  return absl::UnimplementedError("the fixture build has no remote mode; use --replay FILE");
}

absl::StatusOr<std::unique_ptr<core::EventSource>> FixtureSourceFactory::Replay(
    const std::string& path, const Options&) {
  return std::make_unique<FixtureSource>(path);
}

const core::Clock& FixtureSourceFactory::ViewClock(const Options& options) {
  std::ifstream in(options.replay_file);
  std::string line;
  v1::FlowEvent first;
  if (std::getline(in, line) &&
      google::protobuf::util::JsonStringToMessage(line, &first).ok()) {
    clock_.Set(absl::FromUnixNanos(first.time_unix_nanos()));
  }
  return clock_;
}

}  // namespace flowtop::tui
