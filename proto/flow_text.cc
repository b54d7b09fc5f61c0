#include "proto/flow_text.h"

#include <arpa/inet.h>

#include <cstdint>
#include <cstring>

namespace flowtop {
namespace {

void FillTuple(v1::Tuple* t) {
  if (!t->src_ip().empty()) t->set_src_addr(AddressText(t->src_ip()));
  if (!t->dst_ip().empty()) t->set_dst_addr(AddressText(t->dst_ip()));
}

void ReadableTuple(v1::Tuple* t) {
  FillTuple(t);
  t->clear_src_ip();
  t->clear_dst_ip();
}

// Clears `end`'s sub-objects that hold nothing; returns whether `end` is
// empty afterwards.
bool PruneEndpoint(v1::Endpoint* end) {
  if (end->has_process() && end->process().ByteSizeLong() == 0) end->clear_process();
  if (end->has_geo() && end->geo().ByteSizeLong() == 0) end->clear_geo();
  return end->ByteSizeLong() == 0;
}

// Writes a.b.c.d for 4 bytes at `out` (room for 15); returns its length.
size_t FormatIpv4(const unsigned char* b, char* out) {
  char* p = out;
  for (int i = 0; i < 4; ++i) {
    unsigned v = b[i];
    if (v >= 100) {
      *p++ = static_cast<char>('0' + v / 100);
      v %= 100;
      *p++ = static_cast<char>('0' + v / 10);
    } else if (v >= 10) {
      *p++ = static_cast<char>('0' + v / 10);
    }
    *p++ = static_cast<char>('0' + v % 10);
    if (i < 3) *p++ = '.';
  }
  return static_cast<size_t>(p - out);
}

// Writes an IPv6 address as inet_ntop does (RFC 5952: lower-case hex, the
// first longest run of two or more zero groups as "::", ::a.b.c.d and
// ::ffff:a.b.c.d for v4-compatible and v4-mapped addresses) at `out` (room
// for INET6_ADDRSTRLEN); returns its length. glibc's inet_ntop formats
// each group with sprintf; this runs for every address of every text
// stream. flow_text_test compares it with inet_ntop.
size_t FormatIpv6(const unsigned char* b, char* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint16_t words[8];
  for (int i = 0; i < 8; ++i) words[i] = static_cast<uint16_t>(b[2 * i] << 8 | b[2 * i + 1]);
  int best_base = -1, best_len = 0;
  for (int i = 0; i < 8;) {
    if (words[i] != 0) {
      ++i;
      continue;
    }
    int j = i;
    while (j < 8 && words[j] == 0) ++j;
    if (j - i > best_len) {
      best_base = i;
      best_len = j - i;
    }
    i = j;
  }
  if (best_len < 2) best_base = -1;
  char* p = out;
  for (int i = 0; i < 8; ++i) {
    if (best_base != -1 && i >= best_base && i < best_base + best_len) {
      if (i == best_base) *p++ = ':';
      continue;
    }
    if (i != 0) *p++ = ':';
    if (i == 6 && best_base == 0 && (best_len == 6 || (best_len == 5 && words[5] == 0xffff))) {
      p += FormatIpv4(b + 12, p);
      return static_cast<size_t>(p - out);
    }
    const uint16_t w = words[i];
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const int nibble = (w >> shift) & 0xf;
      if (nibble != 0 || started || shift == 0) {
        *p++ = kHex[nibble];
        started = true;
      }
    }
  }
  if (best_base != -1 && best_base + best_len == 8) *p++ = ':';
  return static_cast<size_t>(p - out);
}

// Writes the text of 4 or 16 address bytes at `out` (room for
// INET6_ADDRSTRLEN); returns its length, 0 for any other size.
size_t FormatAddress(absl::string_view bytes, char* out) {
  const auto* b = reinterpret_cast<const unsigned char*>(bytes.data());
  if (bytes.size() == 4) return FormatIpv4(b, out);
  if (bytes.size() == 16) return FormatIpv6(b, out);
  return 0;
}

// Tuple.src_addr (160) and dst_addr (161), length-delimited: the tags'
// varints.
constexpr char kSrcAddrTag[] = {'\x82', '\x0a'};
constexpr char kDstAddrTag[] = {'\x8a', '\x0a'};
constexpr char kFlowTag = 0x2a;      // FlowEvent.flow = 5
constexpr char kOriginalTag = 0x3a;  // Flow.original = 7
constexpr char kReplyTag = 0x42;     // Flow.reply = 8

// Appends one text address field unless its text is empty (proto3 does not
// serialise an empty string).
void AppendAddressField(const char (&tag)[2], absl::string_view ip, std::string* out) {
  if (ip.empty()) return;
  char text[INET6_ADDRSTRLEN];
  const size_t n = FormatAddress(ip, text);
  if (n == 0) return;
  out->append(tag, 2);
  out->push_back(static_cast<char>(n));  // < 128
  out->append(text, n);
}

// Appends `tag`, the length and a Tuple holding only the text addresses of
// `tuple`.
void AppendTextTuple(char tag, const v1::Tuple& tuple, std::string* out) {
  out->push_back(tag);
  const size_t length_at = out->size();
  out->push_back('\0');  // at most 2 x (3 + 45) < 128 bytes follow
  AppendAddressField(kSrcAddrTag, tuple.src_ip(), out);
  AppendAddressField(kDstAddrTag, tuple.dst_ip(), out);
  (*out)[length_at] = static_cast<char>(out->size() - length_at - 1);
}

}  // namespace

