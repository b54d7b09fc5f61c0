#include "exporters/ipfix_encoder.h"

#include <algorithm>
#include <utility>

namespace flowtop::exporters {
namespace {

constexpr uint16_t kVersion = 10;
constexpr uint16_t kTemplateSetId = 2;
constexpr uint16_t kOptionsTemplateSetId = 3;
constexpr uint16_t kVariable = 65535;
constexpr uint16_t kEnterpriseBit = 0x8000;

void Put8(std::string& b, uint8_t v) { b.push_back(static_cast<char>(v)); }
void Put16(std::string& b, uint16_t v) {
  const char c[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
  b.append(c, 2);
}
void Put32(std::string& b, uint32_t v) {
  const char c[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
  b.append(c, 4);
}
void Put64(std::string& b, uint64_t v) {
  Put32(b, static_cast<uint32_t>(v >> 32));
  Put32(b, static_cast<uint32_t>(v));
}
void Set16(std::string& b, size_t at, uint16_t v) {
  b[at] = static_cast<char>(v >> 8);
  b[at + 1] = static_cast<char>(v);
}
void Set32(std::string& b, size_t at, uint32_t v) {
  Set16(b, at, static_cast<uint16_t>(v >> 16));
  Set16(b, at + 2, static_cast<uint16_t>(v));
}
void PutBytes(std::string& b, const uint8_t* p, size_t n) {
  b.append(reinterpret_cast<const char*>(p), n);
}
// Variable-length encoding (RFC 7011 section 7): one length byte below 255.
void PutString(std::string& b, const std::string& s) {
  const size_t n = std::min(s.size(), kMaxStringBytes - 1);
  Put8(b, static_cast<uint8_t>(n));
  b.append(s.data(), n);
}
size_t StringSize(const std::string& s) {
  return 1 + std::min(s.size(), kMaxStringBytes - 1);
}

// The reliability options template: scope exportingProcessId, then counts.
const FieldSpec kReliabilityFields[] = {
    {ie::kExportingProcessId, 4, 0},
    {ie::kExportedMessageTotalCount, 8, 0},
    {ie::kExportedFlowRecordTotalCount, 8, 0},
    {ie::kExportedOctetTotalCount, 8, 0},
    {ie::kNotSentFlowTotalCount, 8, 0},
    {ie::kNotSentPacketTotalCount, 8, 0},
    {ie::kNotSentOctetTotalCount, 8, 0},
    {ie::kObservationTimeMilliseconds, 8, 0},
};
constexpr size_t kReliabilityRecordSize = 4 + 7 * 8;

void PutFieldSpecs(std::string& b, const std::vector<FieldSpec>& fields) {
  for (const FieldSpec& f : fields) {
    Put16(b, f.pen != 0 ? (f.id | kEnterpriseBit) : f.id);
    Put16(b, f.length);
    if (f.pen != 0) Put32(b, f.pen);
  }
}

size_t SpecSize(const std::vector<FieldSpec>& fields) {
  size_t n = 0;
  for (const FieldSpec& f : fields) n += f.pen != 0 ? 8 : 4;
  return n;
}

}  // namespace

std::vector<FieldSpec> TemplateFields(uint16_t template_id,
                                      const EncoderOptions& options) {
  const bool v6 = template_id == kTemplateIPv6 || template_id == kTemplateIPv6Nat;
  const bool nat = template_id == kTemplateIPv4Nat || template_id == kTemplateIPv6Nat;
  const uint16_t a = v6 ? 16 : 4;
  std::vector<FieldSpec> f = {
      {ie::kFlowId, 8, 0},
      {v6 ? ie::kSourceIPv6Address : ie::kSourceIPv4Address, a, 0},
      {v6 ? ie::kDestinationIPv6Address : ie::kDestinationIPv4Address, a, 0},
      {ie::kSourceTransportPort, 2, 0},
      {ie::kDestinationTransportPort, 2, 0},
      {ie::kProtocolIdentifier, 1, 0},
      {v6 ? ie::kIcmpTypeCodeIPv6 : ie::kIcmpTypeCodeIPv4, 2, 0},
      {ie::kFlowStartMilliseconds, 8, 0},
      {ie::kFlowEndMilliseconds, 8, 0},
      {ie::kOctetDeltaCount, 8, 0},
      {ie::kPacketDeltaCount, 8, 0},
      {ie::kOctetTotalCount, 8, 0},
      {ie::kPacketTotalCount, 8, 0},
      {ie::kIngressVRFID, 4, 0},
      {ie::kFlowEndReason, 1, 0},
      {ie::kBiflowDirection, 1, 0},
  };
  if (nat) {
    f.push_back({v6 ? ie::kPostNATSourceIPv6Address : ie::kPostNATSourceIPv4Address, a, 0});
    f.push_back({v6 ? ie::kPostNATDestinationIPv6Address
                    : ie::kPostNATDestinationIPv4Address,
                 a, 0});
    f.push_back({ie::kPostNAPTSourceTransportPort, 2, 0});
    f.push_back({ie::kPostNAPTDestinationTransportPort, 2, 0});
  }
  if (options.process_fields) {
    const uint32_t pen = options.pen;
    f.push_back({ie::kFlowtopProcessId, 4, pen});
    f.push_back({ie::kFlowtopProcessName, kVariable, pen});
    f.push_back({ie::kFlowtopUserId, 4, pen});
    f.push_back({ie::kFlowtopUserName, kVariable, pen});
    f.push_back({ie::kFlowtopUnit, kVariable, pen});
    f.push_back({ie::kFlowtopContainer, kVariable, pen});
  }
  return f;
}

MessageEncoder::MessageEncoder(EncoderOptions options) : options_(options) {
  for (uint16_t t = kTemplateIPv4; t <= kTemplateIPv6Nat; ++t) {
    fields_[t - kTemplateIPv4] = TemplateFields(t, options_);
    size_t fixed = 0;
    for (const FieldSpec& f : fields_[t - kTemplateIPv4]) {
      if (f.length != kVariable) fixed += f.length;
    }
    fixed_size_[t - kTemplateIPv4] = fixed;
  }
  buf_.reserve(options_.max_message + 64);
  Begin();
}

void MessageEncoder::Begin() {
  buf_.assign(kHeaderSize, '\0');
  set_start_ = 0;
  set_id_ = 0;
  records_ = 0;
}

void MessageEncoder::CloseSet() {
  if (set_start_ == 0) return;
  // Pad to 4 bytes: shorter than any record, as RFC 7011 3.3.1 requires.
  while ((buf_.size() - set_start_) % 4 != 0) buf_.push_back('\0');
  Set16(buf_, set_start_ + 2, static_cast<uint16_t>(buf_.size() - set_start_));
  set_start_ = 0;
  set_id_ = 0;
}

bool MessageEncoder::OpenSet(uint16_t set_id, size_t first_record_size) {
  if (set_id_ == set_id) {
    return buf_.size() + first_record_size + 3 <= options_.max_message;
  }
  // The set header, the record and up to 3 bytes of padding must fit.
  const size_t need = kSetHeaderSize + first_record_size + 3;
  size_t closed = buf_.size();
  if (set_start_ != 0) closed += (4 - (buf_.size() - set_start_) % 4) % 4;
  if (closed + need > options_.max_message) return false;
  CloseSet();
  set_start_ = buf_.size();
  set_id_ = set_id;
  Put16(buf_, set_id);
  Put16(buf_, 0);  // length, set by CloseSet
  return true;
}

bool MessageEncoder::AddTemplates() {
  size_t data_specs = 0;
  for (const auto& f : fields_) data_specs += 4 + SpecSize(f);
  const size_t options_spec = 6 + 4 * std::size(kReliabilityFields);
  const size_t need = 2 * kSetHeaderSize + data_specs + options_spec + 6;
  CloseSet();
  if (buf_.size() + need > options_.max_message) return false;
  OpenSet(kTemplateSetId, data_specs);
  for (uint16_t t = kTemplateIPv4; t <= kTemplateIPv6Nat; ++t) {
    const std::vector<FieldSpec>& f = fields_[t - kTemplateIPv4];
    Put16(buf_, t);
    Put16(buf_, static_cast<uint16_t>(f.size()));
    PutFieldSpecs(buf_, f);
  }
  OpenSet(kOptionsTemplateSetId, options_spec);
  Put16(buf_, kTemplateReliability);
  Put16(buf_, static_cast<uint16_t>(std::size(kReliabilityFields)));
  Put16(buf_, 1);  // scope field count: exportingProcessId
  PutFieldSpecs(buf_, std::vector<FieldSpec>(std::begin(kReliabilityFields),
                                              std::end(kReliabilityFields)));
  CloseSet();
  return true;
}

size_t MessageEncoder::RecordSize(const FlowRecord& r) const {
  size_t n = fixed_size_[r.template_id() - kTemplateIPv4];
  if (options_.process_fields) {
    n += StringSize(r.process) + StringSize(r.user) + StringSize(r.unit) +
         StringSize(r.container);
  }
  return n;
}

bool MessageEncoder::AddRecord(const FlowRecord& r) {
  const uint16_t t = r.template_id();
  if (!OpenSet(t, RecordSize(r))) return false;
  const size_t a = r.ipv6 ? 16 : 4;
  for (const FieldSpec& f : fields_[t - kTemplateIPv4]) {
    if (f.pen != 0) {
      switch (f.id) {
        case ie::kFlowtopProcessId: Put32(buf_, r.pid); break;
        case ie::kFlowtopProcessName: PutString(buf_, r.process); break;
        case ie::kFlowtopUserId: Put32(buf_, r.uid); break;
        case ie::kFlowtopUserName: PutString(buf_, r.user); break;
        case ie::kFlowtopUnit: PutString(buf_, r.unit); break;
        case ie::kFlowtopContainer: PutString(buf_, r.container); break;
      }
      continue;
    }
    switch (f.id) {
      case ie::kFlowId: Put64(buf_, r.flow_id); break;
      case ie::kSourceIPv4Address:
      case ie::kSourceIPv6Address: PutBytes(buf_, r.src, a); break;
      case ie::kDestinationIPv4Address:
      case ie::kDestinationIPv6Address: PutBytes(buf_, r.dst, a); break;
      case ie::kSourceTransportPort: Put16(buf_, r.src_port); break;
      case ie::kDestinationTransportPort: Put16(buf_, r.dst_port); break;
      case ie::kProtocolIdentifier: Put8(buf_, r.protocol); break;
      case ie::kIcmpTypeCodeIPv4:
      case ie::kIcmpTypeCodeIPv6: Put16(buf_, r.icmp_type_code); break;
      case ie::kFlowStartMilliseconds: Put64(buf_, r.start_ms); break;
      case ie::kFlowEndMilliseconds: Put64(buf_, r.end_ms); break;
      case ie::kOctetDeltaCount: Put64(buf_, r.octet_delta); break;
      case ie::kPacketDeltaCount: Put64(buf_, r.packet_delta); break;
      case ie::kOctetTotalCount: Put64(buf_, r.octet_total); break;
      case ie::kPacketTotalCount: Put64(buf_, r.packet_total); break;
      case ie::kIngressVRFID: Put32(buf_, r.vrf); break;
      case ie::kFlowEndReason: Put8(buf_, static_cast<uint8_t>(r.end_reason)); break;
      case ie::kBiflowDirection: Put8(buf_, r.direction); break;
      case ie::kPostNATSourceIPv4Address:
      case ie::kPostNATSourceIPv6Address: PutBytes(buf_, r.post_src, a); break;
      case ie::kPostNATDestinationIPv4Address:
      case ie::kPostNATDestinationIPv6Address: PutBytes(buf_, r.post_dst, a); break;
      case ie::kPostNAPTSourceTransportPort: Put16(buf_, r.post_src_port); break;
      case ie::kPostNAPTDestinationTransportPort: Put16(buf_, r.post_dst_port); break;
    }
  }
  ++records_;
  return true;
}

bool MessageEncoder::AddReliability(const ReliabilityStats& s) {
  if (!OpenSet(kTemplateReliability, kReliabilityRecordSize)) return false;
  Put32(buf_, s.exporting_process_id);
  Put64(buf_, s.messages);
  Put64(buf_, s.records);
  Put64(buf_, s.octets);
  Put64(buf_, s.not_sent_flows);
  Put64(buf_, s.not_sent_packets);
  Put64(buf_, s.not_sent_octets);
  Put64(buf_, s.time_ms);
  ++records_;
  return true;
}

absl::string_view MessageEncoder::Finish(uint32_t export_time_seconds,
                                         uint32_t sequence) {
  CloseSet();
  Set16(buf_, 0, kVersion);
  Set16(buf_, 2, static_cast<uint16_t>(buf_.size()));
  Set32(buf_, 4, export_time_seconds);
  Set32(buf_, 8, sequence);
  Set32(buf_, 12, options_.observation_domain);
  return buf_;
}

}  // namespace flowtop::exporters
