#include "wedesk/common/result.hpp"

#include <array>
#include <utility>

#include "wedesk/common/enum_names.hpp"

namespace wedesk {

namespace {
constexpr auto kNames = std::to_array<std::pair<Errc, std::string_view>>({
    {Errc::kAesKey, "aes_key"},
    {Errc::kAlreadyAccepted, "already_accepted"},
    {Errc::kAlreadyRated, "already_rated"},
    {Errc::kBadFormat, "bad_format"},
    {Errc::kBase64, "base64"},
    {Errc::kBadInput, "bad_input"},
    {Errc::kBadNumber, "bad_number"},
    {Errc::kBadRequest, "bad_request"},
    {Errc::kBadResponse, "bad_response"},
    {Errc::kBadState, "bad_state"},
    {Errc::kBusy, "busy"},
    {Errc::kConfig, "config"},
    {Errc::kDatabase, "database"},
    {Errc::kDb, "db"},
    {Errc::kDecryptAes, "decrypt_aes"},
    {Errc::kDenied, "denied"},
    {Errc::kExpired, "expired"},
    {Errc::kForbidden, "forbidden"},
    {Errc::kIllegalBuffer, "illegal_buffer"},
    {Errc::kInternal, "internal"},
    {Errc::kInvalid, "invalid"},
    {Errc::kInvalidPhone, "invalid_phone"},
    {Errc::kIo, "io"},
    {Errc::kListen, "listen"},
    {Errc::kNetwork, "network"},
    {Errc::kNotFound, "not_found"},
    {Errc::kNotParked, "not_parked"},
    {Errc::kOverloaded, "overloaded"},
    {Errc::kParseXml, "parse_xml"},
    {Errc::kPolicy, "policy"},
    {Errc::kProtected, "protected"},
    {Errc::kRateLimited, "rate_limited"},
    {Errc::kReceiveid, "receiveid"},
    {Errc::kRefused, "refused"},
    {Errc::kRejected, "rejected"},
    {Errc::kSealed, "sealed"},
    {Errc::kSignature, "signature"},
    {Errc::kTimeout, "timeout"},
    {Errc::kTooLarge, "too_large"},
    {Errc::kTooSoon, "too_soon"},
    {Errc::kUnavailable, "unavailable"},
    {Errc::kUnset, "unset"},
    {Errc::kHttp, "http"},
    {Errc::kWecom, "wecom"},
});
}  // namespace

std::string_view ErrcName(Errc code) { return NameIn(kNames, code).value_or("internal"); }

std::string Error::CodeText() const {
    if (code == Errc::kHttp || code == Errc::kWecom) {
        return std::string(ErrcName(code)) + "_" + std::to_string(detail);
    }
    return std::string(ErrcName(code));
}

}  // namespace wedesk
