#include "wedesk/common/seal.hpp"

#include <openssl/evp.h>

#include <array>
#include <limits>
#include <memory>
#include <stdexcept>

namespace wedesk {

namespace {
constexpr int kNonceLen = 12;
constexpr int kTagLen = 16;
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;
}  // namespace

Sealer::Sealer(const Secret& server_secret, std::string_view purpose)
    : key_(HmacSha256(server_secret.Reveal(), std::string("wedesk-seal:") + std::string(purpose))) {
}

std::string Sealer::Seal(std::string_view plaintext, Random& random) const {
    std::array<std::uint8_t, kNonceLen> nonce{};
    random.Fill(nonce);
    CtxPtr ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    std::string out(kNonceLen + plaintext.size() + kTagLen, '\0');
    std::copy(nonce.begin(), nonce.end(), out.begin());
    auto* key = reinterpret_cast<const unsigned char*>(key_.Reveal().data());
    int len = 0;
    auto* ct = reinterpret_cast<unsigned char*>(out.data() + kNonceLen);
    int fin = 0;
    // Every step is checked: a value that failed to seal must never be stored as if sealed.
    if (!ctx || plaintext.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
        EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key, nonce.data()) != 1 ||
        EVP_EncryptUpdate(ctx.get(), ct, &len,
                          reinterpret_cast<const unsigned char*>(plaintext.data()),
                          static_cast<int>(plaintext.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), ct + len, &fin) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagLen,
                            out.data() + kNonceLen + plaintext.size()) != 1) {
        WipeString(out);
        throw std::runtime_error("sealing failed (OpenSSL AES-256-GCM)");
    }
    return out;
}

Result<std::string> Sealer::Open(std::string_view blob) const {
    if (blob.size() < static_cast<std::size_t>(kNonceLen + kTagLen)) {
        return Fail(Errc::kSealed, "sealed value too short");
    }
    const std::size_t ct_len = blob.size() - kNonceLen - kTagLen;
    CtxPtr ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    auto* key = reinterpret_cast<const unsigned char*>(key_.Reveal().data());
    auto* nonce = reinterpret_cast<const unsigned char*>(blob.data());
    std::string out(ct_len, '\0');
    int len = 0;
    std::string tag(blob.substr(kNonceLen + ct_len));
    int fin = 0;
    if (!ctx || ct_len > static_cast<std::size_t>(std::numeric_limits<int>::max()) ||
        EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key, nonce) != 1 ||
        EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len,
                          reinterpret_cast<const unsigned char*>(blob.data() + kNonceLen),
                          static_cast<int>(ct_len)) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagLen, tag.data()) != 1 ||
        EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + len, &fin) !=
            1) {
        WipeString(out);
        return Fail(Errc::kSealed, "sealed value does not authenticate");
    }
    return out;
}

}  // namespace wedesk
