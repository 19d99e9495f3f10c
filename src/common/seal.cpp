#include "wedesk/common/seal.hpp"

#include <openssl/evp.h>

#include <array>
#include <memory>

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
    EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key, nonce.data());
    auto* ct = reinterpret_cast<unsigned char*>(out.data() + kNonceLen);
    EVP_EncryptUpdate(ctx.get(), ct, &len, reinterpret_cast<const unsigned char*>(plaintext.data()),
                      static_cast<int>(plaintext.size()));
    int fin = 0;
    EVP_EncryptFinal_ex(ctx.get(), ct + len, &fin);
    EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagLen,
                        out.data() + kNonceLen + plaintext.size());
    return out;
}

Result<std::string> Sealer::Open(std::string_view blob) const {
    if (blob.size() < static_cast<std::size_t>(kNonceLen + kTagLen)) {
        return Fail("sealed", "sealed value too short");
    }
    const std::size_t ct_len = blob.size() - kNonceLen - kTagLen;
    CtxPtr ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    auto* key = reinterpret_cast<const unsigned char*>(key_.Reveal().data());
    auto* nonce = reinterpret_cast<const unsigned char*>(blob.data());
    std::string out(ct_len, '\0');
    int len = 0;
    EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key, nonce);
    EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &len,
                      reinterpret_cast<const unsigned char*>(blob.data() + kNonceLen),
                      static_cast<int>(ct_len));
    std::string tag(blob.substr(kNonceLen + ct_len));
    EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagLen, tag.data());
    int fin = 0;
    if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + len, &fin) !=
        1) {
        WipeString(out);
        return Fail("sealed", "sealed value does not authenticate");
    }
    return out;
}

}  // namespace wedesk
