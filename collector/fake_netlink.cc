#include "collector/fake_netlink.h"

#include <arpa/inet.h>
#include <endian.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace flowtop::collector {
namespace {

// Calls fn(type, payload, payload_len) for each attribute in [p, p + len).
template <typename Fn>
void ForEachAttr(char* p, size_t len, Fn&& fn) {
  while (len >= NLA_HDRLEN) {
    nlattr a;
    std::memcpy(&a, p, sizeof(a));
    if (a.nla_len < NLA_HDRLEN || a.nla_len > len) return;
    fn(a.nla_type & NLA_TYPE_MASK, p + NLA_HDRLEN, a.nla_len - NLA_HDRLEN);
    const size_t step = NLA_ALIGN(a.nla_len);
    if (step >= len) return;
    p += step;
    len -= step;
  }
}

void PutBe16(char* p, size_t len, uint16_t v) {
  if (len < 2) return;
  v = htons(v);
  std::memcpy(p, &v, 2);
}

// Writes the port into a tuple's CTA_TUPLE_PROTO as attribute `port_attr`.
void SetTuplePort(char* tuple, size_t len, int port_attr, uint16_t port) {
  ForEachAttr(tuple, len, [&](int type, char* p, size_t n) {
    if (type != CTA_TUPLE_PROTO) return;
    ForEachAttr(p, n, [&](int t, char* q, size_t m) {
      if (t == port_attr) PutBe16(q, m, port);
    });
  });
}

std::string DoneMessage(uint32_t seq, uint32_t pid) {
  std::string out(NLMSG_LENGTH(sizeof(int)), '\0');
  nlmsghdr h = {};
  h.nlmsg_len = out.size();
  h.nlmsg_type = NLMSG_DONE;
  h.nlmsg_flags = NLM_F_MULTI;
  h.nlmsg_seq = seq;
  h.nlmsg_pid = pid;
  std::memcpy(out.data(), &h, sizeof(h));
  return out;
}

}  // namespace

struct FakeConntrack::State {
  mutable absl::Mutex mu;
  std::string recorded;
  std::map<Id, uint64_t> flows ABSL_GUARDED_BY(mu);
  std::vector<Socket*> event_sockets ABSL_GUARDED_BY(mu);
  std::function<void(int)> hook ABSL_GUARDED_BY(mu);
  size_t per_part ABSL_GUARDED_BY(mu) = 3;
  size_t dumps ABSL_GUARDED_BY(mu) = 0;
  int readers_idle ABSL_GUARDED_BY(mu) = 0;
  uint32_t next_port ABSL_GUARDED_BY(mu) = 1000;
};

class FakeConntrack::Socket final : public NetlinkSocket {
 public:
  Socket(FakeConntrack* owner, bool events)
      : owner_(owner), state_(owner->state_), events_(events) {
    ready_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    absl::MutexLock lock(&state_->mu);
    port_ = state_->next_port++;
    if (events_) state_->event_sockets.push_back(this);
  }
  ~Socket() override {
    {
      absl::MutexLock lock(&state_->mu);
      auto& v = state_->event_sockets;
      v.erase(std::remove(v.begin(), v.end(), this), v.end());
    }
    close(ready_);
  }

  absl::StatusOr<uint32_t> RequestDump(uint8_t, uint8_t) override {
    absl::MutexLock lock(&state_->mu);
    ++state_->dumps;
    dumping_ = true;
    part_ = 0;
    started_ = false;
    return ++seq_;
  }

  absl::StatusOr<size_t> Receive(char* buf, size_t len,
                                 const Waker* waker) override {
    if (!events_) return NextDumpPart(buf, len, waker);
    for (;;) {
      {
        absl::MutexLock lock(&state_->mu);
        absl::StatusOr<size_t> n = PopLocked(buf, len);
        if (!absl::IsUnavailable(n.status())) return n;
        ++state_->readers_idle;
      }
      pollfd fds[2] = {{ready_, POLLIN, 0}, {waker ? waker->fd() : -1, POLLIN, 0}};
      poll(fds, 2, -1);
      {
        absl::MutexLock lock(&state_->mu);
        --state_->readers_idle;
      }
      if (fds[1].revents != 0) {
        return absl::CancelledError("fake netlink: stopped");
      }
    }
  }

