#include "tui/app.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/flow_json.h"
#include "tui/keys.h"
#include "tui/release_memory.h"
#include "tui/row_store.h"
#include "tui/table.h"
#include "tui/view.h"

namespace flowtop::tui {

namespace {

// While a source loads its initial snapshot (a million flows take seconds),
// the screen refreshes at least four times a second, so the first rows and
// the `loading N/M` count show at once instead of after the interval.
absl::Duration RefreshAfter(const Snapshot& snapshot, const LoopOptions& options) {
  return snapshot.Loading() ? std::min(options.interval, absl::Milliseconds(250))
                            : options.interval;
}

}  // namespace

absl::Status RunInteractive(Model& model, ViewState state, const LoopOptions& options,
                            const core::Clock& clock, Terminal& terminal,
                            ReplayControl* replay) {
  Snapshot snapshot = model.TakeSnapshot();
  absl::Time next_fetch = clock.Now() + RefreshAfter(snapshot, options);
  PageInfo page;
  bool redraw = true;
  // The snapshot a refresh replaces is released only after the new frame
  // is drawn: freeing the rows it kept alive must not delay the screen.
  Snapshot previous;
  // Set when the table finished loading: its burst's freed memory is given
  // back once the frame is drawn (tui/release_memory.h).
  bool loaded = false;
  while (!terminal.quit_requested()) {
    if (clock.Now() >= next_fetch) {
      // Paused: the data keeps flowing into the model, the screen keeps
      // its snapshot.
      if (!state.paused) {
        const bool was_loading = snapshot.Loading();
        previous = std::exchange(snapshot, model.TakeSnapshot());
        loaded = loaded || (was_loading && !snapshot.Loading());
        redraw = true;
      }
      next_fetch = clock.Now() + RefreshAfter(snapshot, options);
    }
    if (redraw) {
      if (replay != nullptr) state.replay = replay->Status();
      RenderResult r =
          Render(snapshot, state, terminal.Width(), terminal.Height(), options.title);
      state.cursor = r.page.cursor;
      state.top = r.page.top;
      page = std::move(r.page);
      terminal.Draw(r.frame);
      redraw = false;
      previous = Snapshot();
      if (std::exchange(loaded, false)) ReleaseFreedMemory();
    }
    const absl::Duration wait = std::max(absl::ZeroDuration(), next_fetch - clock.Now());
    const int key = terminal.ReadKey(wait);
    if (key == kKeyNone) continue;
    const uint32_t action = HandleKey(state, key, page, replay);
    if (action & kQuit) break;
    if (action & kRefetch) {
      previous = std::exchange(snapshot, model.TakeSnapshot());
      next_fetch = clock.Now() + RefreshAfter(snapshot, options);
    }
    if (action & (kRedraw | kRefetch)) redraw = true;
  }
  return absl::OkStatus();
}

namespace {

// Calls emit(snapshot) per interval as the batch modes do.
template <typename Emit>
absl::Status BatchLoop(Model& model, const LoopOptions& options, Emit emit) {
  // The first snapshot is complete: never a half-loaded table.
  model.WaitForInitialSnapshots();
  ReleaseFreedMemory();  // what loading it freed (tui/release_memory.h)
  for (uint64_t n = 1;; ++n) {
    const bool ended = model.AllEnded();
    absl::Status st = emit(model.TakeSnapshot());
    if (!st.ok()) return st;
    if (options.count != 0 && n >= options.count) return absl::OkStatus();
    if (ended) return absl::OkStatus();
    model.WaitForAllEnded(options.interval);
  }
}

// Writes `text`, then flushes unless told not to.
absl::Status Write(std::FILE* out, absl::string_view text, bool flush = true) {
  if (std::fwrite(text.data(), 1, text.size(), out) != text.size() ||
      (flush && std::fflush(out) != 0)) {
    return absl::UnavailableError("cannot write the output (closed pipe or full disk)");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status RunBatch(Model& model, const ViewState& state, const LoopOptions& options,
                      std::FILE* out) {
  bool first = true;
  return BatchLoop(model, options, [&](const Snapshot& snapshot) {
    if (!first) {
      absl::Status st = Write(out, "\n", /*flush=*/false);
      if (!st.ok()) return st;
    }
    first = false;
    // Written a piece at a time, never the whole table's text at once.
    absl::Status st = WriteBatch(snapshot, state, options.width, options.title,
                                 [out](absl::string_view piece) {
                                   return Write(out, piece, /*flush=*/false);
                                 });
    if (!st.ok()) return st;
    return Write(out, "");
  });
}

absl::Status RunJson(Model& model, const ViewState& state, const LoopOptions& options,
                     std::FILE* out) {
  // Each row goes from its stored record straight to text
  // (core/flow_json.h: no v1::Flow, no protobuf printer), and the lines go
  // out in chunks as they are made: nothing is held per flow.
  constexpr size_t kChunk = 256 * 1024;
  return BatchLoop(model, options, [&](const Snapshot& snapshot) {
    FlowSelection sel = SelectFlowIndices(snapshot, state, 0, snapshot.flows.size());
    const StoredRows& rows = snapshot.flows.stored();
    const absl::Span<const std::string> labels = snapshot.flows.labels();
    core::FlowJsonWriter writer(snapshot.flows.pool());
    std::string text;
    text.reserve(kChunk + 4096);
    for (uint32_t i : sel.indices) {
      const StoredRow& row = rows[i];
      // A row without a node is labelled with its source's label.
      const absl::string_view label =
          row.source < labels.size() ? absl::string_view(labels[row.source]) : "";
      absl::Status st = writer.Append(row.record, label, text);
      if (!st.ok()) return st;
      text += '\n';
      if (text.size() >= kChunk) {
        absl::Status written = Write(out, text, /*flush=*/false);
        if (!written.ok()) return written;
        text.clear();
      }
    }
    return Write(out, text);
  });
}

}  // namespace flowtop::tui
