// mint::Result<T>: a value or an Error, shaped like std::expected (C++23).
// Library code returns these and never prints or exits; the CLI reports an
// error once. An Error carries what went wrong (code), the errno when a
// system call failed, the thing it concerns (a path, a BDF, a CPU, a
// file:line:col) and a message that names the way out.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace mint {

enum class ErrorCode {
  kInvalidArgument,  // malformed or contradictory input (config, flags)
  kNotFound,         // a named thing does not exist on this host
  kConflict,         // it exists but is in use or owned elsewhere
  kInsufficient,     // not enough cores or memory
  kUnsupported,      // the host or image cannot do this (no MSI, no mint)
  kIo,               // a host read, write or ioctl failed
  kInternal,         // a bug in mint
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  int sys_errno = 0;    // errno of the failed system call, 0 if none
  std::string context;  // the thing concerned, e.g. "sdb" or "node1.yaml:3:9"
  std::string message;  // what is wrong and the way out

  // "context: message" (plus strerror when sys_errno is set).
  std::string ToString() const;
};

Error MakeError(ErrorCode code, std::string context, std::string message, int sys_errno = 0);

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }
  Error&& take_error() {
    assert(!ok());
    return std::get<1>(std::move(v_));
  }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }
  Error&& take_error() {
    assert(!ok_);
    return std::move(error_);
  }

 private:
  Error error_;
  bool ok_ = true;
};

inline Result<void> Ok() { return {}; }

}  // namespace mint

#define MINT_CONCAT_INNER_(a, b) a##b
#define MINT_CONCAT_(a, b) MINT_CONCAT_INNER_(a, b)

// MINT_TRY(auto x, Expr()); returns Expr's error from the enclosing function.
#define MINT_TRY(decl, expr) MINT_TRY_IMPL_(MINT_CONCAT_(mint_try_, __LINE__), decl, expr)
#define MINT_TRY_IMPL_(tmp, decl, expr)   \
  auto tmp = (expr);                      \
  if (!tmp.ok()) return tmp.take_error(); \
  decl = std::move(tmp).value()

// MINT_CHECK(Expr()); for Result<void>.
#define MINT_CHECK(expr)                                    \
  do {                                                      \
    auto mint_check_ = (expr);                              \
    if (!mint_check_.ok()) return mint_check_.take_error(); \
  } while (0)