  absl::StatusOr<size_t> TryReceive(char* buf, size_t len) override {
    if (!events_) return NextDumpPart(buf, len, nullptr);
    absl::MutexLock lock(&state_->mu);
    return PopLocked(buf, len);
  }

  uint32_t port_id() const override { return port_; }

  // Queues an event datagram (dropped while overflowed).
  void PushLocked(std::string datagram) {
    if (overflowed_) return;
    queue_.push_back(std::move(datagram));
    Signal();
  }
  bool QuietLocked() const { return queue_.empty() && !overflowed_; }
  void OverflowLocked() {
    overflowed_ = true;
    Signal();
  }

 private:
  void Signal() {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(ready_, &one, sizeof(one));
  }
  absl::StatusOr<size_t> PopLocked(char* buf, size_t len) {
    if (overflowed_) {
      overflowed_ = false;
      Drain();
      return absl::ResourceExhaustedError("fake netlink: ENOBUFS");
    }
    if (queue_.empty()) {
      Drain();
      return absl::UnavailableError("fake netlink: nothing queued");
    }
    std::string d = std::move(queue_.front());
    queue_.pop_front();
    if (queue_.empty()) Drain();
    if (d.size() > len) return absl::DataLossError("fake netlink: too big");
    std::memcpy(buf, d.data(), d.size());
    return d.size();
  }
  void Drain() {
    uint64_t v;
    [[maybe_unused]] ssize_t n = read(ready_, &v, sizeof(v));
  }

  absl::StatusOr<size_t> NextDumpPart(char* buf, size_t len,
                                      const Waker* waker) {
    std::function<void(int)> hook;
    int part = -1;
    {
      absl::MutexLock lock(&state_->mu);
      if (dumping_) {
        hook = state_->hook;
        part = part_++;
      }
    }
    if (part < 0) {  // no dump asked for: nothing will come
      if (waker == nullptr) {
        return absl::UnavailableError("fake netlink: nothing queued");
      }
      pollfd fd = {waker->fd(), POLLIN, 0};
      poll(&fd, 1, -1);
      return absl::CancelledError("fake netlink: stopped");
    }
    if (hook) hook(part);
    absl::MutexLock lock(&state_->mu);
    std::string d;
    auto it = started_ ? state_->flows.upper_bound(cursor_)
                       : state_->flows.begin();
    for (size_t i = 0; i < state_->per_part && it != state_->flows.end();
         ++i, ++it) {
      std::string m = owner_->Message(it->first, it->second,
                                      IPCTNL_MSG_CT_NEW, NLM_F_MULTI);
      nlmsghdr h;
      std::memcpy(&h, m.data(), sizeof(h));
      h.nlmsg_seq = seq_;
      h.nlmsg_pid = port_;
      std::memcpy(m.data(), &h, sizeof(h));
      d += m;
      cursor_ = it->first;
      started_ = true;
    }
    if (it == state_->flows.end()) {
      d += DoneMessage(seq_, port_);
      dumping_ = false;
    }
    if (d.size() > len) return absl::DataLossError("fake netlink: too big");
    std::memcpy(buf, d.data(), d.size());
    return d.size();
  }

  FakeConntrack* owner_;
  std::shared_ptr<State> state_;
  const bool events_;
  int ready_ = -1;
  uint32_t port_ = 0;
  uint32_t seq_ = 0;
  // Event sockets (under state_->mu).
  std::deque<std::string> queue_;
  bool overflowed_ = false;
  // Dump sockets (under state_->mu).
  bool dumping_ = false;
  bool started_ = false;
  int part_ = 0;
  Id cursor_;
};

FakeConntrack::FakeConntrack(std::string recorded)
    : state_(std::make_shared<State>()) {
  // Whole messages, padded to the netlink alignment, concatenate cleanly.
  recorded.resize(NLMSG_ALIGN(recorded.size()), '\0');
  if (recorded.size() >= sizeof(nlmsghdr)) {
    nlmsghdr h;
    std::memcpy(&h, recorded.data(), sizeof(h));
    h.nlmsg_len = recorded.size();
    std::memcpy(recorded.data(), &h, sizeof(h));
  }
  state_->recorded = std::move(recorded);
}

FakeConntrack::~FakeConntrack() = default;

