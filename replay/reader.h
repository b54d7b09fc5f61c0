// RecordingReader: reads a recording file (FORMAT.md) block by block.
//
// The reader checks every block's header and payload checksums. Damage never
// stops it silently and never makes it crash or loop: a damaged block is
// skipped (its header tells how many events were lost), a damaged header
// makes it search forward for the next block signature whose header checks
// out, and a file that ends inside a block (a recorder killed mid-write) ends
// the reading cleanly. Every such finding is kept as a Damage with its byte
// offset; callers turn them into LOST events (source RECORDING) and messages.
//
// Not thread-safe. Reads with pread(), so the position is the reader's own.
//
// With decode-ahead on (SetDecodeAhead), Next() reads blocks in batches of
// 2 x kAheadBlocks: it hands the checksum, decompression and decoding of the
// second half to a second thread and does the first half itself, so
// sequential reading runs on two cores. Results, damage reports and
// positions are exactly those of the plain reader.
#ifndef FLOWTOP_REPLAY_READER_H_
#define FLOWTOP_REPLAY_READER_H_

#include <zstd.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "flowtop/v1/flowtop.pb.h"
#include "flowtop/v1/recording.pb.h"
#include "replay/event_decoder.h"
#include "replay/format.h"

namespace flowtop::replay {

struct Damage {
  uint64_t offset = 0;        // byte offset where the damage was found
  uint64_t bytes_skipped = 0;
  uint64_t events_lost = 0;   // 0 when the count is unknown
  bool truncated_tail = false;  // the file ends inside a block
  std::string message;        // one line, starts with "byte offset N:"
};

// Where a block is and what its header says (an index entry).
struct BlockInfo {
  uint64_t offset = 0;
  BlockHeader header;
};

// A decoded block. `events` is reused between calls: only the first
// `header.event_count` elements are this block's.
struct Block {
  BlockInfo info;
  std::vector<v1::FlowEvent> events;
  size_t size() const { return info.header.event_count; }
};

class RecordingReader {
 public:
  // Opens `path` and reads its file header. Errors (one line, naming the
  // path): NOT_FOUND / PERMISSION_DENIED from open(); INVALID_ARGUMENT for an
  // empty file or a file that is not a recording; FAILED_PRECONDITION for a
  // newer major format version; DATA_LOSS for a damaged or truncated header
  // when no intact block follows it.
  //
  // A damaged file header with intact blocks after it is recovered from the
  // blocks (FORMAT.md, "Durability and damage"): reading starts at the first
  // intact block, header() holds the node named by the first events and the
  // first block's time, and header_damage() (also the first TakeDamage())
  // says what was lost.
  static absl::StatusOr<std::unique_ptr<RecordingReader>> Open(
      const std::string& path);

  ~RecordingReader();
  RecordingReader(const RecordingReader&) = delete;
  RecordingReader& operator=(const RecordingReader&) = delete;

  const v1::RecordingHeader& header() const { return header_; }
  uint16_t major() const { return major_; }
  uint16_t minor() const { return minor_; }
  uint64_t file_size() const { return file_size_; }
  const std::string& path() const { return path_; }
  // Offset of the first block.
  uint64_t data_offset() const { return data_offset_; }

  // Reads and decodes the next intact block (data or keyframe) into `block`.
  // Returns true when one was read, false at the end of the file. Damage on
  // the way is recorded (see TakeDamage) and skipped. Errors: only I/O errors
  // (UNAVAILABLE).
  absl::StatusOr<bool> Next(Block* block);

  // Like Next but reads only the header and skips the payload (its checksum
  // is not verified): for building an index quickly.
  absl::StatusOr<bool> NextInfo(BlockInfo* info);

  // Decode-ahead (see above): half of each batch of blocks is decoded on a
  // second thread. Off by default; worth it where a core is free.
  void SetDecodeAhead(bool on);
  bool decode_ahead() const { return ahead_on_; }

  // Continues reading at `offset` (a BlockInfo::offset or data_offset()).
  void SeekToOffset(uint64_t offset);
  // Where the next Next()/NextInfo() starts.
  uint64_t position() const { return consumed_; }

  // Set when the file header was damaged and header() was recovered from
  // the blocks; callers that rewind (SeekToOffset(data_offset())) report it
  // themselves, since rewinding does not find it again.
  const std::optional<Damage>& header_damage() const { return header_damage_; }

