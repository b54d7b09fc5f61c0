#include "exporters/ipfix_session.h"

#include <utility>

namespace flowtop::exporters {

IpfixSession::IpfixSession(SessionOptions options,
                           std::unique_ptr<Transport> transport)
    : options_(options),
      transport_(std::move(transport)),
      name_(transport_->name()),
      encoder_(options_.encoder) {
  stats_.collector = name_;
}

void IpfixSession::BeginMessage(absl::Time now) {
  encoder_.Begin();
  open_ = true;
  open_packets_ = open_octets_ = open_flows_ = 0;
  const bool ready = transport_->Ready(now);
  bool due;
  if (transport_->stream()) {
    due = ready && transport_->connection() != templates_connection_;
    if (due) sequence_ = 0;  // a new transport session
  } else {
    due = !templates_sent_ || now - templates_at_ >= options_.template_refresh ||
          messages_since_templates_ >= options_.template_refresh_messages;
  }
  open_has_templates_ = due && encoder_.AddTemplates();
}

void IpfixSession::Add(const FlowRecord& record, absl::Time now) {
  if (!open_) BeginMessage(now);
  if (!encoder_.AddRecord(record)) {
    SendMessage(now);
    BeginMessage(now);
    if (!encoder_.AddRecord(record)) {  // larger than a message: cannot be
      CountNotSent(1, record.packet_delta, record.octet_delta);
      return;
    }
  }
  ++open_flows_;
  open_packets_ += record.packet_delta;
  open_octets_ += record.octet_delta;
}

void IpfixSession::AddReliability(absl::Time now) {
  ReliabilityStats r;
  {
    absl::MutexLock lock(&mu_);
    r.exporting_process_id = options_.encoder.observation_domain;
    r.messages = stats_.messages;
    r.records = stats_.records;
    r.octets = stats_.octets;
    r.not_sent_flows = stats_.not_sent_records;
    r.not_sent_packets = stats_.not_sent_packets;
    r.not_sent_octets = stats_.not_sent_octets;
  }
  r.time_ms = static_cast<uint64_t>(absl::ToUnixMillis(now));
  if (!open_) BeginMessage(now);
  if (!encoder_.AddReliability(r)) {
    SendMessage(now);
    BeginMessage(now);
    encoder_.AddReliability(r);
  }
}

void IpfixSession::Flush(absl::Time now) {
  if (open_ && encoder_.records() > 0) SendMessage(now);
}

void IpfixSession::SendMessage(absl::Time now) {
  open_ = false;
  const uint32_t records = encoder_.records();
  if (records == 0 && !open_has_templates_) return;
  const absl::string_view message = encoder_.Finish(
      static_cast<uint32_t>(absl::ToUnixSeconds(now)), sequence_);
  // The sequence counts records offered to the collector: a message lost
  // on the way leaves a gap it can see.
  sequence_ += records;
  const absl::Status s = transport_->Send(message);
  absl::MutexLock lock(&mu_);
  if (s.ok()) {
    ++stats_.messages;
    stats_.records += open_flows_;
    stats_.octets += message.size();
    if (open_has_templates_) {
      ++stats_.template_messages;
      templates_sent_ = true;
      templates_at_ = now;
      messages_since_templates_ = 0;
      templates_connection_ = transport_->connection();
    } else {
      ++messages_since_templates_;
    }
    return;
  }
  ++stats_.not_sent_messages;
  stats_.not_sent_records += open_flows_;
  stats_.not_sent_packets += open_packets_;
  stats_.not_sent_octets += open_octets_;
  stats_.last_error = std::string(s.message());
}

void IpfixSession::CountNotSent(uint64_t records, uint64_t packets,
                                uint64_t octets) {
  absl::MutexLock lock(&mu_);
  stats_.not_sent_records += records;
  stats_.not_sent_packets += packets;
  stats_.not_sent_octets += octets;
}

SessionStats IpfixSession::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace flowtop::exporters