std::string FakeConntrack::Restamp(const std::string& message, uint32_t id,
                                   uint16_t sport, uint64_t bytes) {
  std::string out = message;
  const size_t head = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg));
  if (out.size() < head) return out;
  ForEachAttr(out.data() + head, out.size() - head,
              [&](int type, char* p, size_t n) {
                if (type == CTA_ID && n >= 4) {
                  const uint32_t be = htonl(id);
                  std::memcpy(p, &be, 4);
                } else if (type == CTA_TUPLE_ORIG) {
                  SetTuplePort(p, n, CTA_PROTO_SRC_PORT, sport);
                } else if (type == CTA_TUPLE_REPLY) {
                  SetTuplePort(p, n, CTA_PROTO_DST_PORT, sport);
                } else if (type == CTA_COUNTERS_ORIG) {
                  ForEachAttr(p, n, [&](int t, char* q, size_t m) {
                    if (t != CTA_COUNTERS_BYTES || m < 8) return;
                    const uint64_t be = htobe64(bytes);
                    std::memcpy(q, &be, 8);
                  });
                }
              });
  return out;
}

std::string FakeConntrack::Message(Id flow, uint64_t bytes, uint16_t type,
                                   uint16_t flags) const {
  std::string m = Restamp(state_->recorded, flow.first, flow.second, bytes);
  nlmsghdr h;
  std::memcpy(&h, m.data(), sizeof(h));
  h.nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | type;
  h.nlmsg_flags = flags;
  h.nlmsg_seq = 0;
  h.nlmsg_pid = 0;
  std::memcpy(m.data(), &h, sizeof(h));
  return m;
}

void FakeConntrack::QueueEvent(std::string message) {
  absl::MutexLock lock(&state_->mu);
  for (Socket* s : state_->event_sockets) s->PushLocked(message);
}

void FakeConntrack::Put(Id flow, uint64_t bytes, bool event) {
  bool added;
  {
    absl::MutexLock lock(&state_->mu);
    added = state_->flows.insert_or_assign(flow, bytes).second;
  }
  if (!event) return;
  QueueEvent(Message(flow, bytes, IPCTNL_MSG_CT_NEW,
                     added ? NLM_F_CREATE | NLM_F_EXCL : 0));
}

void FakeConntrack::Remove(Id flow, bool event) {
  uint64_t bytes;
  {
    absl::MutexLock lock(&state_->mu);
    auto it = state_->flows.find(flow);
    if (it == state_->flows.end()) return;
    bytes = it->second;
    state_->flows.erase(it);
  }
  if (event) QueueEvent(Message(flow, bytes, IPCTNL_MSG_CT_DELETE, 0));
}

void FakeConntrack::Overflow() {
  absl::MutexLock lock(&state_->mu);
  for (Socket* s : state_->event_sockets) s->OverflowLocked();
}

void FakeConntrack::QueueRaw(std::string datagram) {
  absl::MutexLock lock(&state_->mu);
  for (Socket* s : state_->event_sockets) s->PushLocked(datagram);
}

void FakeConntrack::SetDumpHook(std::function<void(int)> hook) {
  absl::MutexLock lock(&state_->mu);
  state_->hook = std::move(hook);
}

void FakeConntrack::set_messages_per_part(size_t n) {
  absl::MutexLock lock(&state_->mu);
  state_->per_part = std::max<size_t>(1, n);
}

std::map<FakeConntrack::Id, uint64_t> FakeConntrack::Flows() const {
  absl::MutexLock lock(&state_->mu);
  return state_->flows;
}

bool FakeConntrack::Contains(Id flow) const {
  absl::MutexLock lock(&state_->mu);
  return state_->flows.count(flow) != 0;
}

size_t FakeConntrack::dumps() const {
  absl::MutexLock lock(&state_->mu);
  return state_->dumps;
}

bool FakeConntrack::WaitIdle(absl::Duration timeout) {
  absl::MutexLock lock(&state_->mu);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_->mu) {
    if (state_->readers_idle == 0) return false;
    for (const Socket* s : state_->event_sockets) {
      if (!s->QuietLocked()) return false;
    }
    return true;
  };
  return state_->mu.AwaitWithTimeout(absl::Condition(&idle), timeout);
}

std::unique_ptr<NetlinkSocket> FakeConntrack::EventSocket() {
  return std::make_unique<Socket>(this, /*events=*/true);
}

std::unique_ptr<NetlinkSocket> FakeConntrack::DumpSocket() {
  return std::make_unique<Socket>(this, /*events=*/false);
}

}  // namespace flowtop::collector
