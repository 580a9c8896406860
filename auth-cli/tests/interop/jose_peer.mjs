// `jose` (npm) as an interop peer: one JSON request on stdin, the result on stdout.
//
// Requests:
// - {op: "sign", alg, key (base64url secret) | jwk (private JWK), claims}
// - {op: "verify", alg, key | jwk (public JWK) | jwks (a JWK set), token, iss, aud}
// - {op: "keygen", alg}: prints {private: JWK, public: JWK, pem: SPKI PEM}
import { readFileSync } from 'node:fs';
import * as jose from 'jose';

const req = JSON.parse(readFileSync(0, 'utf8'));
const alg = req.alg;

async function keyOf(req) {
  if (req.key !== undefined) return jose.base64url.decode(req.key);
  if (req.jwks !== undefined) return jose.createLocalJWKSet(req.jwks);
  return jose.importJWK(req.jwk, alg);
}

if (req.op === 'keygen') {
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true });
  const pub = { ...(await jose.exportJWK(publicKey)), kid: 'peer' };
  const priv = { ...(await jose.exportJWK(privateKey)), kid: 'peer' };
  console.log(JSON.stringify({ private: priv, public: pub, pem: await jose.exportSPKI(publicKey) }));
} else if (req.op === 'sign') {
  const token = await new jose.SignJWT(req.claims)
    .setProtectedHeader({ alg, typ: 'JWT', kid: 'peer' })
    .sign(await keyOf(req));
  console.log(token);
} else {
  const { payload } = await jose.jwtVerify(req.token, await keyOf(req), {
    algorithms: [alg],
    issuer: req.iss,
    audience: req.aud,
    requiredClaims: ['exp'],
  });
  console.log(JSON.stringify(payload));
}
