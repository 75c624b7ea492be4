#include "json.hpp"

#include <algorithm>
#include <vector>

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

namespace {

// nlohmann's SAX events for pick_json_members: builds the wanted members of
// the top-level object as nlohmann's DOM parser would (the same types), and
// only follows the nesting of the rest.
class MemberPicker final : public nlohmann::json_sax<nlohmann::json>
{
public:
  MemberPicker(std::span<const std::string_view> names,
               std::span<nlohmann::json> values)
    : m_names(names),
      m_values(values)
  {
  }

  bool null() override
  {
    return put(nullptr);
  }
  bool boolean(bool value) override
  {
    return put(value);
  }
  bool number_integer(number_integer_t value) override
  {
    return put(value);
  }
  bool number_unsigned(number_unsigned_t value) override
  {
    return put(value);
  }
  bool number_float(number_float_t value, const string_t&) override
  {
    return put(value);
  }
  bool string(string_t& value) override
  {
    return put(std::move(value));
  }
  bool binary(binary_t&) override
  {
    return false; // not in JSON text
  }
  bool start_object(std::size_t) override
  {
    return open(nlohmann::json::value_t::object);
  }
  bool start_array(std::size_t) override
  {
    return open(nlohmann::json::value_t::array);
  }
  bool end_object() override
  {
    return close();
  }
  bool end_array() override
  {
    return close();
  }
  bool key(string_t& name) override
  {
    if (!m_building.empty()) {
      m_key = std::move(name);
    } else if (m_depth == 1) {
      const auto found = std::find(m_names.begin(), m_names.end(), name);
      m_member =
        found == m_names.end()
          ? nullptr
          : &m_values[static_cast<std::size_t>(found - m_names.begin())];
    }
    return true;
  }
  bool parse_error(std::size_t,
                   const std::string&,
                   const nlohmann::detail::exception&) override
  {
    return false;
  }

private:
  // Where a value read now goes: a wanted member, inside one, or nowhere.
  nlohmann::json* place(nlohmann::json&& value)
  {
    if (!m_building.empty()) {
      nlohmann::json& parent = *m_building.back();
      if (parent.is_array()) {
        parent.push_back(std::move(value));
        return &parent.back();
      }
      return &(parent[m_key] = std::move(value));
    }
    if (m_depth == 1 && m_member != nullptr) {
      return &(*m_member = std::move(value));
    }
    return nullptr;
  }

  bool put(nlohmann::json&& value)
  {
    if (m_depth == 0) {
      return false; // a document that is a single value is no object
    }
    place(std::move(value));
    return true;
  }

  bool open(nlohmann::json::value_t type)
  {
    if (m_depth == 0 && type != nlohmann::json::value_t::object) {
      return false;
    }
    if (m_depth > 0) {
      if (nlohmann::json* value = place(nlohmann::json(type))) {
        m_building.push_back(value);
      }
    }
    ++m_depth;
    return true;
  }

  // Every container that ends while a member is being built was begun
  // inside it, so it is the last one pushed.
  bool close()
  {
    --m_depth;
    if (!m_building.empty()) {
      m_building.pop_back();
    }
    return true;
  }

  std::span<const std::string_view> m_names;
  std::span<nlohmann::json> m_values;
  std::size_t m_depth = 0;
  nlohmann::json* m_member = nullptr;      // the wanted member being read
  std::vector<nlohmann::json*> m_building; // containers inside it
  std::string m_key;                       // the next key inside it
};

} // namespace

bool pick_json_members(std::string_view text,
                       std::span<const std::string_view> names,
                       std::span<nlohmann::json> values)
{
  if (names.size() != values.size() || exceeds_json_depth(text)) {
    return false;
  }
  for (auto& value : values) {
    value = nullptr;
  }
  MemberPicker picker(names, values);
  return nlohmann::json::sax_parse(text, &picker);
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

void append_json_string(std::string& out, std::string_view text)
{
  const bool is_plain = std::all_of(text.begin(), text.end(), [](char c) {
    return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
  });
  if (!is_plain) {
    std::string copy(text);
    append_json_string(out, copy);
    return;
  }
  out += '"';
  out += text;
  out += '"';
}

std::string dump_json(const nlohmann::ordered_json& value)
{
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace jq
