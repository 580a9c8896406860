# Verifies the demo's access tokens as a PyJWT user would: discovery, then PyJWKClient and
# jwt.decode with the issuer and audience (default caching). One token per line on stdin, with
# the same client throughout; prints "ok <sub> <extras>" (the granted claims `roles`, `scope`
# and `tenant` as compact JSON, keys sorted) or "err <exception>" per token.
import json
import sys
import urllib.request

import jwt

issuer = sys.argv[1]
with urllib.request.urlopen(f"{issuer}/.well-known/openid-configuration") as r:
    meta = json.load(r)
assert meta["issuer"] == issuer, meta["issuer"]
client = jwt.PyJWKClient(meta["jwks_uri"], cache_keys=True)
for line in sys.stdin:
    token = line.strip()
    try:
        key = client.get_signing_key_from_jwt(token)
        claims = jwt.decode(token, key, algorithms=["EdDSA"], audience=issuer, issuer=issuer)
        extras = {k: claims.get(k) for k in ("roles", "scope", "tenant")}
        extras = json.dumps(extras, separators=(",", ":"), sort_keys=True)
        print(f"ok {claims['sub']} {extras}", flush=True)
    except Exception as e:  # noqa: BLE001 - every refusal is reported
        print(f"err {type(e).__name__}", flush=True)
