// IpfixSession: one collector's IPFIX transport session. Packs records into
// messages, puts templates where the collector needs them, numbers data
// records (the header's sequence number), and counts what was exported and
// what was not (RFC 7011 section 4.3), which it also sends in-band as the
// reliability options record.
//
// Templates: over UDP in the first message, then again every
// `template_refresh` or every `template_refresh_messages` messages,
// whichever comes first (RFC 7011 section 8.4); over TCP once per
// connection, and the sequence number starts over with each connection (a
// new transport session). Not thread-safe except stats().
#ifndef FLOWTOP_EXPORTERS_IPFIX_SESSION_H_
#define FLOWTOP_EXPORTERS_IPFIX_SESSION_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "exporters/ipfix_encoder.h"
#include "exporters/transport.h"

namespace flowtop::exporters {

struct SessionOptions {
  EncoderOptions encoder;
  absl::Duration template_refresh = absl::Seconds(60);
  uint32_t template_refresh_messages = 1000;
};

struct SessionStats {
  std::string collector;
  uint64_t messages = 0, records = 0, octets = 0;  // sent
  // Flow records (and their packets and bytes) that were not sent: the
  // socket refused them, the collector was down (TCP), or the exporter's
  // queue overflowed.
  uint64_t not_sent_records = 0, not_sent_packets = 0, not_sent_octets = 0;
  uint64_t not_sent_messages = 0;
  uint64_t template_messages = 0;  // messages that carried templates
  std::string last_error;
};

class IpfixSession {
 public:
  IpfixSession(SessionOptions options, std::unique_ptr<Transport> transport);

  // Adds a record to the open message; sends the message when full.
  void Add(const FlowRecord& record, absl::Time now);
  // Adds the reliability statistics as of now.
  void AddReliability(absl::Time now);
  // Sends the open message if it holds any record.
  void Flush(absl::Time now);
  // Counts records that never reached this session (a full queue).
  void CountNotSent(uint64_t records, uint64_t packets, uint64_t octets);

  SessionStats stats() const;
  const std::string& name() const { return name_; }

 private:
  void BeginMessage(absl::Time now);
  void SendMessage(absl::Time now);

  const SessionOptions options_;
  std::unique_ptr<Transport> transport_;
  const std::string name_;
  MessageEncoder encoder_;
  bool open_ = false;
  bool open_has_templates_ = false;
  uint64_t open_packets_ = 0, open_octets_ = 0, open_flows_ = 0;
  uint32_t sequence_ = 0;
  bool templates_sent_ = false;
  absl::Time templates_at_;
  uint32_t messages_since_templates_ = 0;
  uint64_t templates_connection_ = 0;

  mutable absl::Mutex mu_;
  SessionStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace flowtop::exporters

#endif  // FLOWTOP_EXPORTERS_IPFIX_SESSION_H_
