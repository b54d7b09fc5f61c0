#include "service/server.h"

#include "gtest/gtest.h"

namespace flowtop::service {
namespace {

TEST(Server, LoopbackAddresses) {
  EXPECT_TRUE(IsLoopbackListen("127.0.0.1:9781"));
  EXPECT_TRUE(IsLoopbackListen("127.1.2.3:0"));
  EXPECT_TRUE(IsLoopbackListen("[::1]:9781"));
  EXPECT_TRUE(IsLoopbackListen("localhost:1"));
  EXPECT_FALSE(IsLoopbackListen("0.0.0.0:9781"));
  EXPECT_FALSE(IsLoopbackListen("[::]:9781"));
  EXPECT_FALSE(IsLoopbackListen("192.0.2.1:9781"));
  EXPECT_FALSE(IsLoopbackListen(":9781"));
}

TEST(Server, NonLoopbackWithoutTlsOrTokenIsRefused) {
  ServerOptions o;
  o.listen = "0.0.0.0:9781";
  absl::Status s = CheckExposure(o);
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("refusing to listen on 0.0.0.0:9781"),
            std::string::npos);
  EXPECT_NE(s.message().find("--insecure"), std::string::npos);
  o.insecure = true;
  EXPECT_TRUE(CheckExposure(o).ok());
  o.insecure = false;
  o.has_token = true;
  EXPECT_TRUE(CheckExposure(o).ok());
  o.has_token = false;
  o.tls_cert_file = "c.pem";
  o.tls_key_file = "k.pem";
  EXPECT_TRUE(CheckExposure(o).ok());
}

TEST(Server, InconsistentTlsOptions) {
  ServerOptions o;
  o.tls_cert_file = "c.pem";
  EXPECT_EQ(CheckExposure(o).code(), absl::StatusCode::kInvalidArgument);
  o = ServerOptions();
  o.tls_client_ca_file = "ca.pem";
  EXPECT_EQ(CheckExposure(o).code(), absl::StatusCode::kInvalidArgument);
}

TEST(Server, MissingCertificateFileIsNamed) {
  ServerOptions o;
  o.tls_cert_file = "/nonexistent/cert.pem";
  o.tls_key_file = "/nonexistent/key.pem";
  auto creds = MakeServerCredentials(o);
  ASSERT_FALSE(creds.ok());
  EXPECT_NE(creds.status().message().find("/nonexistent/cert.pem"),
            std::string::npos);
}

TEST(Server, ListenAddressNeedsAPortInRange) {
  EXPECT_TRUE(CheckListenAddress("127.0.0.1:0").ok());
  EXPECT_TRUE(CheckListenAddress("127.0.0.1:65535").ok());
  EXPECT_TRUE(CheckListenAddress("[::1]:9781").ok());
  EXPECT_TRUE(CheckListenAddress("localhost:9781").ok());
  for (const char* bad : {"127.0.0.1", "127.0.0.1:", "127.0.0.1:-1",
                          "127.0.0.1:70000", "127.0.0.1:65536", "[::1]",
                          "127.0.0.1:9x", ":9781", "127.0.0.1:+80",
                          "127.0.0.1:000000080"}) {
    absl::Status s = CheckListenAddress(bad);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find(bad), std::string::npos) << s.message();
  }
  ServerOptions o;
  o.listen = "127.0.0.1:70000";
  EXPECT_EQ(CheckExposure(o).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace flowtop::service