size_t FormatAddressText(absl::string_view bytes, char* out) {
  return FormatAddress(bytes, out);
}

std::string AddressText(absl::string_view bytes) {
  char buf[INET6_ADDRSTRLEN];
  return std::string(buf, FormatAddress(bytes, buf));
}

void FillAddressText(v1::Flow* flow) {
  if (flow->has_original()) FillTuple(flow->mutable_original());
  if (flow->has_reply()) FillTuple(flow->mutable_reply());
}

std::string AddressTextSuffix(const v1::FlowEvent& event) {
  std::string text;
  AppendAddressTextSuffix(event, &text);
  return text;
}

// Written straight into `out`, without building a message: this runs for
// every event of every text stream. flow_text_test proves the bytes equal to
// protobuf's own serialisation of the same message over random flows.
size_t AppendAddressTextSuffix(const v1::FlowEvent& event, std::string* out) {
  if (!event.has_flow()) return 0;
  const v1::Flow& f = event.flow();
  if (!f.has_original() && !f.has_reply()) return 0;
  const size_t start = out->size();
  // Two tuples of at most 2 + 1 + 96 bytes: at most 198 bytes of flow, whose
  // length takes one or two varint bytes. The flow is written after a
  // two-byte gap, which is closed up when its length takes one.
  out->push_back(kFlowTag);
  const size_t length_at = out->size();
  out->append(2, '\0');
  if (f.has_original()) AppendTextTuple(kOriginalTag, f.original(), out);
  if (f.has_reply()) AppendTextTuple(kReplyTag, f.reply(), out);
  const size_t length = out->size() - length_at - 2;
  if (length < 0x80) {
    (*out)[length_at] = static_cast<char>(length);
    out->erase(length_at + 1, 1);
  } else {
    (*out)[length_at] = static_cast<char>(length | 0x80);
    (*out)[length_at + 1] = static_cast<char>(length >> 7);
  }
  return out->size() - start;
}

void MakeReadable(v1::Flow* flow) {
  if (flow->has_original()) ReadableTuple(flow->mutable_original());
  if (flow->has_reply()) ReadableTuple(flow->mutable_reply());
  if (!flow->has_enrichment()) return;
  v1::Enrichment* e = flow->mutable_enrichment();
  if (e->has_src() && PruneEndpoint(e->mutable_src())) e->clear_src();
  if (e->has_dst() && PruneEndpoint(e->mutable_dst())) e->clear_dst();
  if (e->ByteSizeLong() == 0) flow->clear_enrichment();
}

void MakeReadable(v1::FlowEvent* event) {
  if (event->has_flow()) MakeReadable(event->mutable_flow());
}

}  // namespace flowtop
