#include <jq/metrics/exposition.hpp>
#include <jq/metrics/queue_metrics.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

using jq::metrics::escape_help;
using jq::metrics::escape_label_value;
using jq::metrics::Exposition;
using jq::metrics::format_value;
using jq::metrics::Label;
using jq::metrics::MetricType;

TEST_CASE("jq::metrics::escape_label_value")
{
  SUBCASE("backslash, double quote and newline, as the format says")
  {
    CHECK(escape_label_value("plain") == "plain");
    CHECK(escape_label_value("a\\b") == "a\\\\b");
    CHECK(escape_label_value("say \"hi\"") == "say \\\"hi\\\"");
    CHECK(escape_label_value("two\nlines") == "two\\nlines");
    CHECK(escape_label_value("\\n") == "\\\\n");
  }

  SUBCASE("other bytes, UTF-8 and tabs included, are kept")
  {
    CHECK(escape_label_value("t\tab r\r") == "t\tab r\r");
    CHECK(escape_label_value("h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80")
          == "h\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    CHECK(escape_label_value(std::string("n\0ul", 4))
          == std::string("n\0ul", 4));
  }

  SUBCASE("invalid UTF-8 is replaced by U+FFFD, byte by byte")
  {
    CHECK(escape_label_value("a\xff") == "a\xef\xbf\xbd");
    CHECK(escape_label_value("\xc3") == "\xef\xbf\xbd"); // cut short
    CHECK(escape_label_value("\xc0\xaf") == "\xef\xbf\xbd\xef\xbf\xbd");
    CHECK(escape_label_value("\xed\xa0\x80") // a surrogate
          == "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    CHECK(escape_label_value("\xf4\x90\x80\x80").size() == 12); // > U+10FFFF
  }
}

TEST_CASE("jq::metrics::escape_help")
{
  CHECK(escape_help("a \"quoted\" \\ word\nnext")
        == "a \"quoted\" \\\\ word\\nnext");
}

TEST_CASE("jq::metrics::format_value")
{
  CHECK(format_value(0) == "0");
  CHECK(format_value(3) == "3");
  CHECK(format_value(0.001) == "0.001");
  CHECK(format_value(2.5) == "2.5");
  CHECK(format_value(-1.5) == "-1.5");
  CHECK(format_value(1e20) == "1e+20");
  CHECK(format_value(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(format_value(-std::numeric_limits<double>::infinity()) == "-Inf");
  CHECK(format_value(std::nan("")) == "NaN");
  CHECK(std::stod(format_value(0.1 + 0.2)) == 0.1 + 0.2);
}

TEST_CASE("jq::metrics::is_metric_name")
{
  CHECK(jq::metrics::is_metric_name("jq_jobs"));
  CHECK(jq::metrics::is_metric_name("a:b_c9"));
  CHECK_FALSE(jq::metrics::is_metric_name(""));
  CHECK_FALSE(jq::metrics::is_metric_name("9a"));
  CHECK_FALSE(jq::metrics::is_metric_name("a-b"));
  CHECK(jq::metrics::is_label_name("queue"));
  CHECK_FALSE(jq::metrics::is_label_name("a:b"));
  CHECK_FALSE(jq::metrics::is_label_name("__name__"));
}

TEST_CASE("jq::metrics::Exposition")
{
  SUBCASE("help, type, then samples with escaped labels")
  {
    Exposition out;
    out.family("jq_jobs", MetricType::gauge, "Jobs\nby \\ state");
    out.sample(
      "jq_jobs", {{"queue", "a\"b"}, {"state", "waiting"}}, std::uint64_t{3});
    out.sample("jq_jobs", {}, 0.5);
    CHECK(out.text()
          == "# HELP jq_jobs Jobs\\nby \\\\ state\n"
             "# TYPE jq_jobs gauge\n"
             "jq_jobs{queue=\"a\\\"b\",state=\"waiting\"} 3\n"
             "jq_jobs 0.5\n");
  }

  SUBCASE("a histogram: cumulative buckets, +Inf, sum and count")
  {
    Exposition out;
    out.family("d_seconds", MetricType::histogram, "Durations");
    const double bounds[] = {0.1, 1};
    const std::uint64_t cumulative[] = {2, 3};
    const Label labels[] = {{"queue", "q"}};
    out.histogram("d_seconds", labels, bounds, cumulative, 4, 7.25);
    CHECK(out.text()
          == "# HELP d_seconds Durations\n"
             "# TYPE d_seconds histogram\n"
             "d_seconds_bucket{queue=\"q\",le=\"0.1\"} 2\n"
             "d_seconds_bucket{queue=\"q\",le=\"1\"} 3\n"
             "d_seconds_bucket{queue=\"q\",le=\"+Inf\"} 4\n"
             "d_seconds_sum{queue=\"q\"} 7.25\n"
             "d_seconds_count{queue=\"q\"} 4\n");
  }

  SUBCASE("mistakes are refused")
  {
    Exposition out;
    CHECK_THROWS_AS(out.family("bad-name", MetricType::gauge, ""),
                    std::invalid_argument);
    out.family("a", MetricType::counter, "A");
    CHECK_THROWS_AS(out.family("a", MetricType::counter, "A"),
                    std::invalid_argument);
    CHECK_THROWS_AS(out.sample("b", {}, 1.0), std::invalid_argument);
    CHECK_THROWS_AS(out.sample("a_bucket", {}, 1.0), std::invalid_argument);
    CHECK_THROWS_AS(out.sample("a", {{"bad:label", "x"}}, 1.0),
                    std::invalid_argument);
  }
}

TEST_CASE("jq::metrics::write_queue_metrics")
{
  jq::metrics::QueueMetrics queue;
  queue.queue = "mail\nq";
  queue.counts.waiting = 4;
  queue.counts.failed = 2;
  queue.is_paused = true;
  queue.workers = 3;
  queue.oldest_wait_ms = 1500;
  Exposition out;
  jq::metrics::write_queue_metrics(out, std::span(&queue, 1));
  const std::string& text = out.text();
  CHECK(text.find("# TYPE jq_jobs gauge\n") != std::string::npos);
  CHECK(text.find("jq_jobs{queue=\"mail\\nq\",state=\"waiting\"} 4\n")
        != std::string::npos);
  CHECK(text.find("jq_jobs{queue=\"mail\\nq\",state=\"failed\"} 2\n")
        != std::string::npos);
  CHECK(text.find("jq_queue_paused{queue=\"mail\\nq\"} 1\n")
        != std::string::npos);
  CHECK(text.find("jq_queue_workers{queue=\"mail\\nq\"} 3\n")
        != std::string::npos);
  CHECK(text.find("jq_queue_oldest_waiting_age_seconds{queue=\"mail\\nq\"} "
                  "1.5\n")
        != std::string::npos);

  SUBCASE("no queue: the families alone")
  {
    Exposition empty;
    jq::metrics::write_queue_metrics(empty, {});
    CHECK(empty.text().find("# TYPE jq_queue_workers gauge\n")
          != std::string::npos);
    CHECK(empty.text().find("jq_jobs{") == std::string::npos);
  }
}
