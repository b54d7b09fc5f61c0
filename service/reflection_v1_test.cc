#include "service/reflection_v1.h"

#include "flowtop/v1/flowtop.pb.h"
#include "google/protobuf/descriptor.pb.h"
#include "gtest/gtest.h"

namespace flowtop::service {
namespace {

namespace rv1 = grpc::reflection::v1;

TEST(ReflectionV1, ListsTheServicesItWasGiven) {
  ReflectionV1Service service({"flowtop.v1.FlowTop", "grpc.health.v1.Health"});
  rv1::ServerReflectionRequest request;
  request.set_list_services("*");
  rv1::ServerReflectionResponse r = service.Answer(request);
  ASSERT_EQ(r.list_services_response().service_size(), 2);
  EXPECT_EQ(r.list_services_response().service(0).name(), "flowtop.v1.FlowTop");
  EXPECT_EQ(r.original_request().list_services(), "*");
}

TEST(ReflectionV1, FileContainingSymbolIsTheFlowtopProto) {
  ReflectionV1Service service({});
  (void)v1::Flow::descriptor();  // linked in
  for (const char* symbol : {"flowtop.v1.FlowTop", "flowtop.v1.FlowTop.GetFlows",
                             "flowtop.v1.Tuple", "flowtop.v1.Tuple.src_addr"}) {
    rv1::ServerReflectionRequest request;
    request.set_file_containing_symbol(symbol);
    rv1::ServerReflectionResponse r = service.Answer(request);
    ASSERT_TRUE(r.has_file_descriptor_response()) << symbol;
    google::protobuf::FileDescriptorProto file;
    ASSERT_TRUE(file.ParseFromString(r.file_descriptor_response().file_descriptor_proto(0)));
    EXPECT_EQ(file.name(), "flowtop/v1/flowtop.proto");
    EXPECT_EQ(file.package(), "flowtop.v1");
  }
  rv1::ServerReflectionRequest by_name;
  by_name.set_file_by_filename("flowtop/v1/flowtop.proto");
  EXPECT_EQ(service.Answer(by_name).file_descriptor_response().file_descriptor_proto_size(), 1);
}

TEST(ReflectionV1, UnknownNamesAreNotFound) {
  ReflectionV1Service service({});
  rv1::ServerReflectionRequest request;
  request.set_file_containing_symbol("no.such.Symbol");
  EXPECT_EQ(service.Answer(request).error_response().error_code(), grpc::StatusCode::NOT_FOUND);
  request.set_all_extension_numbers_of_type("no.such.Type");
  EXPECT_EQ(service.Answer(request).error_response().error_code(), grpc::StatusCode::NOT_FOUND);
  request.set_all_extension_numbers_of_type("flowtop.v1.Flow");
  rv1::ServerReflectionResponse r = service.Answer(request);
  EXPECT_EQ(r.all_extension_numbers_response().base_type_name(), "flowtop.v1.Flow");
  EXPECT_EQ(r.all_extension_numbers_response().extension_number_size(), 0);
  rv1::ServerReflectionRequest empty;
  EXPECT_EQ(service.Answer(empty).error_response().error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
}

}  // namespace
}  // namespace flowtop::service
