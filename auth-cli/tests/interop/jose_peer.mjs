// `jose` (npm) as an interop peer: one JSON request on stdin, the result on stdout.
import { readFileSync } from 'node:fs';
import * as jose from 'jose';

const req = JSON.parse(readFileSync(0, 'utf8'));
const key = jose.base64url.decode(req.key);
if (req.op === 'sign') {
  const token = await new jose.SignJWT(req.claims)
    .setProtectedHeader({ alg: req.alg, typ: 'JWT', kid: 'peer' })
    .sign(key);
  console.log(token);
} else {
  const { payload } = await jose.jwtVerify(req.token, key, {
    algorithms: [req.alg],
    issuer: req.iss,
    audience: req.aud,
    requiredClaims: ['exp'],
  });
  console.log(JSON.stringify(payload));
}
