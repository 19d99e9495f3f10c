#include <catch2/catch.hpp>

#include "wedesk/directory/ldap_text.hpp"

using namespace wedesk::directory;

namespace {

std::string Hex(const std::string& s) {
    static const char* kDigits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) {
        out.push_back(kDigits[c >> 4]);
        out.push_back(kDigits[c & 0xF]);
    }
    return out;
}

}  // namespace

TEST_CASE("filter values are escaped per RFC 4515", "[unit]") {
    CHECK(EscapeFilterValue("alice") == "alice");
    CHECK(EscapeFilterValue("*)(uid=*") == "\\2A\\29\\28uid=\\2A");
    CHECK(EscapeFilterValue("a\\b") == "a\\5Cb");
    CHECK(EscapeFilterValue(std::string("a\0b", 3)) == "a\\00b");
    // Bytes outside ASCII are escaped too (allowed by RFC 4515, same match).
    CHECK(EscapeFilterValue("张") == "\\E5\\BC\\A0");
}

TEST_CASE("user filter substitutes every {account}", "[unit]") {
    CHECK(BuildUserFilter("(uid={account})", "bob") == "(uid=bob)");
    CHECK(BuildUserFilter("(|(uid={account})(mail={account}))", "x*") ==
          "(|(uid=x\\2A)(mail=x\\2A))");
    CHECK(BuildUserFilter("(&(objectClass=user)(sAMAccountName={account}))", "*)(cn=*") ==
          "(&(objectClass=user)(sAMAccountName=\\2A\\29\\28cn=\\2A))");
}

TEST_CASE("AD unicodePwd value is the quoted password in UTF-16LE", "[unit]") {
    auto v = AdPasswordValue("ab");
    REQUIRE(v.ok());
    CHECK(Hex(*v) ==
          "220061006200"
          "2200");

    // ä (U+00E4), 密 (U+5BC6), 码 (U+7801)
    v = AdPasswordValue("ä密码");
    REQUIRE(v.ok());
    CHECK(Hex(*v) ==
          "2200"
          "e400"
          "c65b"
          "0178"
          "2200");

    // U+1F600 (outside the BMP) becomes the surrogate pair D83D DE00.
    v = AdPasswordValue("\xF0\x9F\x98\x80");
    REQUIRE(v.ok());
    CHECK(Hex(*v) ==
          "2200"
          "3dd8"
          "00de"
          "2200");
    // U+10FFFF, the last code point: DBFF DFFF.
    v = AdPasswordValue("\xF4\x8F\xBF\xBF");
    REQUIRE(v.ok());
    CHECK(Hex(*v) ==
          "2200"
          "ffdb"
          "ffdf"
          "2200");
}

TEST_CASE("AD unicodePwd refuses input that is not UTF-8", "[unit]") {
    CHECK_FALSE(AdPasswordValue("\xC3").ok());
    CHECK_FALSE(AdPasswordValue("\xFF\xFE").ok());
    CHECK(AdPasswordValue("\xC3").error().code == wedesk::Errc::kPolicy);
    CHECK_FALSE(AdPasswordValue(std::string("a\0b", 3)).ok());
}

TEST_CASE("AD data codes are read from diagnostics", "[unit]") {
    CHECK(AdDataCode("80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, "
                     "data 773, v1db1") == "773");
    CHECK(AdDataCode("... data 52e, v1db1") == "52e");
    CHECK(AdDataCode("0000052D: Constraint violation") == "");
    CHECK(AdDataCode("") == "");
}

TEST_CASE("ppolicy errors name the rule", "[unit]") {
    CHECK_THAT(PpolicyReason(6), Catch::Contains("too short"));
    CHECK_THAT(PpolicyReason(8), Catch::Contains("history"));
    CHECK_THAT(PpolicyReason(5), Catch::Contains("quality"));
    CHECK_THAT(PpolicyReason(7), Catch::Contains("too recently"));
}

TEST_CASE("DN keys ignore case and spacing", "[unit]") {
    CHECK(DnKey("CN=Staff Admins, OU=Staff,DC=test,DC=local") ==
          DnKey("cn=staff admins,ou=staff,dc=test,dc=local"));
    CHECK(DnKey("cn=a,dc=x") != DnKey("cn=b,dc=x"));
    CHECK(DnKey("not a dn") == "not a dn");
}
