#include "collector/enrich/reverse_dns.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace flowtop::collector::enrich {
namespace {

constexpr size_t kMaxOwnSockets = 64;

// Skips a (possibly compressed) DNS name at abuf[*pos]; false on overrun.
bool SkipName(const unsigned char* abuf, int alen, int* pos) {
  while (*pos < alen) {
    const unsigned char len = abuf[*pos];
    if (len == 0) {
      ++*pos;
      return true;
    }
    if ((len & 0xc0) == 0xc0) {
      *pos += 2;
      return *pos <= alen;
    }
    *pos += len + 1;
  }
  return false;
}

// Returns the smallest TTL of the PTR records in the answer section, or -1.
int64_t MinPtrTtl(const unsigned char* abuf, int alen) {
  if (alen < 12) return -1;
  const int qdcount = (abuf[4] << 8) | abuf[5];
  const int ancount = (abuf[6] << 8) | abuf[7];
  int pos = 12;
  for (int i = 0; i < qdcount; ++i) {
    if (!SkipName(abuf, alen, &pos)) return -1;
    pos += 4;
  }
  int64_t min_ttl = -1;
  for (int i = 0; i < ancount; ++i) {
    if (!SkipName(abuf, alen, &pos) || pos + 10 > alen) return min_ttl;
    const int type = (abuf[pos] << 8) | abuf[pos + 1];
    const int64_t ttl = (int64_t{abuf[pos + 4]} << 24) | (abuf[pos + 5] << 16) |
                        (abuf[pos + 6] << 8) | abuf[pos + 7];
    const int rdlen = (abuf[pos + 8] << 8) | abuf[pos + 9];
    pos += 10 + rdlen;
    if (type == 12 /* PTR */ && (min_ttl < 0 || ttl < min_ttl)) min_ttl = ttl;
  }
  return min_ttl;
}

// Keeps what a terminal can show safely: printable ASCII, at most 253 bytes.
std::string Sanitize(absl::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out(name.substr(0, 253));
  for (char& c : out) {
    if (!absl::ascii_isprint(c) || c == ' ') c = '?';
  }
  return out;
}

std::string SockaddrIp(const sockaddr_storage& ss, uint32_t* port) {
  if (ss.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
    *port = ntohs(sin->sin_port);
    return std::string(reinterpret_cast<const char*>(&sin->sin_addr), 4);
  }
  if (ss.ss_family == AF_INET6) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    *port = ntohs(sin6->sin6_port);
    return std::string(reinterpret_cast<const char*>(&sin6->sin6_addr), 16);
  }
  *port = 0;
  return "";
}

}  // namespace

// What c-ares hands back to OnAnswer.
struct ReverseResolver::Query {
  ReverseResolver* resolver;
  std::string ip;
};

std::string ReverseResolver::PtrName(absl::string_view ip) {
  const auto* b = reinterpret_cast<const unsigned char*>(ip.data());
  if (ip.size() == 4) {
    return absl::StrCat(b[3], ".", b[2], ".", b[1], ".", b[0], ".in-addr.arpa");
  }
  if (ip.size() != 16) return "";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(72);
  for (int i = 15; i >= 0; --i) {
    out.push_back(kHex[b[i] & 0xf]);
    out.push_back('.');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back('.');
  }
  out += "ip6.arpa";
  return out;
}

