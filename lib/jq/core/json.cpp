#include "json.hpp"

namespace jq {

bool exceeds_json_depth(std::string_view text, std::size_t max_depth)
{
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        return true;
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

nlohmann::json parse_untrusted_json(std::string_view text)
{
  if (exceeds_json_depth(text)) {
    return nlohmann::json(nlohmann::json::value_t::discarded);
  }
  return nlohmann::json::parse(text, nullptr, false);
}

std::string dump_json(const nlohmann::json& value)
{
  std::string text;
  append_json(text, value);
  return text;
}

void append_json(std::string& out, const nlohmann::json& value)
{
  // What basic_json::dump() does, into a string of the caller's (the
  // serializer is the library's own, in its detail namespace).
  nlohmann::detail::serializer<nlohmann::json> serializer(
    nlohmann::detail::output_adapter<char>(out),
    ' ',
    nlohmann::json::error_handler_t::replace);
  serializer.dump(value, false, false, 0);
}

void append_json_string(std::string& out, std::string& text)
{
  nlohmann::json value(std::move(text));
  // Back to the caller however the dump ends (it may throw bad_alloc).
  const struct GiveBack
  {
    nlohmann::json& value;
    std::string& text;
    ~GiveBack()
    {
      text = std::move(value.get_ref<std::string&>());
    }
  } give_back{value, text};
  append_json(out, value);
}

std::string dump_json(const nlohmann::ordered_json& value)
{
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace jq
