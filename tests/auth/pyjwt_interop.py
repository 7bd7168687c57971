#!/usr/bin/python3
"""PyJWT's half of tests/auth/pyjwt_interop_test.cpp: apikit's tokens verify
in PyJWT (Debian's python3-jwt), and PyJWT's tokens are written for apikit
to verify, for HS256, RS256, ES256 and EdDSA.

usage: pyjwt_interop.py DIR

DIR holds, per algorithm ALG (hs256, rs256, es256, eddsa): ALG.key (the HMAC
secret, or the private key in PEM), ALG.pub (the secret, or the public key in
PEM: PyJWT verifies RS256 with a public key only), ALG.kid, and apikit-ALG.jwt, a token
apikit issued (iss https://issuer.test, aud api, typ at+jwt). For each, this
verifies apikit's token with PyJWT — signature, exp, iat, iss, aud — and
writes pyjwt-ALG.jwt, a token of the same claims signed by PyJWT. It prints
one line per check and exits 0 only if every check passed."""

import pathlib
import sys
import time

import jwt

ALGORITHMS = {"hs256": "HS256", "rs256": "RS256", "es256": "ES256", "eddsa": "EdDSA"}


def main(folder: pathlib.Path) -> int:
    failures = 0
    for name, alg in ALGORITHMS.items():
        key = (folder / f"{name}.key").read_bytes()
        public = (folder / f"{name}.pub").read_bytes()
        kid = (folder / f"{name}.kid").read_text()
        token = (folder / f"apikit-{name}.jwt").read_text()
        try:
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, public, algorithms=[alg], audience="api",
                                issuer="https://issuer.test",
                                options={"require": ["exp", "iat", "sub", "jti"]})
            assert header["typ"] == "at+jwt" and header["kid"] == kid, header
            assert claims["scope"] == ["read", "write"], claims
            print(f"{alg}: apikit's token verifies in PyJWT {jwt.__version__}")
        except Exception as e:  # one line per failed check, then the next algorithm
            print(f"{alg}: apikit's token does not verify in PyJWT: {e!r}")
            failures += 1
        now = int(time.time())
        payload = {"iss": "https://issuer.test", "sub": "user_py", "aud": "api",
                   "iat": now, "exp": now + 900, "jti": f"py-{name}",
                   "scope": ["read", "write"]}
        made = jwt.encode(payload, key, algorithm=alg, headers={"kid": kid, "typ": "at+jwt"})
        (folder / f"pyjwt-{name}.jwt").write_text(made)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(pathlib.Path(sys.argv[1])))