absl::StatusOr<std::unique_ptr<ReverseResolver>> ReverseResolver::Create(
    ReverseResolverOptions options, const core::Clock& clock, Callback callback) {
  if (options.max_in_flight == 0) options.max_in_flight = 1;
  auto resolver = std::unique_ptr<ReverseResolver>(
      new ReverseResolver(std::move(options), clock, std::move(callback)));
  const ReverseResolverOptions& o = resolver->options_;
  int rc = ares_library_init(ARES_LIB_INIT_ALL);
  if (rc != ARES_SUCCESS) {
    return absl::UnavailableError(absl::StrCat("c-ares: ", ares_strerror(rc)));
  }
  resolver->library_initialized_ = true;
  ares_options opts{};
  opts.flags = ARES_FLAG_STAYOPEN | ARES_FLAG_NOSEARCH;
  opts.timeout = static_cast<int>(absl::ToInt64Milliseconds(o.query_timeout));
  opts.tries = std::max(1, o.tries);
  rc = ares_init_options(&resolver->channel_, &opts,
                         ARES_OPT_FLAGS | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
  if (rc != ARES_SUCCESS) {
    resolver->channel_ = nullptr;
    return absl::UnavailableError(absl::StrCat(
        "reverse DNS cannot start (", ares_strerror(rc),
        "): check /etc/resolv.conf or pass a DNS server, or use -n"));
  }
  if (!o.servers.empty()) {
    const std::string csv = absl::StrJoin(o.servers, ",");
    rc = ares_set_servers_ports_csv(resolver->channel_, csv.c_str());
    if (rc != ARES_SUCCESS) {
      return absl::InvalidArgumentError(absl::StrCat(
          "bad DNS server list \"", csv, "\" (", ares_strerror(rc),
          "): use addresses like 127.0.0.1, 127.0.0.1:5353 or [::1]:53"));
    }
  }
  ares_set_socket_callback(
      resolver->channel_,
      [](ares_socket_t, int, void* self) {
        static_cast<ReverseResolver*>(self)->socket_created_ = true;
        return 0;
      },
      resolver.get());
  resolver->wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (resolver->wake_fd_ < 0) {
    return absl::UnavailableError(absl::StrCat("eventfd: ", strerror(errno)));
  }
  resolver->thread_ = std::thread([r = resolver.get()] { r->Loop(); });
  return resolver;
}

ReverseResolver::ReverseResolver(ReverseResolverOptions options, const core::Clock& clock,
                                 Callback callback)
    : options_(std::move(options)), clock_(clock), callback_(std::move(callback)) {}

ReverseResolver::~ReverseResolver() {
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  if (thread_.joinable()) {
    Wake();
    thread_.join();
  }
  if (channel_ != nullptr) {
    ares_destroy(channel_);  // OnAnswer sees ARES_EDESTRUCTION and does nothing
  }
  if (library_initialized_) ares_library_cleanup();
  if (wake_fd_ >= 0) close(wake_fd_);
}

void ReverseResolver::Wake() {
  const uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof(one));
}

ReverseResolver::Result ReverseResolver::Lookup(const std::string& ip,
                                                std::string* name) {
  if (ip.size() != 4 && ip.size() != 16) return Result::kDropped;
  bool wake = false;
  {
    absl::MutexLock lock(&mu_);
    auto it = cache_.find(ip);
    if (it != cache_.end()) {
      if (it->second.expires > clock_.Now()) {
        ++stats_.cache_hits;
        *name = it->second.name;
        return Result::kHit;
      }
      cache_.erase(it);
    }
    if (pending_.contains(ip)) {
      ++stats_.cache_misses;
      return Result::kPending;
    }
    if (pending_.size() >= options_.max_pending) {
      ++stats_.dropped;
      return Result::kDropped;
    }
    ++stats_.cache_misses;
    pending_.emplace(ip, false);
    wake = queue_.empty();
    queue_.push_back(ip);
  }
  if (wake) Wake();
  return Result::kPending;
}

void ReverseResolver::StartQueries() {
  std::vector<std::string> to_send;
  {
    absl::MutexLock lock(&mu_);
    while (!queue_.empty() && in_flight_ < options_.max_in_flight) {
      to_send.push_back(std::move(queue_.front()));
      queue_.pop_front();
      pending_[to_send.back()] = true;
      ++in_flight_;
      ++stats_.queries;
    }
    stats_.peak_in_flight = std::max<uint64_t>(stats_.peak_in_flight, in_flight_);
  }
  for (std::string& ip : to_send) {
    const std::string ptr = PtrName(ip);
    auto* query = new Query{this, std::move(ip)};
    // May call OnAnswer right away (e.g. no server reachable).
    ares_query(channel_, ptr.c_str(), ns_c_in, ns_t_ptr, &ReverseResolver::OnAnswer,
               query);
  }
}

