#ifndef APIKIT_AUTH_DETAIL_OPENSSL_HPP
#define APIKIT_AUTH_DETAIL_OPENSSL_HPP

// What auth::key needs from libcrypto, through OpenSSL 3's EVP API only:
// owning pointers, PEM in and out, the checks that a key fits its algorithm,
// raw public and private members for JWKs, ES256's signature between JOSE's
// R || S and the DER that EVP speaks, and the per-thread scratch contexts
// that signing and verifying reuse.
//
// Every failure here is a value (false, an empty pointer), and the
// thread's OpenSSL error queue is cleared after one: a refused token or key
// must not leave entries that a later, unrelated caller reads as its own.
// Nothing is shared between threads but immutable EVP_PKEYs, which OpenSSL 3
// allows any number of threads to use at once.

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

namespace apikit::auth::detail {

template <class T, void (*Free)(T*)>
struct ossl_free {
    void operator()(T* p) const noexcept { Free(p); }
};

using pkey_ptr = std::unique_ptr<EVP_PKEY, ossl_free<EVP_PKEY, EVP_PKEY_free>>;
using pkey_ctx_ptr = std::unique_ptr<EVP_PKEY_CTX, ossl_free<EVP_PKEY_CTX, EVP_PKEY_CTX_free>>;
using md_ctx_ptr = std::unique_ptr<EVP_MD_CTX, ossl_free<EVP_MD_CTX, EVP_MD_CTX_free>>;
using bn_ptr = std::unique_ptr<BIGNUM, ossl_free<BIGNUM, BN_clear_free>>;
using ecdsa_sig_ptr = std::unique_ptr<ECDSA_SIG, ossl_free<ECDSA_SIG, ECDSA_SIG_free>>;
using param_bld_ptr =
    std::unique_ptr<OSSL_PARAM_BLD, ossl_free<OSSL_PARAM_BLD, OSSL_PARAM_BLD_free>>;
using params_ptr = std::unique_ptr<OSSL_PARAM, ossl_free<OSSL_PARAM, OSSL_PARAM_free>>;

inline void free_bio(BIO* b) {
    BIO_free(b);
}
using bio_ptr = std::unique_ptr<BIO, ossl_free<BIO, free_bio>>;

/// Returns `ok`, first clearing the thread's error queue when it is false.
inline bool cleared(bool ok) noexcept {
    if (!ok)
        ERR_clear_error();
    return ok;
}

[[nodiscard]] inline unsigned char const* bytes(std::string_view s) noexcept {
    return reinterpret_cast<unsigned char const*>(s.data());
}

// Refuses to prompt for a passphrase: an encrypted PEM is simply not a key
// here (OpenSSL's default callback would read the terminal).
inline int no_passphrase(char*, int, int, void*) {
    return -1;
}

/// The key in `pem`: a private key (PKCS#8, or traditional RSA/EC) or else
/// a public key (SPKI). `has_private` says which it was.
[[nodiscard]] inline pkey_ptr read_pem(std::string_view pem, bool& has_private) {
    if (pem.size() > 64 * 1024) // no PEM key is this long; do not hand it to the parser
        return {};
    for (bool const priv : {true, false}) {
        bio_ptr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
        if (!bio)
            throw std::bad_alloc();
        pkey_ptr k(priv ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr)
                        : PEM_read_bio_PUBKEY(bio.get(), nullptr, no_passphrase, nullptr));
        ERR_clear_error();
        if (k) {
            has_private = priv;
            return k;
        }
    }
    return {};
}

/// PKCS#8 (private) or SPKI (public) PEM of `k`.
[[nodiscard]] inline std::string write_pem(EVP_PKEY* k, bool private_key) {
    bio_ptr bio(BIO_new(BIO_s_mem()));
    if (!bio)
        throw std::bad_alloc();
    int const ok =
        private_key ? PEM_write_bio_PrivateKey(bio.get(), k, nullptr, nullptr, 0, nullptr, nullptr)
                    : PEM_write_bio_PUBKEY(bio.get(), k);
    if (!cleared(ok == 1))
        throw std::bad_alloc();
    char* data = nullptr;
    auto const n = BIO_get_mem_data(bio.get(), &data);
    std::string out(data, static_cast<std::size_t>(n));
    if (private_key)
        OPENSSL_cleanse(data, static_cast<std::size_t>(n));
    return out;
}

