#include "tui/sources.h"

#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"

namespace flowtop::tui {

SourceSet::~SourceSet() { Stop(); }

absl::Status SourceSet::Build(SourceFactory& factory, const Options& options) {
  std::vector<std::pair<std::string, std::unique_ptr<core::EventSource>>> built;
  std::vector<int> indices;
  if (!options.replay_file.empty()) {
    auto src = factory.Replay(options.replay_file, options);
    if (!src.ok()) return src.status();
    const size_t slash = options.replay_file.rfind('/');
    title_ = absl::StrCat("replay: ", slash == std::string::npos
                                          ? options.replay_file
                                          : options.replay_file.substr(slash + 1));
    entries_.push_back({model_.AddSource("replay"), *std::move(src)});
    return absl::OkStatus();
  }
  if (options.connect.empty()) {
    Model* model = &model_;
    const bool interactive = options.output == OutputMode::kInteractive;
    auto src = factory.Local(options, [model, interactive](const std::string& note) {
      if (interactive) {
        model->AddNote(note);
        return;
      }
      // --batch and --json: stdout is data; a notice goes to stderr, once.
      std::fprintf(stderr, "flowtop: %s\n", note.c_str());
    });
    if (!src.ok()) return src.status();
    title_ = "local";
    model_.SetEmptyHint(factory.empty_hint());
    entries_.push_back({model_.AddSource("local"), *std::move(src)});
    return absl::OkStatus();
  }
  title_ = options.connect.size() == 1 ? options.connect[0]
                                       : absl::StrCat(options.connect.size(), " endpoints");
  for (const std::string& endpoint : options.connect) {
    const int index = model_.AddSource(endpoint, /*stream_clock=*/true);
    auto src = factory.Remote(endpoint, options);
    if (!src.ok()) return src.status();
    // Until the stream is up an endpoint counts as not connected.
    model_.SetConnected(index, false, "not connected yet (retrying)");
    entries_.push_back({index, *std::move(src)});
  }
  return absl::OkStatus();
}

void SourceSet::Start() {
  for (Entry& e : entries_) {
    core::EventSource* source = e.source.get();
    const int index = e.index;
    Model* model = &model_;
    threads_.emplace_back([this, source, index, model]() {
      absl::Status st = source->Run(model->SinkFor(index));
      if (!st.ok()) {
        absl::MutexLock lock(&mu_);
        if (first_error_.ok()) first_error_ = st;
      }
      model->SetEnded(index, st.ok() ? "" : std::string(st.message()));
    });
  }
}

absl::Status SourceSet::WaitForStartup(absl::Duration timeout) {
  model_.WaitForSync(timeout);
  absl::MutexLock lock(&mu_);
  return first_error_;
}

void SourceSet::Stop() {
  for (Entry& e : entries_) e.source->Stop();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace flowtop::tui
