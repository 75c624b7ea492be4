#pragma once

#include <stdexcept>
#include <string>
#include <utility>

namespace jq {

// Root of every error the library throws. `kind()` names the class in
// messages and in a failed job's stack trace.
class Error : public std::runtime_error
{
public:
  using std::runtime_error::runtime_error;
  virtual const char* kind() const noexcept
  {
    return "Error";
  }
};

// Bad flags, values or input files: exit code 2.
class UsageError : public Error
{
public:
  using Error::Error;
  const char* kind() const noexcept override
  {
    return "UsageError";
  }
};

// A job payload or reply that is not what the protocol says.
class ProtocolError : public Error
{
public:
  using Error::Error;
  const char* kind() const noexcept override
  {
    return "ProtocolError";
  }
};

// A failure that belongs to one job (bad SQL, unknown database): the job
// fails, the worker carries on.
class JobError : public Error
{
public:
  using Error::Error;
  const char* kind() const noexcept override
  {
    return "JobError";
  }
};

// A database's error: SQLite's with its primary and extended result codes,
// a server's with its SQLSTATE (five characters, e.g. "42P01").
class SqlError : public JobError
{
public:
  SqlError(const std::string& message, int code, int extended_code)
    : JobError(message),
      m_code(code),
      m_extended_code(extended_code)
  {
  }
  SqlError(const std::string& message, std::string sqlstate)
    : JobError(message),
      m_code(0),
      m_extended_code(0),
      m_sqlstate(std::move(sqlstate))
  {
  }
  const char* kind() const noexcept override
  {
    return "SqlError";
  }
  int code() const noexcept
  {
    return m_code;
  }
  int extended_code() const noexcept
  {
    return m_extended_code;
  }
  // Empty for SQLite's errors.
  const std::string& sqlstate() const noexcept
  {
    return m_sqlstate;
  }

private:
  int m_code;
  int m_extended_code;
  std::string m_sqlstate;
};

// Anything that went wrong talking to Redis.
class RedisError : public Error
{
public:
  using Error::Error;
  const char* kind() const noexcept override
  {
    return "RedisError";
  }
};

// The connection failed or broke (connect refused, reset, EOF): exit 69.
class RedisIoError : public RedisError
{
public:
  using RedisError::RedisError;
  const char* kind() const noexcept override
  {
    return "RedisIoError";
  }
};

// A socket read or write timed out; the connection is unusable after it.
class RedisTimeoutError : public RedisIoError
{
public:
  using RedisIoError::RedisIoError;
  const char* kind() const noexcept override
  {
    return "RedisTimeoutError";
  }
};

// Redis answered with an error reply (`-ERR ...`, `-NOSCRIPT ...`).
class RedisReplyError : public RedisError
{
public:
  using RedisError::RedisError;
  const char* kind() const noexcept override
  {
    return "RedisReplyError";
  }
};

} // namespace jq