/// The EC group's name ("prime256v1" for P-256), or "" for another key type.
[[nodiscard]] inline std::string group_name(EVP_PKEY* k) {
    char name[64] = {};
    std::size_t n = 0;
    if (!cleared(EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name,
                                                &n) == 1))
        return {};
    return std::string(name, n);
}

/// The big-endian bytes of the BIGNUM parameter `param` of `k` (n, e, d,
/// qx, ...), left-padded with zeros to `width` when it is not 0; "" when
/// the key has no such parameter.
[[nodiscard]] inline std::string bn_param(EVP_PKEY* k, char const* param, std::size_t width = 0) {
    BIGNUM* raw = nullptr;
    if (!cleared(EVP_PKEY_get_bn_param(k, param, &raw) == 1))
        return {};
    bn_ptr bn(raw);
    auto const n = width != 0 ? width : static_cast<std::size_t>(BN_num_bytes(bn.get()));
    std::string out(n, '\0');
    if (BN_bn2binpad(bn.get(), reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) <
        0)
        return {};
    return out;
}

/// Ed25519's raw 32-byte public or private key.
[[nodiscard]] inline std::string raw_key(EVP_PKEY* k, bool private_key) {
    std::string out(32, '\0');
    std::size_t n = out.size();
    auto* p = reinterpret_cast<unsigned char*>(out.data());
    int const ok = private_key ? EVP_PKEY_get_raw_private_key(k, p, &n)
                               : EVP_PKEY_get_raw_public_key(k, p, &n);
    if (!cleared(ok == 1) || n != 32)
        return {};
    return out;
}

/// A key of type `type` ("RSA", "EC") made from `params`; a key pair when
/// `private_key`, else a public key. With `check`, it also checks what
/// OpenSSL's import does not: that a private key matches its public half
/// (EVP_PKEY_pairwise_check), that a public point is on its curve
/// (EVP_PKEY_public_check).
[[nodiscard]] inline pkey_ptr from_params(char const* type, OSSL_PARAM_BLD* bld, bool private_key,
                                          bool check) {
    params_ptr params(OSSL_PARAM_BLD_to_param(bld));
    pkey_ctx_ptr ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
    if (!params || !ctx)
        throw std::bad_alloc();
    EVP_PKEY* raw = nullptr;
    if (!cleared(EVP_PKEY_fromdata_init(ctx.get()) == 1 &&
                 EVP_PKEY_fromdata(ctx.get(), &raw,
                                   private_key ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                                   params.get()) == 1))
        return {};
    pkey_ptr k(raw);
    if (!check)
        return k;
    pkey_ctx_ptr checker(EVP_PKEY_CTX_new_from_pkey(nullptr, k.get(), nullptr));
    if (!checker)
        throw std::bad_alloc();
    bool const ok = private_key ? EVP_PKEY_pairwise_check(checker.get()) == 1
                                : EVP_PKEY_public_check(checker.get()) == 1;
    if (!cleared(ok))
        return {};
    return k;
}

[[nodiscard]] inline bool push_bn(OSSL_PARAM_BLD* bld, char const* name, std::string_view be,
                                  std::vector<bn_ptr>& keep) {
    bn_ptr bn(BN_bin2bn(bytes(be), static_cast<int>(be.size()), nullptr));
    if (!bn)
        throw std::bad_alloc();
    bool const ok = OSSL_PARAM_BLD_push_BN(bld, name, bn.get()) == 1;
    keep.push_back(std::move(bn)); // the builder refers to it until to_param
    return cleared(ok);
}

// ------------------------------------------------------------------ ES256

inline constexpr std::size_t es256_half = 32; // bytes of R and of S (P-256's order)

/// DER `SEQUENCE { INTEGER r, INTEGER s }` of a JOSE R || S signature
/// (RFC 7518 §3.4) into `out` (at least 72 bytes); its length. Written by
/// hand: it is a few bytes of fixed shape, and verify should not allocate
/// BIGNUMs per token.
[[nodiscard]] inline std::size_t es256_der(std::string_view rs, unsigned char* out) noexcept {
    auto integer = [](unsigned char const* v, unsigned char* o) {
        std::size_t skip = 0;
        while (skip + 1 < es256_half && v[skip] == 0)
            ++skip;
        bool const pad = v[skip] & 0x80; // an INTEGER's first bit is its sign
        auto const len = es256_half - skip + (pad ? 1 : 0);
        o[0] = 0x02;
        o[1] = static_cast<unsigned char>(len);
        std::size_t at = 2;
        if (pad)
            o[at++] = 0;
        std::memcpy(o + at, v + skip, es256_half - skip);
        return 2 + len;
    };
    out[0] = 0x30;
    auto const r = integer(bytes(rs), out + 2);
    auto const s = integer(bytes(rs) + es256_half, out + 2 + r);
    out[1] = static_cast<unsigned char>(r + s); // at most 70: the short form
    return 2 + r + s;
}

