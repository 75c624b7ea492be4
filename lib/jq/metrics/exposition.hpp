#pragma once

#include <cstdint>
#include <initializer_list>
#include <set>
#include <span>
#include <string>
#include <string_view>

namespace jq::metrics {

// The content type of the text format this writes (Prometheus 0.0.4).
inline constexpr std::string_view k_content_type =
  "text/plain; version=0.0.4; charset=utf-8";

enum class MetricType { counter, gauge, histogram };

std::string_view to_string(MetricType type) noexcept;

// One label of a sample. `value` may hold any bytes: it is escaped (and
// invalid UTF-8 replaced) when written.
struct Label
{
  std::string_view name;
  std::string_view value;
};

// Writes metrics in the Prometheus text exposition format, version 0.0.4:
// per family a `# HELP` and a `# TYPE` line, then its samples
// `name{label="value",...} value`. The one place jq renders metrics, for
// jq-inspect and jq-worker alike. Names are checked (a bad one is a bug:
// std::invalid_argument); label values and help texts are escaped. Not
// thread-safe: one per rendering.
class Exposition
{
public:
  // Start family `name` of `type`, described by `help` (one line; escaped).
  // Every family is started once, before its samples.
  void family(std::string_view name, MetricType type, std::string_view help);

  // A sample of the current family: `name` is the family's name, or for a
  // histogram its `_bucket`, `_sum` or `_count` series.
  void
  sample(std::string_view name, std::span<const Label> labels, double value);
  void sample(std::string_view name,
              std::initializer_list<Label> labels,
              double value);
  void sample(std::string_view name,
              std::span<const Label> labels,
              std::uint64_t value);
  void sample(std::string_view name,
              std::initializer_list<Label> labels,
              std::uint64_t value);

  // The samples of histogram `name` (started with family()): one bucket per
  // upper bound in `bounds` (ascending) with the `cumulative` count of
  // observations at most that bound, the `+Inf` bucket and `_count` with
  // `count`, and `_sum` with `sum`. `labels` go on every series, before
  // `le`.
  void histogram(std::string_view name,
                 std::span<const Label> labels,
                 std::span<const double> bounds,
                 std::span<const std::uint64_t> cumulative,
                 std::uint64_t count,
                 double sum);

  // The text so far; every line ends with a newline.
  const std::string& text() const noexcept
  {
    return m_text;
  }

private:
  void write_sample(std::string_view name,
                    std::span<const Label> labels,
                    std::string_view value);

  std::string m_text;
  std::string m_family;
  MetricType m_type = MetricType::gauge;
  std::set<std::string, std::less<>> m_families; // every one so far
};

// `value` as a label value between the double quotes: backslash, double
// quote and newline escaped (`\\`, `\"`, `\n`), invalid UTF-8 replaced by
// U+FFFD.
std::string escape_label_value(std::string_view value);

// `text` for a `# HELP` line: backslash and newline escaped, invalid UTF-8
// replaced.
std::string escape_help(std::string_view text);

// A sample value as the format writes it: `+Inf`, `-Inf`, `NaN`, or the
// shortest decimal text that reads back as `value` (`3`, `0.25`, `1e+20`).
std::string format_value(double value);

// True if `name` is a valid metric name: [a-zA-Z_:][a-zA-Z0-9_:]*.
bool is_metric_name(std::string_view name) noexcept;

// True if `name` is a valid label name: [a-zA-Z_][a-zA-Z0-9_]*, not
// starting with `__` (reserved).
bool is_label_name(std::string_view name) noexcept;

} // namespace jq::metrics
