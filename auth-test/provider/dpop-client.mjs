// DPoP clients of other implementations (pinned by package-lock.json), for the DPoP peer tests.
// Each prints one JSON line and exits.
//
//   node dpop-client.mjs provider ISSUER RESOURCE API_BASE
//     openid-client 6: a client-credentials grant at the provider with its DPoP handle (a
//     DPoP-bound access token for RESOURCE), then GET API_BASE/api/orders twice with that
//     handle (which follows `use_dpop_nonce` once and keeps the server's nonces). Prints the
//     token, each call's status and how many HTTP requests it took, and the last DPoP header.
//
//   node dpop-client.mjs demo DEMO_BASE
//     the `dpop` package: a key pair, a proof for POST DEMO_BASE/api/token (ada's password),
//     then a proof with the token's `ath` for GET DEMO_BASE/api/token/me. Then openid-client,
//     configured by the demo's own discovery document, calls GET DEMO_BASE/api/token/orders
//     with the same token and a DPoP handle of the same key. Prints the pair's token type, the
//     access token, both calls' statuses and the first call's proof.
import * as client from 'openid-client';
import * as dpop from 'dpop';

const [mode, ...args] = process.argv.slice(2);

if (mode === 'provider') {
  const [issuer, resource, api] = args;
  const config = await client.discovery(
    new URL(issuer),
    'shop',
    undefined,
    client.ClientSecretPost('shop-secret-of-the-tests-only'),
    { execute: [client.allowInsecureRequests] },
  );
  // Count the requests to the API and keep the last proof sent to it.
  let calls = 0;
  let lastProof = null;
  config[client.customFetch] = (url, options) => {
    if (url.startsWith(api)) {
      calls += 1;
      lastProof = new Headers(options.headers).get('dpop');
    }
    return fetch(url, options);
  };
  const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
  const tokens = await client.clientCredentialsGrant(
    config,
    { resource, scope: 'orders:read' },
    { DPoP },
  );
  const results = [];
  for (let i = 0; i < 2; i += 1) {
    calls = 0;
    const response = await client.fetchProtectedResource(
      config,
      tokens.access_token,
      new URL(`${api}/api/orders`),
      'GET',
      undefined,
      undefined,
      { DPoP },
    );
    results.push({ status: response.status, body: await response.text(), calls });
  }
  console.log(JSON.stringify({
    token_type: tokens.token_type,
    access_token: tokens.access_token,
    results,
    last_proof: lastProof,
  }));
} else if (mode === 'demo') {
  const [base] = args;
  const keyPair = await dpop.generateKeyPair('ES256');
  const tokenUrl = `${base}/api/token`;
  const pairResponse = await fetch(tokenUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      dpop: await dpop.generateProof(keyPair, tokenUrl, 'POST'),
    },
    body: JSON.stringify({ username: 'ada', password: 'lovelace-1815' }),
  });
  const pair = await pairResponse.json();
  const meUrl = `${base}/api/token/me`;
  const proof = await dpop.generateProof(keyPair, meUrl, 'GET', undefined, pair.access_token);
  const me = await fetch(meUrl, {
    headers: { authorization: `DPoP ${pair.access_token}`, dpop: proof },
  });
  const body = await me.text();
  const config = await client.discovery(new URL(base), 'demo-client', undefined, client.None(), {
    execute: [client.allowInsecureRequests],
  });
  const orders = await client.fetchProtectedResource(
    config,
    pair.access_token,
    new URL(`${base}/api/token/orders`),
    'GET',
    undefined,
    undefined,
    { DPoP: client.getDPoPHandle(config, keyPair) },
  );
  console.log(JSON.stringify({
    token_type: pair.token_type,
    access_token: pair.access_token,
    status: me.status,
    body,
    proof,
    openid_client_status: orders.status,
  }));
} else {
  console.error('usage: node dpop-client.mjs provider ISSUER RESOURCE API_BASE | demo DEMO_BASE');
  process.exit(2);
}
