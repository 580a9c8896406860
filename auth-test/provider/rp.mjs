// openid-client (pinned by package-lock.json) as the other relying party of auth-oidc's
// hostile-provider differential: finishes one login the way its documentation shows
// (discovery, then authorizationCodeGrant with the login's PKCE verifier, state and nonce),
// against the test's provider, and prints one line: "accepted" or "refused <error code>".
//
//   node rp.mjs ISSUER CLIENT_ID SECRET CALLBACK_URL STATE NONCE VERIFIER
import * as client from 'openid-client';

const [issuer, clientId, secret, callback, state, nonce, verifier] = process.argv.slice(2);
try {
  // The hostile provider signs ID tokens with EdDSA (openid-client expects RS256 by default).
  const metadata = { client_secret: secret, id_token_signed_response_alg: 'EdDSA' };
  const config = await client.discovery(new URL(issuer), clientId, metadata, undefined, {
    execute: [client.allowInsecureRequests],
  });
  await client.authorizationCodeGrant(config, new URL(callback), {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  console.log('accepted');
} catch (e) {
  console.log(`refused ${e.code ?? e.name ?? 'error'}`);
  if (process.env.RP_DEBUG) console.error(e);
}