/// The JOSE R || S of a DER ECDSA signature; "" if it is not one.
[[nodiscard]] inline std::string es256_raw(std::string_view der) {
    auto const* p = bytes(der);
    ecdsa_sig_ptr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
    if (!cleared(sig != nullptr))
        return {};
    BIGNUM const* r = nullptr;
    BIGNUM const* s = nullptr;
    ECDSA_SIG_get0(sig.get(), &r, &s);
    std::string out(2 * es256_half, '\0');
    auto* o = reinterpret_cast<unsigned char*>(out.data());
    if (BN_bn2binpad(r, o, es256_half) < 0 || BN_bn2binpad(s, o + es256_half, es256_half) < 0)
        return {};
    return out;
}

// ------------------------------------------------------- sign and verify

/// A per-thread EVP_MD_CTX for one signature at a time: allocated once per
/// thread, reset (not freed) between uses.
[[nodiscard]] inline EVP_MD_CTX* scratch_md_ctx() {
    thread_local md_ctx_ptr const c(EVP_MD_CTX_new());
    if (!c)
        throw std::bad_alloc();
    return c.get();
}

/// EVP_DigestVerify of `sig` over `data` with the prepared context `prepared`
/// (EVP_DigestVerifyInit done once per key): copied into the thread's
/// scratch context, so the key's own is only read.
[[nodiscard]] inline bool digest_verify(EVP_MD_CTX const* prepared, std::string_view data,
                                        unsigned char const* sig, std::size_t sig_len) noexcept {
    EVP_MD_CTX* c = nullptr;
    try {
        c = scratch_md_ctx();
    } catch (...) {
        return false;
    }
    if (!cleared(EVP_MD_CTX_copy_ex(c, prepared) == 1))
        return false;
    return cleared(EVP_DigestVerify(c, sig, sig_len, bytes(data), data.size()) == 1);
}

/// EVP_DigestSign of `data` under `k` (digest `md`, null for Ed25519): the
/// signature as EVP writes it (DER for ECDSA); "" on failure.
[[nodiscard]] inline std::string digest_sign(EVP_PKEY* k, EVP_MD const* md, std::string_view data) {
    EVP_MD_CTX* c = scratch_md_ctx();
    EVP_MD_CTX_reset(c);
    std::size_t n = 0;
    if (!cleared(EVP_DigestSignInit(c, nullptr, md, nullptr, k) == 1 &&
                 EVP_DigestSign(c, nullptr, &n, bytes(data), data.size()) == 1))
        return {};
    std::string out(n, '\0');
    if (!cleared(EVP_DigestSign(c, reinterpret_cast<unsigned char*>(out.data()), &n, bytes(data),
                                data.size()) == 1))
        return {};
    out.resize(n);
    return out;
}

/// True when `k` signs a fixed message so that its public half verifies
/// it: the check of a private key OpenSSL cannot check otherwise (RSA of d
/// alone).
[[nodiscard]] inline bool signs_correctly(EVP_PKEY* k, EVP_MD const* md) {
    constexpr std::string_view probe = "apikit: does this key sign?";
    auto const sig = digest_sign(k, md, probe);
    if (sig.empty())
        return false;
    EVP_MD_CTX* c = scratch_md_ctx();
    EVP_MD_CTX_reset(c);
    return cleared(EVP_DigestVerifyInit(c, nullptr, md, nullptr, k) == 1 &&
                   EVP_DigestVerify(c, bytes(sig), sig.size(), bytes(probe), probe.size()) == 1);
}

/// A context prepared once per key for EVP_DigestVerify with `md` (null for
/// Ed25519); null if OpenSSL refuses the key.
[[nodiscard]] inline md_ctx_ptr prepare_verify(EVP_PKEY* k, EVP_MD const* md) {
    md_ctx_ptr c(EVP_MD_CTX_new());
    if (!c)
        throw std::bad_alloc();
    if (!cleared(EVP_DigestVerifyInit(c.get(), nullptr, md, nullptr, k) == 1))
        return {};
    return c;
}

} // namespace apikit::auth::detail

#endif
