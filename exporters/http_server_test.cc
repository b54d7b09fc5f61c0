#include "exporters/http_server.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace flowtop::exporters {
namespace {

std::string Metrics() { return "flowtop_flows 3\n"; }

TEST(HandleHttpRequestTest, Routes) {
  HttpResponse r = HandleHttpRequest("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", "", Metrics);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "flowtop_flows 3\n");
  EXPECT_TRUE(absl::StartsWith(r.content_type, "text/plain; version=0.0.4"));
  EXPECT_EQ(HandleHttpRequest("GET /metrics?x=1 HTTP/1.0\r\n\r\n", "", Metrics).status, 200);
  EXPECT_EQ(HandleHttpRequest("GET /nope HTTP/1.1\r\n\r\n", "", Metrics).status, 404);
  EXPECT_EQ(HandleHttpRequest("POST /metrics HTTP/1.1\r\n\r\n", "", Metrics).status, 405);
  EXPECT_EQ(HandleHttpRequest("GET /metrics\r\n\r\n", "", Metrics).status, 400);
  EXPECT_EQ(HandleHttpRequest("garbage", "", Metrics).status, 400);
  r = HandleHttpRequest("HEAD /metrics HTTP/1.1\r\n\r\n", "", Metrics);
  const std::string bytes = SerializeHttpResponse(r);
  EXPECT_TRUE(absl::StrContains(bytes, "Content-Length: 16\r\n"));
  EXPECT_TRUE(absl::EndsWith(bytes, "\r\n\r\n"));
}

TEST(HandleHttpRequestTest, Token) {
  const std::string t = "s3cret";
  EXPECT_EQ(HandleHttpRequest("GET /metrics HTTP/1.1\r\n\r\n", t, Metrics).status, 401);
  EXPECT_EQ(HandleHttpRequest(
                "GET /metrics HTTP/1.1\r\nAuthorization: Bearer wrong\r\n\r\n", t, Metrics)
                .status,
            401);
  EXPECT_EQ(HandleHttpRequest(
                "GET /metrics HTTP/1.1\r\nauthorization:  Bearer s3cret\r\n\r\n", t, Metrics)
                .status,
            200);
  EXPECT_EQ(HandleHttpRequest(
                "GET /metrics HTTP/1.1\r\nAuthorization: Bearer s3cretX\r\n\r\n", t, Metrics)
                .status,
            401);
}

TEST(MetricsListenAddressTest, PortAloneIsLoopback) {
  EXPECT_EQ(MetricsListenAddress("9100"), "127.0.0.1:9100");
  EXPECT_EQ(MetricsListenAddress(":9100"), "127.0.0.1:9100");
  EXPECT_EQ(MetricsListenAddress("0.0.0.0:9100"), "0.0.0.0:9100");
}

HttpServerOptions Listen(const std::string& listen, size_t max_request = 8192) {
  HttpServerOptions o;
  o.listen = listen;
  o.max_request_bytes = max_request;
  return o;
}

std::string Fetch(int port, const std::string& request) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return "connect failed";
  send(fd, request.data(), request.size(), 0);
  shutdown(fd, SHUT_WR);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) out.append(buf, n);
  close(fd);
  return out;
}

TEST(HttpServerTest, ServesOverLoopbackAndBoundsRequests) {
  auto server = HttpServer::Start(Listen("127.0.0.1:0", 1024), Metrics);
  ASSERT_TRUE(server.ok()) << server.status();
  const int port = (*server)->port();
  ASSERT_GT(port, 0);
  std::string got = Fetch(port, "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_TRUE(absl::StartsWith(got, "HTTP/1.1 200 OK\r\n")) << got;
  EXPECT_TRUE(absl::EndsWith(got, "\r\n\r\nflowtop_flows 3\n")) << got;
  got = Fetch(port, "GET /metrics HTTP/1.1\r\nX: " + std::string(4000, 'a'));
  EXPECT_TRUE(absl::StartsWith(got, "HTTP/1.1 431")) << got;
  got = Fetch(port, "GET /metr");
  EXPECT_TRUE(absl::StartsWith(got, "HTTP/1.1 400")) << got;
}

TEST(HttpServerTest, TakenPortIsUnavailable) {
  auto a = HttpServer::Start(Listen("127.0.0.1:0"), Metrics);
  ASSERT_TRUE(a.ok());
  auto b = HttpServer::Start(Listen(absl::StrCat("127.0.0.1:", (*a)->port())), Metrics);
  EXPECT_EQ(b.status().code(), absl::StatusCode::kUnavailable);
  auto c = HttpServer::Start(Listen("nonsense"), Metrics);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace flowtop::exporters
