// IPFIX (RFC 7011) message encoding: templates, data records, and the
// exporting process's reliability statistics, as bytes ready for a socket.
//
// Pure: no sockets, no clock. The caller (IpfixSession) says when a message
// starts, what goes in it and which export time and sequence number its
// header carries. Every message is at most `max_message` bytes; a record
// that would not fit is refused and goes into the next message.
//
// Each record is one direction of a conntrack flow (uniflow, not RFC 5103
// biflow): collectors such as nfdump drop reverse (PEN 29305) elements, so
// the reply direction would lose its bytes there; two one-way records keep
// every count visible everywhere. Both carry the conntrack id (flowId) and
// biflowDirection (1: the original direction, 2: the reply direction), so a
// collector that wants to can pair them again. See docs/export.md.
#ifndef FLOWTOP_EXPORTERS_IPFIX_ENCODER_H_
#define FLOWTOP_EXPORTERS_IPFIX_ENCODER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace flowtop::exporters {

// IANA IPFIX Information Element ids used by flowtop.
namespace ie {
inline constexpr uint16_t kOctetDeltaCount = 1;
inline constexpr uint16_t kPacketDeltaCount = 2;
inline constexpr uint16_t kProtocolIdentifier = 4;
inline constexpr uint16_t kSourceTransportPort = 7;
inline constexpr uint16_t kSourceIPv4Address = 8;
inline constexpr uint16_t kDestinationTransportPort = 11;
inline constexpr uint16_t kDestinationIPv4Address = 12;
inline constexpr uint16_t kSourceIPv6Address = 27;
inline constexpr uint16_t kDestinationIPv6Address = 28;
inline constexpr uint16_t kIcmpTypeCodeIPv4 = 32;
inline constexpr uint16_t kExportedOctetTotalCount = 40;
inline constexpr uint16_t kExportedMessageTotalCount = 41;
inline constexpr uint16_t kExportedFlowRecordTotalCount = 42;
inline constexpr uint16_t kOctetTotalCount = 85;
inline constexpr uint16_t kPacketTotalCount = 86;
inline constexpr uint16_t kFlowEndReason = 136;
inline constexpr uint16_t kIcmpTypeCodeIPv6 = 139;
inline constexpr uint16_t kExportingProcessId = 144;
inline constexpr uint16_t kFlowId = 148;
inline constexpr uint16_t kFlowStartMilliseconds = 152;
inline constexpr uint16_t kFlowEndMilliseconds = 153;
inline constexpr uint16_t kNotSentFlowTotalCount = 166;
inline constexpr uint16_t kNotSentPacketTotalCount = 167;
inline constexpr uint16_t kNotSentOctetTotalCount = 168;
inline constexpr uint16_t kPostNATSourceIPv4Address = 225;
inline constexpr uint16_t kPostNATDestinationIPv4Address = 226;
inline constexpr uint16_t kPostNAPTSourceTransportPort = 227;
inline constexpr uint16_t kPostNAPTDestinationTransportPort = 228;
inline constexpr uint16_t kIngressVRFID = 234;
inline constexpr uint16_t kBiflowDirection = 239;
inline constexpr uint16_t kPostNATSourceIPv6Address = 281;
inline constexpr uint16_t kPostNATDestinationIPv6Address = 282;
inline constexpr uint16_t kObservationTimeMilliseconds = 323;
// flowtop's enterprise-specific elements (under EncoderOptions::pen).
inline constexpr uint16_t kFlowtopProcessId = 1;      // unsigned32
inline constexpr uint16_t kFlowtopProcessName = 2;    // string
inline constexpr uint16_t kFlowtopUserId = 3;         // unsigned32
inline constexpr uint16_t kFlowtopUserName = 4;       // string
inline constexpr uint16_t kFlowtopUnit = 5;           // string
inline constexpr uint16_t kFlowtopContainer = 6;      // string
}  // namespace ie

// flowEndReason values (IANA).
enum class EndReason : uint8_t {
  kIdleTimeout = 1,
  kActiveTimeout = 2,
  kEndOfFlow = 3,
  kForcedEnd = 4,
  kLackOfResources = 5,
};

// biflowDirection values (IANA): which way of the conntrack flow.
inline constexpr uint8_t kInitiator = 1;         // the original direction
inline constexpr uint8_t kReverseInitiator = 2;  // the reply direction

// Template ids: one per family, with or without the NAT fields, and the
// reliability options template.
inline constexpr uint16_t kTemplateIPv4 = 256;
inline constexpr uint16_t kTemplateIPv6 = 257;
inline constexpr uint16_t kTemplateIPv4Nat = 258;
inline constexpr uint16_t kTemplateIPv6Nat = 259;
inline constexpr uint16_t kTemplateReliability = 260;

