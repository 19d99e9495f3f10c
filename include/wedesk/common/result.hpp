#pragma once
/// Result<T>: the value of an operation that can fail for expected reasons (bad input, a
/// refusal from a peer, a network error). Exceptions are kept for programmer errors and fatal
/// start-up problems; everything that untrusted input can cause comes back as an Error value.

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace wedesk {

/// An expected failure: a short machine-readable code ("signature", "not_found", ...) and a
/// human-readable message. Messages never contain secrets.
struct Error {
    std::string code;
    std::string message;
};

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
    Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

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

private:
    Error error_;
    bool ok_ = true;
};

/// Shorthand for building an Error value: `return Fail("not_found", "no such ticket");`
inline Error Fail(std::string code, std::string message) {
    return Error{std::move(code), std::move(message)};
}

}  // namespace wedesk
