// FakeEventSource: a deterministic stand-in for the kernel source, for tests
// of the daemon around it (flags, TLS, tokens, signals, third-party
// clients). It publishes three flows at start:
//   id 1: TCP 10.0.0.1:40001 -> 192.0.2.1:443 ESTABLISHED
//   id 2: UDP 10.0.0.2:40002 -> 192.0.2.53:53
//   id 3: TCP 10.0.0.3:40003 -> 192.0.2.22:22 TIME_WAIT
// then, every `period`, a short flow (NEW, UPDATE, DESTROY) with the next
// id, until Stop().
#ifndef FLOWTOP_TESTS_SERVICE_FAKE_EVENT_SOURCE_H_
#define FLOWTOP_TESTS_SERVICE_FAKE_EVENT_SOURCE_H_

#include <arpa/inet.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/event_source.h"
#include "service/source_status.h"

namespace flowtop::testing {

class FakeEventSource final : public core::EventSource,
                              public service::SourceStatus {
 public:
  explicit FakeEventSource(absl::Duration period = absl::Milliseconds(100))
      : period_(period) {}

  absl::Status Run(core::EventSink& sink) override {
    std::vector<v1::FlowEvent> start = {
        Flow(v1::NEW, 1, v1::TCP, "10.0.0.1", "192.0.2.1", 443,
             v1::TCP_ESTABLISHED),
        Flow(v1::NEW, 2, v1::UDP, "10.0.0.2", "192.0.2.53", 53),
        Flow(v1::NEW, 3, v1::TCP, "10.0.0.3", "192.0.2.22", 22,
             v1::TCP_TIME_WAIT)};
    sink.Publish(absl::MakeSpan(start));
    for (uint32_t id = 4;; ++id) {
      {
        absl::MutexLock lock(&mu_);
        if (mu_.AwaitWithTimeout(absl::Condition(&stopped_), period_)) {
          return absl::OkStatus();
        }
      }
      std::vector<v1::FlowEvent> batch = {
          Flow(v1::NEW, id, v1::TCP, "10.0.0.9", "192.0.2.80", 80,
               v1::TCP_SYN_SENT),
          Flow(v1::UPDATE, id, v1::TCP, "10.0.0.9", "192.0.2.80", 80,
               v1::TCP_ESTABLISHED),
          Flow(v1::DESTROY, id, v1::TCP, "10.0.0.9", "192.0.2.80", 80,
               v1::TCP_CLOSE)};
      sink.Publish(absl::MakeSpan(batch));
    }
  }

  void Stop() override {
    absl::MutexLock lock(&mu_);
    stopped_ = true;
  }

  void FillStatus(v1::NodeStatus* status) const override {
    status->set_conntrack_count(3);
    status->set_conntrack_max(65536);
    status->mutable_sysctl()->set_acct(true);
    status->mutable_sysctl()->set_timestamp(true);
    status->mutable_sysctl()->set_events(1);
  }

 private:
  static std::string Ip(const char* text) {
    std::string out(4, '\0');
    inet_pton(AF_INET, text, out.data());
    return out;
  }
  static v1::FlowEvent Flow(v1::EventType type, uint32_t id,
                            v1::L4Protocol proto, const char* src,
                            const char* dst, uint32_t dport,
                            v1::TcpState state = v1::TCP_STATE_UNSPECIFIED) {
    v1::FlowEvent e;
    e.set_type(type);
    v1::Flow* f = e.mutable_flow();
    f->set_conntrack_id(id);
    f->set_family(v1::IPV4);
    f->set_protocol(proto);
    f->set_protocol_number(proto);
    f->mutable_original()->set_src_ip(Ip(src));
    f->mutable_original()->set_dst_ip(Ip(dst));
    f->mutable_original()->set_src_port(40000 + id);
    f->mutable_original()->set_dst_port(dport);
    f->mutable_reply()->set_src_ip(Ip(dst));
    f->mutable_reply()->set_dst_ip(Ip(src));
    f->mutable_reply()->set_src_port(dport);
    f->mutable_reply()->set_dst_port(40000 + id);
    if (state != v1::TCP_STATE_UNSPECIFIED) f->set_tcp_state(state);
    f->set_first_seen_unix_nanos(absl::ToUnixNanos(absl::Now()));
    return e;
  }

  const absl::Duration period_;
  absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace flowtop::testing

#endif  // FLOWTOP_TESTS_SERVICE_FAKE_EVENT_SOURCE_H_
