// The OpenID provider of auth-oidc's tests: oidc-provider (pinned by package-lock.json), on
// 127.0.0.1:$PORT, issuing JWT access tokens (RFC 9068) through the client-credentials grant
// for three resources, one per signing algorithm: EdDSA, ES256 and RS256, and (a test-only
// grant) ID tokens. Its keys are made at start; with ROTATED=1 a fresh key of each algorithm
// comes first in the published set and signs (the old ones stay published), as a provider does
// after a rotation. Prints "ready <issuer>" when listening.
//
// With DPOP_NONCE=1 every DPoP proof (at the token endpoint and at UserInfo) must carry the
// provider's nonce (`use_dpop_nonce` first), as a provider that turns on nonces does.
//
// For single sign-on (auth-oidc's tests/sign_in.rs): relying-party clients for the
// authorization code flow (`web`: client_secret_basic; `web-par`: pushed requests required;
// `web-jwt`: private_key_jwt with the public key in CLIENT_JWK), all redirecting to
// REDIRECT_URI, and a test-only interaction that signs in the user named by `login_hint`
// (default `alice`) and grants what was asked, so that a test drives the whole flow over plain
// HTTP. No password is involved: the relying party's side is what is under test.
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

// `scripts/dev-provider.sh` (DEV_DEMOS=3000,3001): a client `demo-<port>` for the demo on each
// port, and oidc-provider's own development login and consent pages (any user name and
// password), so that a person signs in once and the second demo needs no password.
const devDemos = (process.env.DEV_DEMOS || '').split(',').filter(Boolean);
const demoClients = devDemos.map((demoPort) => {
  const base = `http://127.0.0.1:${demoPort}`;
  return {
    client_id: `demo-${demoPort}`,
    client_secret: 'demo-secret',
    token_endpoint_auth_method: 'client_secret_basic',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [`${base}/login/sso/callback`],
    post_logout_redirect_uris: [`${base}/logout/sso/done`],
    backchannel_logout_uri: `${base}/backchannel-logout`,
    backchannel_logout_session_required: true,
  };
});

const redirectUri = process.env.REDIRECT_URI || 'http://127.0.0.1:9/cb';
const rpClients = [
  { client_id: 'web', client_secret: 'web-secret-of-the-tests-only', token_endpoint_auth_method: 'client_secret_basic' },
  { client_id: 'web-par', client_secret: 'web-secret-of-the-tests-only', token_endpoint_auth_method: 'client_secret_basic', require_pushed_authorization_requests: true },
  ...(process.env.CLIENT_JWK ? [{
    client_id: 'web-jwt',
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'EdDSA',
    jwks: { keys: [JSON.parse(process.env.CLIENT_JWK)] },
  }] : []),
].map((client) => ({
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  redirect_uris: [redirectUri],
  post_logout_redirect_uris: [process.env.POST_LOGOUT_URI || 'http://127.0.0.1:9/bye'],
  // `sid` in ID tokens, and where logout tokens go.
  backchannel_logout_uri: process.env.BACKCHANNEL_URI || 'http://127.0.0.1:9/backchannel',
  backchannel_logout_session_required: true,
  ...client,
}));

const provider = new Provider(issuer, {
  jwks: { keys },
  ttl: { IdToken: 600, AccessToken: Number(process.env.ACCESS_TTL || 3600) },
  ...(devDemos.length ? {
    // The demos are first-party clients: no consent page, the scopes asked are granted.
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId
        || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) {
        return ctx.oidc.provider.Grant.find(grantId);
      }
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope(ctx.oidc.params.scope || 'openid');
      await grant.save();
      return grant;
    },
  } : { interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` } }),
  // Back-channel logout requests go to the tests' relying parties on loopback: the provider's
  // block on special-use addresses is lifted here (a test configuration, never a deployment's).
  fetch: (url, options) => {
    const { dispatcher, ...rest } = options;
    return globalThis.fetch(url, rest);
  },
  // Refresh tokens for the relying-party clients without the `offline_access` dance.
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  clients: [...rpClients, ...demoClients, {
    client_id: 'shop',
    client_secret: 'shop-secret-of-the-tests-only',
    grant_types: ['client_credentials', ID_TOKEN_GRANT],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  features: {
    ...(process.env.DPOP_NONCE === '1' ? {
      dPoP: { enabled: true, nonceSecret: Buffer.alloc(32, 7), requireNonce: () => true },
    } : {}),
    devInteractions: { enabled: devDemos.length > 0 },
    backchannelLogout: { enabled: true },
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

// How many refresh-token grants succeeded: the tests read it (`GET /test/refresh-grants`) to
// see that many calls at once caused one refresh.
let refreshGrants = 0;
provider.on('grant.success', (ctx) => {
  if (ctx.oidc.params?.grant_type === 'refresh_token') {
    refreshGrants += 1;
  }
});

// The test-only interaction: sign in `login_hint` (default alice), grant what was asked.
provider.use(async (ctx, next) => {
  if (!devDemos.length && ctx.method === 'GET' && ctx.path === '/test/refresh-grants') {
    ctx.body = String(refreshGrants);
    return undefined;
  }
  if (devDemos.length || ctx.method !== 'GET' || !ctx.path.startsWith('/interaction/')) {
    return next();
  }
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const accountId = details.params.login_hint || 'alice';
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: details.params.client_id });
  if (details.params.scope) {
    grant.addOIDCScope(details.params.scope);
  }
  const grantId = await grant.save();
  await provider.interactionFinished(ctx.req, ctx.res, {
    login: { accountId },
    consent: { grantId },
  }, { mergeWithLastSubmission: false });
  return undefined;
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
