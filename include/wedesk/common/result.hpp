#pragma once
/// Result<T>: the value of an operation that can fail for expected reasons (bad input, a
/// refusal from a peer, a network error). Exceptions are kept for programmer errors and fatal
/// start-up problems; everything that untrusted input can cause comes back as an Error value.

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace wedesk {

/// The kind of an expected failure, compared as an enum everywhere; its name ("not_found",
/// "signature") is what logs, the admin CLI's JSON and stored errors show (ErrcName).
enum class Errc {
    kAesKey,
    kAlreadyAccepted,
    kAlreadyRated,
    kBadFormat,
    kBase64,
    kBadInput,
    kBadNumber,
    kBadRequest,
    kBadResponse,
    kBadState,
    kBusy,
    kConfig,
    kDatabase,
    kDb,
    kDecryptAes,
    kDenied,
    kExpired,
    kForbidden,
    kIllegalBuffer,
    kInternal,
    kInvalid,
    kInvalidPhone,
    kIo,
    kListen,
    kNetwork,
    kNotFound,
    kNotParked,
    kOverloaded,
    kParseXml,
    kPolicy,
    kProtected,
    kRateLimited,
    kReceiveid,
    kRefused,
    kRejected,
    kSealed,
    kSignature,
    kTimeout,
    kTooLarge,
    kTooSoon,
    kUnavailable,
    kUnset,
    kHttp,   ///< a peer answered an HTTP error status: Error::detail is the status
    kWecom,  ///< WeCom answered an errcode: Error::detail is the errcode
};

std::string_view ErrcName(Errc code);

/// An expected failure: its kind, a human-readable message and, for kHttp / kWecom, the
/// status or errcode. Messages never contain secrets.
struct Error {
    Errc code = Errc::kInternal;
    std::string message;
    long detail = 0;

    /// The code as text: ErrcName, or "http_503" / "wecom_60020" with the detail.
    std::string CodeText() const;
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

/// Shorthand for building an Error value: `return Fail(Errc::kNotFound, "no such ticket");`
inline Error Fail(Errc code, std::string message, long detail = 0) {
    return Error{code, std::move(message), detail};
}

}  // namespace wedesk
