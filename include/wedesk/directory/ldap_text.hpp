#pragma once
/// Pure text helpers of the LDAP directory, kept apart so they can be unit-tested without a
/// server: RFC 4515 filter escaping, the AD unicodePwd value (quoted UTF-16LE), the "data XXX"
/// code of an AD bind diagnostic, and user-facing reasons for OpenLDAP ppolicy errors.

#include <string>
#include <string_view>

#include "wedesk/common/result.hpp"

namespace wedesk::directory {

/// Escapes `value` for use as an assertion value in a search filter (RFC 4515, by libldap's
/// ldap_bv2escaped_filter_value: `*`, `(`, `)`, `\`, NUL and every non-ASCII byte become `\XX`).
std::string EscapeFilterValue(std::string_view value);

/// `filter_template` with every "{account}" replaced by the escaped `account`.
std::string BuildUserFilter(std::string_view filter_template, std::string_view account);

/// The value AD expects in unicodePwd: the password in double quotes, encoded UTF-16LE
/// (characters outside the BMP as surrogate pairs). Error "policy" when the input is not valid
/// UTF-8 or contains NUL.
Result<std::string> AdPasswordValue(std::string_view password_utf8);

/// The hex code after "data " in an AD diagnostic ("... AcceptSecurityContext error, data 773,
/// v1db1" -> "773"), lower-cased; empty when there is none.
std::string AdDataCode(std::string_view diagnostic);

/// A sentence for the user naming the ppolicy rule behind error number `ppolicy_error`
/// (the LDAPPasswordPolicyError values of RFC draft behera: 5 quality, 6 too short, 7 too young,
/// 8 in history, ...).
std::string PpolicyReason(int ppolicy_error);

/// DN comparison key: RFC 4514 normalised (spaces, escaping) and ASCII lower-cased. Falls back
/// to the lower-cased input when `dn` does not parse.
std::string DnKey(std::string_view dn);

}  // namespace wedesk::directory