void ReverseResolver::OnAnswer(void* arg, int status, int /*timeouts*/,
                               unsigned char* abuf, int alen) {
  std::unique_ptr<Query> query(static_cast<Query*>(arg));
  if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) return;
  query->resolver->Finish(query->ip, status, abuf, alen);
}

void ReverseResolver::Finish(const std::string& ip, int status,
                             const unsigned char* abuf, int alen) {
  std::string name;
  absl::Duration ttl = options_.failure_ttl;
  enum { kName, kNoName, kFailed } outcome = kFailed;
  if (status == ARES_SUCCESS && abuf != nullptr) {
    hostent* host = nullptr;
    const int rc = ares_parse_ptr_reply(abuf, alen, ip.data(), static_cast<int>(ip.size()),
                                        ip.size() == 4 ? AF_INET : AF_INET6, &host);
    if (rc == ARES_SUCCESS && host != nullptr && host->h_name != nullptr) {
      name = Sanitize(host->h_name);
    }
    if (host != nullptr) ares_free_hostent(host);
    if (!name.empty()) {
      outcome = kName;
      const int64_t seconds = MinPtrTtl(abuf, alen);
      ttl = std::clamp(absl::Seconds(std::max<int64_t>(seconds, 0)), options_.min_ttl,
                       options_.max_ttl);
    } else {
      outcome = kNoName;
      ttl = options_.negative_ttl;
    }
  } else if (status == ARES_ENOTFOUND || status == ARES_ENODATA) {
    outcome = kNoName;
    ttl = options_.negative_ttl;
  }
  {
    absl::MutexLock lock(&mu_);
    pending_.erase(ip);
    if (in_flight_ > 0) --in_flight_;
    if (outcome == kName) ++stats_.answered;
    if (outcome == kNoName) ++stats_.no_name;
    if (outcome == kFailed) ++stats_.failed;
    const absl::Time now = clock_.Now();
    if (options_.max_cache > 0 && cache_.size() >= options_.max_cache) {
      // Room for max_cache/8 answers at once: sweeping the whole cache for
      // every answer made a long-running resolver O(cache) per answer
      // (seconds per burst at 131,072 entries), with the lock held.
      ++stats_.cache_sweeps;
      absl::erase_if(cache_, [now](const auto& kv) { return kv.second.expires <= now; });
      const size_t keep = options_.max_cache - std::max<size_t>(1, options_.max_cache / 8);
      for (auto it = cache_.begin(); cache_.size() > keep && it != cache_.end();) {
        cache_.erase(it++);
      }
    }
    if (options_.max_cache > 0) cache_[ip] = CacheEntry{name, now + ttl};
  }
  if (callback_) callback_(ip, name);
}

