#include "service/flowtop_service.h"

#include "gtest/gtest.h"

namespace flowtop::service {
namespace {

TEST(FlowTopService, ToGrpcStatusKeepsCodeAndMessage) {
  grpc::Status s = ToGrpcStatus(absl::InvalidArgumentError("allow[0]: bad"));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "allow[0]: bad");
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_EQ(ToGrpcStatus(absl::UnauthenticatedError("x")).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST(FlowTopService, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("secret", "secret"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secreT"));
  EXPECT_FALSE(ConstantTimeEquals("secret", "secret2"));
  EXPECT_FALSE(ConstantTimeEquals("", "x"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

TEST(FlowTopService, ValidateGetFlowsNamesTheField) {
  ServiceOptions options;
  v1::GetFlowsRequest r;
  EXPECT_TRUE(FlowTopService::ValidateGetFlows(r, options).ok());
  r.set_first(true);
  r.set_follow(true);
  r.set_number(3);
  absl::Status s = FlowTopService::ValidateGetFlows(r, options);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message().substr(0, 6), "first:");
  r.set_follow(false);
  r.set_number(0);
  EXPECT_EQ(FlowTopService::ValidateGetFlows(r, options).message().substr(0, 6),
            "first:");
  r = v1::GetFlowsRequest();
  r.set_since_unix_nanos(10);
  r.set_until_unix_nanos(5);
  EXPECT_EQ(FlowTopService::ValidateGetFlows(r, options).message().substr(0, 17),
            "until_unix_nanos:");
  r = v1::GetFlowsRequest();
  r.set_max_batch(options.max_batch + 1);
  EXPECT_EQ(FlowTopService::ValidateGetFlows(r, options).message().substr(0, 10),
            "max_batch:");
}

}  // namespace
}  // namespace flowtop::service
