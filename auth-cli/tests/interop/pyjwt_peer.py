"""PyJWT as an interop peer: one JSON request on stdin, the result on stdout."""
import base64
import json
import sys

import jwt

req = json.load(sys.stdin)
key = base64.urlsafe_b64decode(req["key"] + "=" * (-len(req["key"]) % 4))
if req["op"] == "sign":
    print(jwt.encode(req["claims"], key, algorithm=req["alg"], headers={"kid": "peer"}))
else:
    claims = jwt.decode(
        req["token"],
        key,
        algorithms=[req["alg"]],
        audience=req.get("aud"),
        issuer=req.get("iss"),
        options={"require": ["exp"]},
    )
    print(json.dumps(claims))
