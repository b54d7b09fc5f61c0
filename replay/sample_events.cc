#include "replay/sample_events.h"

#include <functional>
#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/message.h"

namespace flowtop::replay {
namespace {

std::string Ipv4(uint32_t v) {
  std::string out(4, '\0');
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>(v >> (24 - 8 * i));
  return out;
}

std::string Ipv6(uint32_t v) {
  std::string out("\x20\x01\x0d\xb8", 4);
  out.append(8, '\0');
  out += Ipv4(v);
  return out;
}

// A small deterministic generator (SplitMix64).
uint64_t NextRandom(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace

v1::Flow SampleFlow(uint32_t id, bool ipv6) {
  v1::Flow flow;
  flow.set_node("r1");
  flow.set_id(absl::StrCat("r1/", id));
  flow.set_conntrack_id(id);
  flow.set_family(ipv6 ? v1::IPV6 : v1::IPV4);
  const bool udp = id % 3 == 0;
  flow.set_protocol(udp ? v1::UDP : v1::TCP);
  flow.set_protocol_number(udp ? 17 : 6);
  const uint32_t src = 0x0A000000u | (id & 0xFFFF);
  const uint32_t dst = 0xC6336400u | (id % 200);
  v1::Tuple* orig = flow.mutable_original();
  orig->set_src_ip(ipv6 ? Ipv6(src) : Ipv4(src));
  orig->set_dst_ip(ipv6 ? Ipv6(dst) : Ipv4(dst));
  orig->set_src_port(30000 + id % 30000);
  orig->set_dst_port(udp ? 53 : 443);
  v1::Tuple* reply = flow.mutable_reply();
  reply->set_src_ip(orig->dst_ip());
  reply->set_dst_ip(orig->src_ip());
  reply->set_src_port(orig->dst_port());
  reply->set_dst_port(orig->src_port());
  if (!udp) flow.set_tcp_state(v1::TCP_SYN_SENT);
  flow.mutable_status()->set_confirmed(true);
  flow.mutable_status()->set_raw(0x8);
  flow.set_timeout_seconds(120);
  flow.mutable_original_counters()->set_packets(1);
  flow.mutable_original_counters()->set_bytes(60);
  flow.mutable_reply_counters()->set_packets(0);
  flow.mutable_reply_counters()->set_bytes(0);
  flow.set_start_unix_nanos(1'700'000'000'000'000'000 + id);
  flow.set_first_seen_unix_nanos(1'700'000'000'000'000'000 + id);
  return flow;
}

// Long on purpose: test data, one event of every kind written out in the
// order a recording holds them, so a reader sees the whole sample at once;
// split up, it would only be scattered.
std::vector<v1::FlowEvent> EveryKindOfEvent(uint64_t first_seq) {
  std::vector<v1::FlowEvent> events;
  int64_t time = 1'700'000'000'000'000'000;
  auto add = [&](v1::EventType type) -> v1::FlowEvent& {
    v1::FlowEvent& e = events.emplace_back();
    e.set_seq(first_seq + events.size() - 1);
    e.set_time_unix_nanos(time += 1'000'000);
    e.set_type(type);
    e.set_node("r1");
    return e;
  };
  *add(v1::SNAPSHOT).mutable_flow() = SampleFlow(7, /*ipv6=*/true);
  add(v1::SNAPSHOT_END);
  *add(v1::NEW).mutable_flow() = SampleFlow(100);
  {
    v1::Flow flow = SampleFlow(100);
    flow.set_tcp_state(v1::TCP_ESTABLISHED);
    flow.mutable_status()->set_assured(true);
    flow.mutable_status()->set_seen_reply(true);
    flow.set_mark(3);
    flow.set_zone(1);
    flow.set_labels(std::string("\x01\x00\x80", 3));
    flow.set_secctx("system_u:object_r:unlabeled_t:s0");
    *add(v1::UPDATE).mutable_flow() = flow;
  }
  {
    v1::Flow& flow = *add(v1::ENRICH).mutable_flow();
    flow.set_conntrack_id(100);
    v1::Enrichment* e = flow.mutable_enrichment();
    e->set_service("https");
    e->mutable_src()->set_hostname("laptop.lan");
    v1::Process* p = e->mutable_src()->mutable_process();
    p->set_pid(4242);
    p->set_name("curl");
    p->set_exe("/usr/bin/curl");
    p->set_uid(1000);
    p->set_user("alice");
    e->mutable_dst()->set_hostname("example.net");
    v1::Geo* g = e->mutable_dst()->mutable_geo();
    g->set_country_code("DE");
    g->set_country("Germany");
    g->set_city("Berlin");
    g->set_region("Berlin");
    g->set_as_number(64500);
    g->set_as_organization("Example AS");
    g->set_latitude(52.52);
    g->set_longitude(13.405);
  }
  {
    v1::Flow& flow = *add(v1::COUNTERS).mutable_flow();
    flow.set_conntrack_id(100);
    flow.mutable_original_counters()->set_packets(12);
    flow.mutable_original_counters()->set_bytes(4096);
    flow.mutable_reply_counters()->set_packets(10);
    flow.mutable_reply_counters()->set_bytes(150000);
    flow.mutable_original_rate()->set_packets_per_second(2.5);
    flow.mutable_original_rate()->set_bytes_per_second(819.2);
    flow.mutable_reply_rate()->set_packets_per_second(2.0);
    flow.mutable_reply_rate()->set_bytes_per_second(30000.0);
  }
  {
    v1::FlowEvent& e = add(v1::LOST);
    e.mutable_lost()->set_source(v1::KERNEL);
    e.mutable_lost()->set_count(17);
    e.mutable_lost()->set_detail("netlink ENOBUFS");
  }
  add(v1::RESYNC_BEGIN);
  add(v1::RESYNC_END);
  {
    v1::NodeStatus* s = add(v1::STATUS).mutable_status();
    s->set_node("r1");
    s->set_version("0.1.0");
    s->set_source("kernel");
    s->set_events_seen(1234);
    s->mutable_lost()->set_kernel(17);
    s->mutable_sysctl()->set_acct(true);
    s->mutable_sysctl()->set_timestamp(true);
    s->mutable_sysctl()->set_events(2);
    s->set_flows(2);
  }
  {
    v1::Flow flow = SampleFlow(100);
    flow.set_tcp_state(v1::TCP_TIME_WAIT);
    flow.set_stop_unix_nanos(time + 1'000'000);
    *add(v1::DESTROY).mutable_flow() = flow;
  }
  return events;
}

std::vector<v1::FlowEvent> SyntheticStream(size_t count, uint64_t seed,
                                           int64_t start_unix_nanos) {
  std::vector<v1::FlowEvent> events;
  events.reserve(count);
  uint64_t rng = seed;
  std::vector<uint32_t> live;
  uint32_t next_id = 1000;
  for (size_t i = 0; i < count; ++i) {
    v1::FlowEvent& e = events.emplace_back();
    e.set_seq(i + 1);
    e.set_time_unix_nanos(start_unix_nanos + static_cast<int64_t>(i) * 1'000'000);
    e.set_node("r1");
    const uint64_t r = NextRandom(rng) % 100;
    if (live.size() < 5 || (r < 20 && live.size() < 40)) {
      e.set_type(v1::NEW);
      *e.mutable_flow() = SampleFlow(next_id, next_id % 5 == 0);
      live.push_back(next_id++);
      continue;
    }
    const size_t pick = NextRandom(rng) % live.size();
    const uint32_t id = live[pick];
    if (r < 40) {
      e.set_type(v1::DESTROY);
      v1::Flow flow = SampleFlow(id, id % 5 == 0);
      flow.set_stop_unix_nanos(e.time_unix_nanos());
      *e.mutable_flow() = flow;
      live[pick] = live.back();
      live.pop_back();
    } else if (r < 50) {
      e.set_type(v1::UPDATE);
      v1::Flow flow = SampleFlow(id, id % 5 == 0);
      if (flow.protocol() == v1::TCP) flow.set_tcp_state(v1::TCP_ESTABLISHED);
      flow.mutable_status()->set_assured(true);
      *e.mutable_flow() = flow;
    } else if (r < 55) {
      e.set_type(v1::ENRICH);
      v1::Flow& flow = *e.mutable_flow();
      flow.set_conntrack_id(id);
      flow.mutable_enrichment()->set_service(id % 3 == 0 ? "domain" : "https");
      v1::Endpoint* dst = flow.mutable_enrichment()->mutable_dst();
      dst->set_hostname(absl::StrCat("host", id % 200, ".example.net"));
      dst->mutable_geo()->set_country_code(id % 2 ? "DE" : "US");
      v1::Process* p = flow.mutable_enrichment()->mutable_src()->mutable_process();
      p->set_pid(1000 + id % 7);
      p->set_name(id % 7 == 0 ? "firefox" : "curl");
    } else {
      e.set_type(v1::COUNTERS);
      v1::Flow& flow = *e.mutable_flow();
      flow.set_conntrack_id(id);
      const uint64_t step = i;
      flow.mutable_original_counters()->set_packets(step);
      flow.mutable_original_counters()->set_bytes(step * 80);
      flow.mutable_reply_counters()->set_packets(step * 2);
      flow.mutable_reply_counters()->set_bytes(step * 1400);
      flow.mutable_original_rate()->set_packets_per_second(1.0 + id % 10);
      flow.mutable_original_rate()->set_bytes_per_second(80.0 * (1 + id % 10));
      flow.mutable_reply_rate()->set_packets_per_second(2.0 + id % 10);
      flow.mutable_reply_rate()->set_bytes_per_second(1400.0 * (2 + id % 10));
    }
  }
  return events;
}

namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

bool IsNodeStatus(const FieldDescriptor* f) {
  return f->message_type() != nullptr && f->message_type()->name() == "NodeStatus";
}

// Sets a non-default value in scalar, string or enum field `f` of `m`.
void SetValue(Message* m, const FieldDescriptor* f) {
  const google::protobuf::Reflection* r = m->GetReflection();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32: r->SetInt32(m, f, -7); break;
    case FieldDescriptor::CPPTYPE_INT64: r->SetInt64(m, f, -5'000'000'000); break;
    case FieldDescriptor::CPPTYPE_UINT32: r->SetUInt32(m, f, 300'000); break;
    case FieldDescriptor::CPPTYPE_UINT64: r->SetUInt64(m, f, uint64_t{1} << 40); break;
    case FieldDescriptor::CPPTYPE_DOUBLE: r->SetDouble(m, f, -12.25); break;
    case FieldDescriptor::CPPTYPE_FLOAT: r->SetFloat(m, f, 2.5f); break;
    case FieldDescriptor::CPPTYPE_BOOL: r->SetBool(m, f, true); break;
    case FieldDescriptor::CPPTYPE_ENUM: r->SetEnumValue(m, f, 5); break;
    case FieldDescriptor::CPPTYPE_STRING:
      r->SetString(m, f, f->type() == FieldDescriptor::TYPE_BYTES
                             ? std::string("\xff\x00\x80\x01", 4)
                             : std::string("Z\xc3\xbcrich \xe2\x82\xac \xf0\x9f\x8c\x8d"));
      break;
    case FieldDescriptor::CPPTYPE_MESSAGE: break;
  }
}

void FillAll(Message* m) {
  const google::protobuf::Descriptor* d = m->GetDescriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (!IsNodeStatus(f)) FillAll(m->GetReflection()->MutableMessage(m, f));
    } else {
      SetValue(m, f);
    }
  }
}

}  // namespace

std::vector<std::pair<std::string, v1::FlowEvent>> EventsWithEachField() {
  std::vector<std::pair<std::string, v1::FlowEvent>> out;
  using Path = std::function<Message*(v1::FlowEvent&)>;
  std::function<void(const google::protobuf::Descriptor*, const Path&, const std::string&)> walk =
      [&](const google::protobuf::Descriptor* d, const Path& path, const std::string& name) {
        for (int i = 0; i < d->field_count(); ++i) {
          const FieldDescriptor* f = d->field(i);
          if (IsNodeStatus(f)) continue;
          const std::string field_name = name + "." + f->name();
          if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
            Path sub_path = [path, f](v1::FlowEvent& e) {
              Message* parent = path(e);
              return parent->GetReflection()->MutableMessage(parent, f);
            };
            v1::FlowEvent e;
            sub_path(e);
            out.emplace_back(field_name + " (empty)", e);
            walk(f->message_type(), sub_path, field_name);
          } else {
            v1::FlowEvent e;
            SetValue(path(e), f);
            out.emplace_back(field_name, e);
          }
        }
      };
  walk(v1::FlowEvent::descriptor(), [](v1::FlowEvent& e) -> Message* { return &e; },
       "FlowEvent");
  return out;
}

v1::FlowEvent EventWithEveryField() {
  v1::FlowEvent e;
  FillAll(&e);
  return e;
}

}  // namespace flowtop::replay
