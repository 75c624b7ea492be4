#include "engine_module.hpp"

#include <jq/core/error.hpp>

#include <fmt/format.h>

#include <dlfcn.h>

#include <array>
#include <mutex>
#include <stdexcept>
#include <string_view>

namespace jq::sql {

namespace {

struct ModuleFile
{
  // As lib/CMakeLists.txt names the module's library.
  const char* file;
  const char* entry;
  // What is missing without it, for the message.
  const char* support;
};

ModuleFile module_file(EngineKind kind)
{
  switch (kind) {
  case EngineKind::postgresql:
    return {"libjq-postgres.so", "jq_sql_postgres_module", "PostgreSQL"};
  case EngineKind::mysql:
    return {"libjq-mysql.so", "jq_sql_mysql_module", "MySQL and MariaDB"};
  case EngineKind::sqlite:
    break;
  }
  throw std::invalid_argument("load_engine_module: SQLite is in libjq");
}

// Where the modules are: the directory of libjq as the dynamic loader found
// it (the build tree's lib/, or the private lib directory of an install,
// which can lie anywhere under DESTDIR), with a trailing '/'. (Where libjq
// is linked into the executable, as in jq-submit and jq-inspect, which open
// no databases, it is the executable's; empty when unknown, and then the
// loader's search path applies.)
std::string module_directory()
{
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&load_engine_module), &info) == 0
      || info.dli_fname == nullptr) {
    return {};
  }
  const std::string_view path = info.dli_fname;
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos
           ? std::string{}
           : std::string(path.substr(0, slash + 1));
}

// dlerror()'s message, without the path it starts with (the message names
// that path already).
std::string load_error(const std::string& path)
{
  const char* error = dlerror();
  std::string_view text = error != nullptr ? error : "unknown error";
  if (text.starts_with(path) && text.substr(path.size()).starts_with(": ")) {
    text.remove_prefix(path.size() + 2);
  }
  return std::string(text);
}

} // namespace

OpenDatabaseFunction& load_engine_module(EngineKind kind,
                                         const std::string& database)
{
  static std::mutex mutex;
  static std::array<OpenDatabaseFunction*, 3> loaded{};
  const std::lock_guard lock(mutex);
  auto& open = loaded.at(static_cast<std::size_t>(kind));
  if (open != nullptr) {
    return *open;
  }
  const ModuleFile module = module_file(kind);
  const std::string path = module_directory() + module.file;
  // RTLD_LOCAL: the module's symbols serve only the entry point found here.
  // The handle is never closed: the databases it opens live on.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  void* entry = handle != nullptr ? dlsym(handle, module.entry) : nullptr;
  if (entry == nullptr) {
    throw UsageError(fmt::format(
      "database {}: {} support is not installed (cannot load {}: {})",
      database,
      module.support,
      path,
      load_error(path)));
  }
  open = reinterpret_cast<EngineModuleEntry>(entry)();
  return *open;
}

} // namespace jq::sql
