// FakeTransport: a Transport that keeps every message it is given, and
// fails or drops the connection when a test says so.
#ifndef FLOWTOP_EXPORTERS_FAKE_TRANSPORT_H_
#define FLOWTOP_EXPORTERS_FAKE_TRANSPORT_H_

#include <string>
#include <vector>

#include "exporters/transport.h"

namespace flowtop::exporters {

class FakeTransport final : public Transport {
 public:
  explicit FakeTransport(bool stream = false) : stream_(stream) {}

  bool Ready(absl::Time) override {
    if (stream_ && up_ && !connected_) {
      connected_ = true;
      ++connection_;
    }
    return !stream_ || connected_;
  }
  absl::Status Send(absl::string_view message) override {
    if (fail_ || (stream_ && !connected_)) {
      ++failed;
      return absl::UnavailableError("fake: send failed");
    }
    sent.emplace_back(message);
    return absl::OkStatus();
  }
  bool stream() const override { return stream_; }
  uint64_t connection() const override { return connection_; }
  std::string name() const override { return "fake://collector"; }
  Peer peer() const override { return fake_peer; }

  // Sends fail from now on (or succeed again).
  void SetFailing(bool fail) { fail_ = fail; }
  // Stream only: the connection drops; with up=false it stays down.
  void Disconnect(bool up) {
    connected_ = false;
    up_ = up;
  }

  std::vector<std::string> sent;
  int failed = 0;
  Peer fake_peer;

 private:
  const bool stream_;
  bool fail_ = false;
  bool up_ = true;
  bool connected_ = false;
  uint64_t connection_ = 0;
};

}  // namespace flowtop::exporters

#endif  // FLOWTOP_EXPORTERS_FAKE_TRANSPORT_H_