void ReverseResolver::NoteSockets() {
  ares_socket_t socks[ARES_GETSOCK_MAXNUM];
  const int bits = ares_getsock(channel_, socks, ARES_GETSOCK_MAXNUM);
  std::vector<ares_socket_t> active;
  for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
    if (ARES_GETSOCK_READABLE(bits, i) || ARES_GETSOCK_WRITABLE(bits, i)) {
      active.push_back(socks[i]);
    }
  }
  // Only a new socket (c-ares may reuse a closed one's fd number) or a
  // changed set can hold a socket not noted yet.
  if (!socket_created_ && active == noted_fds_) return;
  socket_created_ = false;
  noted_fds_ = active;
  for (size_t i = 0; i < active.size(); ++i) {
    sockaddr_storage local{}, remote{};
    socklen_t llen = sizeof(local), rlen = sizeof(remote);
    int type = 0;
    socklen_t tlen = sizeof(type);
    if (getsockname(active[i], reinterpret_cast<sockaddr*>(&local), &llen) != 0 ||
        getpeername(active[i], reinterpret_cast<sockaddr*>(&remote), &rlen) != 0 ||
        getsockopt(active[i], SOL_SOCKET, SO_TYPE, &type, &tlen) != 0) {
      continue;
    }
    OwnSocket own;
    own.protocol = type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
    own.local_ip = SockaddrIp(local, &own.local_port);
    own.remote_ip = SockaddrIp(remote, &own.remote_port);
    absl::MutexLock lock(&mu_);
    bool known = false;
    for (const OwnSocket& s : own_sockets_) {
      known = known || (s.protocol == own.protocol && s.local_port == own.local_port &&
                        s.local_ip == own.local_ip && s.remote_ip == own.remote_ip &&
                        s.remote_port == own.remote_port);
    }
    if (known) continue;
    if (own_sockets_.size() >= kMaxOwnSockets) own_sockets_.erase(own_sockets_.begin());
    own_sockets_.push_back(std::move(own));
  }
}

bool ReverseResolver::IsOwnQuery(const v1::Flow& flow) const {
  const int protocol = flow.protocol() == v1::TCP ? IPPROTO_TCP
                       : flow.protocol() == v1::UDP ? IPPROTO_UDP
                                                    : -1;
  if (protocol < 0) return false;
  const v1::Tuple& t = flow.original();
  absl::MutexLock lock(&mu_);
  for (const OwnSocket& s : own_sockets_) {
    if (s.protocol == protocol && s.local_port == t.src_port() &&
        s.remote_port == t.dst_port() && s.local_ip == t.src_ip() &&
        s.remote_ip == t.dst_ip()) {
      return true;
    }
  }
  return false;
}

ReverseResolverStats ReverseResolver::stats() const {
  absl::MutexLock lock(&mu_);
  ReverseResolverStats stats = stats_;
  stats.cache_entries = cache_.size();
  return stats;
}

void ReverseResolver::Loop() {
  if (options_.thread_nice != 0) {  // per thread on Linux; failure is harmless
    const id_t tid = static_cast<id_t>(syscall(SYS_gettid));
    setpriority(PRIO_PROCESS, tid, getpriority(PRIO_PROCESS, tid) + options_.thread_nice);
  }
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      if (stop_) return;
    }
    StartQueries();
    NoteSockets();
    ares_socket_t socks[ARES_GETSOCK_MAXNUM];
    const int bits = ares_getsock(channel_, socks, ARES_GETSOCK_MAXNUM);
    pollfd fds[ARES_GETSOCK_MAXNUM + 1];
    int n = 0;
    fds[n++] = pollfd{wake_fd_, POLLIN, 0};
    for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
      short events = 0;
      if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
      if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
      if (events != 0) fds[n++] = pollfd{socks[i], events, 0};
    }
    timeval max_wait{1, 0}, tv{};
    const timeval* wait = ares_timeout(channel_, &max_wait, &tv);
    const int timeout_ms = static_cast<int>(wait->tv_sec * 1000 + wait->tv_usec / 1000) + 1;
    const int ready = poll(fds, n, timeout_ms);
    if (ready < 0 && errno != EINTR) return;
    if (fds[0].revents & POLLIN) {
      uint64_t count;
      (void)!read(wake_fd_, &count, sizeof(count));
    }
    bool any = false;
    for (int i = 1; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      any = true;
      const bool readable = fds[i].revents & (POLLIN | POLLERR | POLLHUP);
      const bool writable = fds[i].revents & POLLOUT;
      ares_process_fd(channel_, readable ? fds[i].fd : ARES_SOCKET_BAD,
                      writable ? fds[i].fd : ARES_SOCKET_BAD);
    }
    if (!any) ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);  // timeouts
  }
}

}  // namespace flowtop::collector::enrich