inline constexpr size_t kHeaderSize = 16;
inline constexpr size_t kSetHeaderSize = 4;
// Strings (enterprise elements) are cut to this many bytes.
inline constexpr size_t kMaxStringBytes = 255;

// One direction of a flow, as an IPFIX data record. Addresses are in
// network byte order; IPv4 uses the first 4 bytes.
struct FlowRecord {
  bool ipv6 = false;
  bool nat = false;  // SNAT or DNAT: the post-NAT fields are filled
  uint64_t flow_id = 0;
  uint8_t src[16] = {}, dst[16] = {};
  uint8_t post_src[16] = {}, post_dst[16] = {};
  uint16_t src_port = 0, dst_port = 0;
  uint16_t post_src_port = 0, post_dst_port = 0;
  uint8_t protocol = 0;
  uint16_t icmp_type_code = 0;  // type * 256 + code
  uint64_t start_ms = 0, end_ms = 0;
  uint64_t octet_delta = 0, packet_delta = 0;
  uint64_t octet_total = 0, packet_total = 0;
  uint32_t vrf = 0;  // the conntrack zone
  EndReason end_reason = EndReason::kActiveTimeout;
  uint8_t direction = kInitiator;
  // Enterprise-specific (only with EncoderOptions::process_fields).
  uint32_t pid = 0, uid = 0;
  std::string process, user, unit, container;

  uint16_t template_id() const {
    return nat ? (ipv6 ? kTemplateIPv6Nat : kTemplateIPv4Nat)
               : (ipv6 ? kTemplateIPv6 : kTemplateIPv4);
  }
};

// The exporting process's reliability statistics (RFC 7011 section 4.3),
// totals since the session started.
struct ReliabilityStats {
  uint32_t exporting_process_id = 0;
  uint64_t messages = 0, records = 0, octets = 0;  // exported
  uint64_t not_sent_flows = 0, not_sent_packets = 0, not_sent_octets = 0;
  uint64_t time_ms = 0;  // when these counts were taken
};

struct EncoderOptions {
  uint32_t observation_domain = 0;
  // Bytes per message at most (UDP: below the path MTU).
  size_t max_message = 1400;
  // Add flowtop's enterprise elements (process, user, unit, container).
  bool process_fields = false;
  // The Private Enterprise Number of those elements. 32473 is RFC 5612's
  // number for documentation; set your organisation's own.
  uint32_t pen = 32473;
};

struct FieldSpec {
  uint16_t id;
  uint16_t length;  // 65535: variable length
  uint32_t pen;     // 0: IANA
};

// Returns the fields of a data template (one of kTemplateIPv4..IPv6Nat).
std::vector<FieldSpec> TemplateFields(uint16_t template_id,
                                      const EncoderOptions& options);

// Builds IPFIX messages one at a time into its own buffer.
class MessageEncoder {
 public:
  explicit MessageEncoder(EncoderOptions options);

  // Starts a new message (drops an unfinished one).
  void Begin();
  // Adds a Template Set with every data template and an Options Template
  // Set with the reliability template. Returns false if they do not fit
  // (only in an almost-full message; call right after Begin).
  bool AddTemplates();
  // Adds one data record. Returns false when it does not fit; then Finish
  // this message and add the record to the next one.
  bool AddRecord(const FlowRecord& record);
  // Adds the reliability statistics as an options data record.
  bool AddReliability(const ReliabilityStats& stats);
  // Closes the open set and writes the header. Returns the message; it
  // stays valid until the next Begin.
  absl::string_view Finish(uint32_t export_time_seconds, uint32_t sequence);

  // Data records (flow and options) added since Begin.
  uint32_t records() const { return records_; }
  bool empty() const { return buf_.size() <= kHeaderSize; }
  const EncoderOptions& options() const { return options_; }

 private:
  bool OpenSet(uint16_t set_id, size_t first_record_size);
  void CloseSet();
  size_t RecordSize(const FlowRecord& record) const;

  const EncoderOptions options_;
  std::vector<FieldSpec> fields_[4];  // by template id - 256
  size_t fixed_size_[4] = {};         // bytes of the fixed-length fields
  std::string buf_;
  size_t set_start_ = 0;  // 0: no set open
  uint16_t set_id_ = 0;
  uint32_t records_ = 0;
};

}  // namespace flowtop::exporters

#endif  // FLOWTOP_EXPORTERS_IPFIX_ENCODER_H_