  // Returns the damage found since the last call, and forgets it.
  std::vector<Damage> TakeDamage();
  // Every damage found since Open, for reports.
  uint64_t damage_count() const { return damage_count_; }

 private:
  // State one thread needs to decode payloads.
  struct Decoding {
    Decoding();
    ~Decoding();
    ZSTD_DCtx* dctx;
    EventDecoder decoder;
    std::string raw_buf;
  };
  // One block on its way: found and read by the framing thread, checked and
  // decoded by either thread.
  struct Pending {
    bool found = false;           // false: the end of the file
    std::vector<Damage> framing;  // damage found while looking for it
    uint64_t end = 0;             // position after it
    BlockInfo info;
    std::string stored;           // its payload as stored
    std::vector<v1::FlowEvent> events;
    std::string error;            // payload damage (it is skipped)
  };

  RecordingReader(std::string path, int fd, uint64_t file_size);
  // Reads and checks the file header at byte 0; errors name the path.
  absl::StatusOr<DecodedFileHeader> ReadFileHeader();
  // Rebuilds header() from the first intact blocks after a damaged file
  // header (`why`). Returns false when no intact block exists.
  absl::StatusOr<bool> RecoverHeader(const absl::Status& why);
  // Finds the next block header at position_ (over damage) and moves past
  // the block; a block the file ends inside is damage and the end.
  absl::StatusOr<bool> NextHeader(BlockInfo* info);
  // Finds the next block with a known layout and reads its payload.
  absl::Status Frame(Pending* pending);
  // Checks, decompresses and decodes `pending`'s payload.
  static void Decode(Pending* pending, Decoding* state);
  // Reports `pending` in order: its framing damage, then its own.
  void Account(Pending* pending);
  // Drops the batch's blocks not returned yet (waiting for the worker if
  // need be); the next read starts after the last block returned.
  void DropAhead();
  // Frames the next batch and starts the worker on its second half.
  absl::Status StartBatch();
  void WorkerLoop();
  // Finds the next block header at or after position_ (searching forward
  // over damage). Returns false at the end.
  absl::StatusOr<bool> FindHeader(BlockInfo* info);
  // Returns the offset of the next block signature whose header checks out,
  // at or after `from`, or file_size_ when none does.
  absl::StatusOr<uint64_t> Resync(uint64_t from);
  // Reads exactly `n` bytes at `offset` into `out` (fewer at end of file).
  absl::Status ReadAt(uint64_t offset, size_t n, std::string* out);
  absl::StatusOr<bool> TryHeaderAt(uint64_t offset, BlockHeader* header);
  void AddDamage(Damage damage);
  void Lose(const BlockInfo& info, const std::string& why);

  const std::string path_;
  int fd_;
  const uint64_t file_size_;
  v1::RecordingHeader header_;
  std::optional<Damage> header_damage_;
  uint16_t major_ = 0;
  uint16_t minor_ = 0;
  uint64_t data_offset_ = 0;
  uint64_t position_ = 0;  // the framing cursor (ahead of consumed_ when
                           // a block is decoded ahead)
  uint64_t consumed_ = 0;  // after the last block Next() returned
  std::vector<Damage> damage_;
  // While framing, damage goes here instead of damage_ (Pending::framing).
  std::vector<Damage>* framing_damage_ = nullptr;
  uint64_t damage_count_ = 0;
  Decoding decoding_;
  Pending mine_;
  std::string head_buf_;
  std::string scan_buf_;

  // Decode-ahead: batch_[0, batch_size_) framed; Next() decodes and returns
  // batch_[next_, split_) itself; the worker decodes batch_[split_,
  // batch_size_), returned after it.
  static constexpr size_t kAheadBlocks = 4;
  bool ahead_on_ = false;
  Pending batch_[2 * kAheadBlocks];
  size_t batch_size_ = 0;
  size_t split_ = 0;
  size_t next_ = 0;
  std::unique_ptr<Decoding> worker_decoding_;
  absl::Mutex mu_;
  bool job_ ABSL_GUARDED_BY(mu_) = false;   // the worker has the second half
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread worker_;
};

}  // namespace flowtop::replay

#endif  // FLOWTOP_REPLAY_READER_H_
