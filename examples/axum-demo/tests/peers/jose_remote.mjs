// Verifies the demo's access tokens as a `jose` user would: discovery, then
// createRemoteJWKSet + jwtVerify (default caching) with the issuer, audience and `typ` of
// RFC 9068. One token per line on stdin, with the same key-set client throughout; prints
// "ok <sub> <extras>" (the granted claims `roles`, `scope` and `tenant` as compact JSON, keys
// sorted) or "err <code>" per token.
import { createInterface } from 'node:readline';
import { createRemoteJWKSet, jwtVerify } from 'jose';

const issuer = process.argv[2];
const meta = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
if (meta.issuer !== issuer) {
  throw new Error(`metadata issuer ${meta.issuer}`);
}
const jwks = createRemoteJWKSet(new URL(meta.jwks_uri));
for await (const token of createInterface({ input: process.stdin })) {
  try {
    const { payload } = await jwtVerify(token, jwks, { issuer, audience: issuer, typ: 'at+jwt' });
    const extras = JSON.stringify({
      roles: payload.roles ?? null,
      scope: payload.scope ?? null,
      tenant: payload.tenant ?? null,
    });
    console.log(`ok ${payload.sub} ${extras}`);
  } catch (e) {
    console.log(`err ${e.code ?? e.message}`);
  }
}
