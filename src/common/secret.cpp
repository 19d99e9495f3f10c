#include "wedesk/common/secret.hpp"

#include <openssl/crypto.h>

namespace wedesk {

Secret::~Secret() { WipeString(value_); }

void WipeString(std::string& s) {
    if (!s.empty()) {
        OPENSSL_cleanse(s.data(), s.size());
    }
    s.clear();
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    if (a.empty()) {
        return true;
    }
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace wedesk
