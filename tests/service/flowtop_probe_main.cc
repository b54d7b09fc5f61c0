// flowtop_probe: a minimal gRPC client for the daemon tests, using the
// shared client options (client/client_options.h) and their flag names.
//   flowtop_probe --connect HOST:PORT [--tls-ca F] [--tls-cert F --tls-key F]
//                 [--tls-server-name N] [--token-file F]
//                 status|list|follow N|watch PORT|not-utf8 N
// Prints "OK <summary>" or "ERROR <CODE>: <message>"; exit 0 / 1.
#include <getopt.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "flowtop/v1/flowtop.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "cli/cli_util.h"
#include "client/client_options.h"

namespace {

const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    default: return "OTHER";
  }
}

int Report(const grpc::Status& s, const std::string& ok) {
  if (s.ok()) {
    std::printf("OK %s\n", ok.c_str());
    return 0;
  }
  std::printf("ERROR %s: %s\n", CodeName(s.error_code()),
              s.error_message().c_str());
  return 1;
}

// "follow N": reads N events of a follow stream, then reports how the
// stream ended (or waits for the server to end it when N is 0).
int Follow(flowtop::v1::FlowTop::Stub& stub, grpc::ClientContext& context, const char* arg) {
  const long want = std::atol(arg);
  flowtop::v1::GetFlowsRequest request;
  request.set_follow(true);
  request.set_snapshot(true);
  auto reader = stub.GetFlows(&context, request);
  flowtop::v1::GetFlowsResponse response;
  long events = 0;
  while ((want == 0 || events < want) && reader->Read(&response)) {
    events += response.events_size();
    if (events == response.events_size()) {
      std::printf("STREAMING\n");
      std::fflush(stdout);
    }
  }
  if (want != 0 && events >= want) {
    context.TryCancel();
    reader->Finish().IgnoreError();
    std::printf("OK events=%ld\n", events);
    return 0;
  }
  return Report(reader->Finish(), absl::StrCat("events=", events));
}

// "watch PORT": follows flows with this port at either end until a NEW, an
// UPDATE and a DESTROY have been seen; prints one line per flow event.
int Watch(flowtop::v1::FlowTop::Stub& stub, grpc::ClientContext& context, const char* arg) {
  flowtop::v1::GetFlowsRequest request;
  request.set_follow(true);
  request.add_allow()->add_any_port(std::atoi(arg));
  auto reader = stub.GetFlows(&context, request);
  flowtop::v1::GetFlowsResponse response;
  bool streaming = false, seen_new = false, seen_update = false,
       seen_destroy = false;
  while (!(seen_new && seen_update && seen_destroy) &&
         reader->Read(&response)) {
    if (!streaming) {
      streaming = true;
      std::printf("STREAMING\n");
    }
    for (const auto& e : response.events()) {
      if (!e.has_flow()) continue;
      std::printf("%s %s\n", flowtop::v1::EventType_Name(e.type()).c_str(),
                  e.flow().id().c_str());
      seen_new |= e.type() == flowtop::v1::NEW;
      seen_update |= e.type() == flowtop::v1::UPDATE;
      seen_destroy |= e.type() == flowtop::v1::DESTROY;
    }
    std::fflush(stdout);
  }
  if (seen_new && seen_update && seen_destroy) {
    context.TryCancel();
    std::printf("OK NEW UPDATE DESTROY\n");
    return 0;
  }
  return Report(reader->Finish(), "stream ended early");
}

// "not-utf8 N": sends N ListFlows requests whose allow[0].any_ip[0] is not
// UTF-8, bytes the server's parser refuses. Prints "OK refused=N" when every
// one was INVALID_ARGUMENT.
int NotUtf8(const std::shared_ptr<grpc::Channel>& channel,
            const flowtop::client::ClientOptions& options, const char* arg) {
  grpc::GenericStub generic(channel);
  const long calls = std::atol(arg);
  const std::string bytes("\x0a\x04\x2a\x02\xff\xfe", 6);
  for (long i = 0; i < calls; ++i) {
    grpc::Slice slice(bytes);
    grpc::ByteBuffer request(&slice, 1);
    grpc::ByteBuffer response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(60));
    flowtop::client::AddCredentials(options, &context);
    absl::Mutex mu;
    bool done = false;
    grpc::Status status;
    generic.UnaryCall(&context, "/flowtop.v1.FlowTop/ListFlows",
                      grpc::StubOptions(), &request, &response,
                      [&](grpc::Status s) {
                        absl::MutexLock lock(&mu);
                        status = std::move(s);
                        done = true;
                      });
    absl::MutexLock lock(&mu);
    mu.Await(absl::Condition(&done));
    if (status.error_code() != grpc::StatusCode::INVALID_ARGUMENT) {
      return Report(status.ok() ? grpc::Status(grpc::StatusCode::UNKNOWN,
                                               "a non-UTF-8 request was taken")
                                : status,
                    "");
    }
  }
  std::printf("OK refused=%ld\n", calls);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  using flowtop::client::ClientOptions;
  ClientOptions options;
  static const std::vector<option> kOptions = flowtop::cli::LongOptionTable(
      {flowtop::cli::Group(flowtop::client::kClientLongOptions)});
  int opt;
  while ((opt = getopt_long(argc, argv, "", kOptions.data(), nullptr)) != -1) {
    if (!flowtop::client::ApplyClientOption(opt, optarg, &options)) return 2;
  }
  if (optind >= argc) {
    std::fputs("flowtop_probe: status|list|follow N\n", stderr);
    return 2;
  }
  const std::string command = argv[optind];
  if (absl::Status s = flowtop::client::LoadToken(&options); !s.ok()) {
    std::printf("ERROR LOCAL: %s\n", std::string(s.message()).c_str());
    return 1;
  }
  auto channel = flowtop::client::MakeChannel(options);
  if (!channel.ok()) {
    std::printf("ERROR LOCAL: %s\n",
                std::string(channel.status().message()).c_str());
    return 1;
  }
  auto stub = flowtop::v1::FlowTop::NewStub(*channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(60));
  flowtop::client::AddCredentials(options, &context);
  if (command == "status") {
    flowtop::v1::GetStatusResponse response;
    grpc::Status s = stub->GetStatus(&context, {}, &response);
    return Report(s, absl::StrCat("node=", response.status().node(),
                                  " source=", response.status().source(),
                                  " flows=", response.status().flows(),
                                  " conntrack_count=",
                                  response.status().conntrack_count(),
                                  " loading=", response.status().loading()));
  }
  if (command == "list") {
    flowtop::v1::ListFlowsResponse response;
    grpc::Status s = stub->ListFlows(&context, {}, &response);
    return Report(s, absl::StrCat("flows=", response.flows_size()));
  }
  if (command == "follow" && optind + 1 < argc) {
    return Follow(*stub, context, argv[optind + 1]);
  }
  if (command == "watch" && optind + 1 < argc) {
    return Watch(*stub, context, argv[optind + 1]);
  }
  if (command == "not-utf8" && optind + 1 < argc) {
    return NotUtf8(*channel, options, argv[optind + 1]);
  }
  std::fputs("flowtop_probe: status|list|follow N|watch PORT|not-utf8 N\n",
             stderr);
  return 2;
}
