#include <jq/core/error.hpp>
#include <jq/metrics/http_response.hpp>
#include <jq/metrics/http_server.hpp>

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

using jq::metrics::find_head_end;
using jq::metrics::parse_listen_address;
using jq::metrics::respond;

namespace {

std::string render()
{
  return "m 1\n";
}

std::string status_line(const std::string& response)
{
  return response.substr(0, response.find("\r\n"));
}

} // namespace

TEST_CASE("jq::metrics::parse_listen_address")
{
  SUBCASE("the loopback unless told otherwise")
  {
    CHECK(parse_listen_address("9100").to_string() == "127.0.0.1:9100");
    CHECK(parse_listen_address(":9100").to_string() == "127.0.0.1:9100");
    CHECK(parse_listen_address("localhost:1").to_string() == "127.0.0.1:1");
    CHECK(parse_listen_address("0.0.0.0:65535").to_string() == "0.0.0.0:65535");
    CHECK(parse_listen_address("[::1]:9100").to_string() == "[::1]:9100");
    CHECK(parse_listen_address("[::]:80").host == "::");
  }

  SUBCASE("anything else is a usage error")
  {
    for (const char* bad : {"",
                            ":",
                            "0",
                            "65536",
                            "-1",
                            "+80",
                            "9100x",
                            " 9100",
                            "host:9100",
                            "example.com:80",
                            "1.2.3:80",
                            "256.1.1.1:80",
                            "::1:9100",
                            "[::1]9100",
                            "[::1]:",
                            "[1.2.3.4]:80",
                            "[::1",
                            "127.0.0.1:",
                            "127.0.0.1:0"}) {
      CAPTURE(bad);
      CHECK_THROWS_AS(parse_listen_address(bad), jq::UsageError);
    }
  }
}

TEST_CASE("jq::metrics::find_head_end")
{
  CHECK(find_head_end("GET / HTTP/1.1\r\nA: b\r\n\r\nrest") == 24);
  CHECK(find_head_end("GET / HTTP/1.0\n\n") == 16);
  CHECK(find_head_end("GET / HTTP/1.1\r\nA: b\r\n") == std::string::npos);
  CHECK(find_head_end("") == std::string::npos);
}

TEST_CASE("jq::metrics::respond")
{
  SUBCASE("GET /metrics")
  {
    const std::string response =
      respond("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", render);
    CHECK(status_line(response) == "HTTP/1.1 200 OK");
    CHECK(response.find("\r\nContent-Type: text/plain; version=0.0.4; "
                        "charset=utf-8\r\n")
          != std::string::npos);
    CHECK(response.find("\r\nContent-Length: 4\r\n") != std::string::npos);
    CHECK(response.find("\r\nConnection: close\r\n") != std::string::npos);
    CHECK(response.ends_with("\r\n\r\nm 1\n"));
    CHECK(status_line(respond("GET /metrics?x=1 HTTP/1.0\n\n", render))
          == "HTTP/1.1 200 OK");
  }

  SUBCASE("HEAD: the headers alone")
  {
    const std::string response =
      respond("HEAD /metrics HTTP/1.1\r\n\r\n", render);
    CHECK(status_line(response) == "HTTP/1.1 200 OK");
    CHECK(response.find("Content-Length: 4\r\n") != std::string::npos);
    CHECK(response.ends_with("\r\n\r\n"));
  }

  SUBCASE("errors")
  {
    CHECK(status_line(respond("GET / HTTP/1.1\r\n\r\n", render))
          == "HTTP/1.1 404 Not Found");
    CHECK(status_line(respond("GET /metricsx HTTP/1.1\r\n\r\n", render))
          == "HTTP/1.1 404 Not Found");
    const std::string post = respond("POST /metrics HTTP/1.1\r\n\r\n", render);
    CHECK(status_line(post) == "HTTP/1.1 405 Method Not Allowed");
    CHECK(post.find("\r\nAllow: GET, HEAD\r\n") != std::string::npos);
    CHECK(status_line(respond("GET /metrics HTTP/2.0\r\n\r\n", render))
          == "HTTP/1.1 505 HTTP Version Not Supported");
    for (const char* bad : {"\r\n\r\n",
                            "GET\r\n\r\n",
                            "GET /metrics\r\n\r\n",
                            "GET  /metrics HTTP/1.1\r\n\r\n",
                            "GET /metrics HTTP/1.1 x\r\n\r\n",
                            "G(T /metrics HTTP/1.1\r\n\r\n",
                            "GET /metrics FTP/1.1\r\n\r\n",
                            "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"}) {
      CAPTURE(bad);
      CHECK(status_line(respond(bad, render)) == "HTTP/1.1 400 Bad Request");
    }
    const auto failing = []() -> std::string {
      throw std::runtime_error("boom");
    };
    CHECK(status_line(respond("GET /metrics HTTP/1.1\r\n\r\n", failing))
          == "HTTP/1.1 500 Internal Server Error");
  }
}
