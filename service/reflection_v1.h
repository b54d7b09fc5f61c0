// ReflectionV1Service: grpc.reflection.v1.ServerReflection, beside the
// v1alpha service that Debian's gRPC library provides. Clients that speak
// only v1 (grpc-js-reflection-client set to v1, newer tools that do not
// fall back) can then list and describe flowtopd's services. It answers
// from the same place as v1alpha: the descriptors compiled into the binary
// (protobuf's generated pool).
#ifndef FLOWTOP_SERVICE_REFLECTION_V1_H_
#define FLOWTOP_SERVICE_REFLECTION_V1_H_

#include <string>
#include <vector>

#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "grpcpp/grpcpp.h"

namespace flowtop::service {

class ReflectionV1Service final
    : public grpc::reflection::v1::ServerReflection::Service {
 public:
  // `services`: the full names list_services answers with.
  explicit ReflectionV1Service(std::vector<std::string> services);

  grpc::Status ServerReflectionInfo(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<grpc::reflection::v1::ServerReflectionResponse,
                               grpc::reflection::v1::ServerReflectionRequest>*
          stream) override;

  // The answer to one request: a file comes with every file it depends on.
  grpc::reflection::v1::ServerReflectionResponse Answer(
      const grpc::reflection::v1::ServerReflectionRequest& request) const;

 private:
  const std::vector<std::string> services_;
};

}  // namespace flowtop::service

#endif  // FLOWTOP_SERVICE_REFLECTION_V1_H_
