#pragma once

// A fresh directory for a test's files.

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <system_error>

namespace jq::test {

// A fresh directory under the system temp dir, removed with its contents.
class TempDir
{
public:
  TempDir()
  {
    static std::atomic<int> counter = 0;
    m_path = std::filesystem::temp_directory_path()
             / ("jq-unit-" + std::to_string(::getpid()) + "-"
                + std::to_string(counter++));
    std::filesystem::create_directories(m_path);
  }
  ~TempDir()
  {
    std::error_code ignored;
    std::filesystem::remove_all(m_path, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string file(const std::string& name) const
  {
    return (m_path / name).string();
  }

private:
  std::filesystem::path m_path;
};

} // namespace jq::test
