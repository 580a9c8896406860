// The DPoP comparison of BENCHMARKS.md, "A DPoP-bound request": `jose`'s `jwtVerify` of a
// DPoP proof with its embedded JWK (`EmbeddedJWK`, as oidc-provider checks proofs), for EdDSA
// and ES256 proofs shaped like ours (`jti`, `htm`, `htu`, `iat`, `ath`). Node's crypto is
// OpenSSL (C and assembly). Prints the median ns per verify of ROUNDS rounds of BATCH.
//
//   node bench/dpop/jose.mjs    (jose from the test provider's install: target/oidc-provider)
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../target/oidc-provider/package.json', import.meta.url));
const jose = await import(require.resolve('jose'));

const rounds = Number(process.env.ROUNDS || 41);
const batch = Number(process.env.BATCH || 1000);
const b64 = (buf) => buf.toString('base64url');

for (const alg of ['EdDSA', 'ES256']) {
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true });
  const jwk = await jose.exportJWK(publicKey);
  const token = 'x'.repeat(577);
  const proof = await new jose.SignJWT({
    jti: b64(randomBytes(16)),
    htm: 'GET',
    htu: 'https://shop.example/api/orders',
    iat: Math.floor(Date.now() / 1000),
    ath: b64(createHash('sha256').update(token).digest()),
  })
    .setProtectedHeader({ typ: 'dpop+jwt', alg, jwk })
    .sign(privateKey);
  const verify = () => jose.jwtVerify(proof, jose.EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [alg] });
  for (let i = 0; i < batch; i += 1) await verify();
  const times = [];
  for (let r = 0; r < rounds; r += 1) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < batch; i += 1) await verify();
    times.push(Number(process.hrtime.bigint() - start) / batch);
  }
  times.sort((a, b) => a - b);
  console.log(`${alg}: proof ${proof.length} B, jose jwtVerify + EmbeddedJWK median ${Math.round(times[times.length >> 1])} ns`);
}
