// The OpenID provider of auth-oidc's tests: oidc-provider (pinned by package-lock.json), on
// 127.0.0.1:$PORT, issuing JWT access tokens (RFC 9068) through the client-credentials grant
// for three resources, one per signing algorithm: EdDSA, ES256 and RS256, and (a test-only
// grant) ID tokens. Its keys are made at start; with ROTATED=1 a fresh key of each algorithm
// comes first in the published set and signs (the old ones stay published), as a provider does
// after a rotation. Prints "ready <issuer>" when listening.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import Provider, { errors } from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const keysFile = process.env.KEYS_FILE;

const make = (generation) => [
  { ...generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }), alg: 'EdDSA', kid: `ed-${generation}` },
  { ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }), alg: 'ES256', kid: `es-${generation}` },
  { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), alg: 'RS256', kid: `rs-${generation}` },
].map((key) => ({ ...key, use: 'sig' }));

// The same keys across a restart (KEYS_FILE), plus a new generation when ROTATED=1.
let keys = keysFile && existsSync(keysFile) ? JSON.parse(readFileSync(keysFile, 'utf8')) : make(1);
if (process.env.ROTATED === '1') {
  keys = [...make(2), ...keys];
}
if (keysFile) {
  writeFileSync(keysFile, JSON.stringify(keys));
}

const resources = {
  'https://api.example.com/eddsa': 'EdDSA',
  'https://api.example.com/es256': 'ES256',
  'https://api.example.com/rs256': 'RS256',
};
// The newest key of each algorithm signs.
const signer = (alg) => keys.find((k) => k.alg === alg).kid;

// A test-only grant that hands the client an ID token of its own (`sub` = the client), minted
// by the provider's own IdToken model with the provider's keys: the JWT a resource server must
// never take for an access token.
const ID_TOKEN_GRANT = 'urn:auth-oidc-tests:id-token';

const provider = new Provider(issuer, {
  jwks: { keys },
  ttl: { IdToken: 600 },
  clients: [{
    client_id: 'shop',
    client_secret: 'shop-secret-of-the-tests-only',
    grant_types: ['client_credentials', ID_TOKEN_GRANT],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      useGrantedResource: () => true,
      getResourceServerInfo(ctx, resource) {
        const alg = resources[resource];
        if (!alg) {
          throw new errors.InvalidTarget();
        }
        return {
          scope: 'orders:read orders:write',
          audience: resource,
          // A week: the tests move the verifier's clock hours ahead (outages, max-stale).
          accessTokenTTL: 7 * 24 * 3600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg, kid: signer(alg) } },
        };
      },
    },
  },
});

provider.registerGrantType(ID_TOKEN_GRANT, async (ctx) => {
  const token = new provider.IdToken({ sub: ctx.oidc.client.clientId }, { ctx });
  token.scope = 'openid';
  ctx.body = { id_token: await token.issue({ use: 'idtoken' }) };
}, []);

provider.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
