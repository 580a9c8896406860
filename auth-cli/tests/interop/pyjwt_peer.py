"""PyJWT as an interop peer: one JSON request on stdin, the result on stdout.

Requests:
- {"op": "sign", "alg", "key" (base64url secret) | "jwk" (private JWK), "claims"}
- {"op": "verify", "alg", "key" | "jwk" (public JWK) | "jwks" (a JWK set), "token", "iss", "aud"}
- {"op": "keygen", "alg"}: prints {"private": JWK, "public": JWK, "pem": SPKI PEM}
"""
import base64
import json
import sys

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

req = json.load(sys.stdin)
alg = req["alg"]


def key_of(req):
    if "key" in req:
        return base64.urlsafe_b64decode(req["key"] + "=" * (-len(req["key"]) % 4))
    if "jwks" in req:
        kid = jwt.get_unverified_header(req["token"]).get("kid")
        keys = jwt.PyJWKSet.from_dict(req["jwks"])
        return keys[kid].key
    return jwt.PyJWK(req["jwk"], algorithm=alg).key


if req["op"] == "keygen":
    if alg == "EdDSA":
        private, tool = ed25519.Ed25519PrivateKey.generate(), OKPAlgorithm
    elif alg == "ES256":
        private, tool = ec.generate_private_key(ec.SECP256R1()), ECAlgorithm
    else:
        private, tool = rsa.generate_private_key(public_exponent=65537, key_size=2048), RSAAlgorithm
    public = private.public_key()
    pub_jwk = json.loads(tool.to_jwk(public))
    pub_jwk["kid"] = "peer"
    priv_jwk = json.loads(tool.to_jwk(private))
    priv_jwk["kid"] = "peer"
    pem = public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    print(json.dumps({"private": priv_jwk, "public": pub_jwk, "pem": pem}))
elif req["op"] == "sign":
    print(jwt.encode(req["claims"], key_of(req), algorithm=alg, headers={"kid": "peer"}))
else:
    claims = jwt.decode(
        req["token"],
        key_of(req),
        algorithms=[alg],
        audience=req.get("aud"),
        issuer=req.get("iss"),
        options={"require": ["exp"]},
    )
    print(json.dumps(claims))
