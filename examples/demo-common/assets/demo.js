// The demo page's script: plain JavaScript, no build step, no third-party code. It calls the
// demo's own routes and says under each action what happened on the server.
"use strict";

const $ = (id) => document.getElementById(id);
const FORM = { "Content-Type": "application/x-www-form-urlencoded" };
const JSON_BODY = { "Content-Type": "application/json" };

/** One request to the demo: its status and its JSON body (if any). */
async function call(method, path, body, headers) {
  const response = await fetch(path, { method, body, headers, credentials: "same-origin" });
  let json = null;
  try { json = await response.json(); } catch (_) { /* no body */ }
  return { status: response.status, json };
}

/** Writes what the server did under an action. */
function note(id, ok, text) {
  const el = $(id);
  if (!el) return;
  el.textContent = text;
  el.className = "server " + (ok ? "ok" : "bad");
}

function refusal(r) {
  return r.json && r.json.error ? `${r.status} ${r.json.error}` : `${r.status}`;
}

// ---- Session half: the cart ------------------------------------------------------------

function renderCart(items) {
  const list = $("cart");
  if (!list) return;
  list.replaceChildren();
  const names = Object.keys(items);
  if (names.length === 0) {
    const li = document.createElement("li");
    li.className = "empty";
    li.textContent = "the cart is empty";
    list.append(li);
  }
  for (const name of names) {
    const li = document.createElement("li");
    const label = document.createElement("span");
    label.textContent = `${name} × ${items[name]}`;
    const remove = document.createElement("button");
    remove.className = "quiet";
    remove.textContent = "remove";
    remove.dataset.remove = name;
    li.append(label, remove);
    list.append(li);
  }
}

async function loadCart() {
  const r = await call("GET", "/api/cart");
  if (r.status === 200) renderCart(r.json.items);
  return r;
}

async function add(item) {
  const r = await call("POST", "/api/cart/add", "item=" + encodeURIComponent(item), FORM);
  if (r.status === 200) {
    renderCart(r.json.items);
    note("cart-note", true, `POST /api/cart/add → 200: one atomic commit changed only the line ` +
      `"${item}" of this session's cart (re-run on the fresh value if another tab changed that ` +
      `line meanwhile); lines other tabs add at the same time are kept.`);
  } else {
    note("cart-note", false, `POST /api/cart/add → ${refusal(r)}: nothing was saved.`);
  }
  return r.status;
}

async function remove(item) {
  const r = await call("POST", "/api/cart/remove", "item=" + encodeURIComponent(item), FORM);
  if (r.status === 200) {
    renderCart(r.json.items);
    note("cart-note", true, `POST /api/cart/remove → 200: the line "${item}" was deleted from ` +
      `the session in one atomic commit; the rest of the session was not rewritten.`);
  } else {
    note("cart-note", false, `POST /api/cart/remove → ${refusal(r)}: nothing was saved.`);
  }
  return r.status;
}

// ---- Session half: your sessions -------------------------------------------------------

function when(secs) {
  return new Date(secs * 1000).toLocaleString();
}

async function loadSessions() {
  const table = $("sessions");
  if (!table) return;
  const r = await call("GET", "/api/sessions");
  if (r.status !== 200) {
    note("sessions-note", false, `GET /api/sessions → ${refusal(r)}`);
    return;
  }
  const body = table.querySelector("tbody");
  body.replaceChildren();
  for (const s of r.json.sessions) {
    const tr = document.createElement("tr");
    const cells = [s.handle.slice(0, 8) + "…", when(s.created), when(s.last_active)];
    for (const text of cells) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    const action = document.createElement("td");
    if (s.current) {
      action.className = "this";
      action.textContent = "this browser";
    } else {
      const end = document.createElement("button");
      end.className = "danger";
      end.textContent = "end this one";
      end.dataset.end = s.handle;
      action.append(end);
    }
    tr.append(action);
    body.append(tr);
  }
}

async function endSession(handle) {
  const r = await call("POST", "/api/sessions/end", "handle=" + encodeURIComponent(handle), FORM);
  note("sessions-note", r.status === 200, r.status === 200
    ? `POST /api/sessions/end → 200: the session ${handle.slice(0, 8)}… was deleted from the ` +
      `store; its browser is signed out on its next request. (Handles are derived from the ` +
      `stored key; no session id ever reaches this page.)`
    : `POST /api/sessions/end → ${refusal(r)}`);
  await loadSessions();
}

async function logoutEverywhere() {
  const r = await call("POST", "/api/logout-all");
  note("sessions-note", r.status === 204, r.status === 204
    ? "POST /api/logout-all → 204: every session and every refresh-token family of this user " +
      "was deleted; the cookie is removed. Reloading…"
    : `POST /api/logout-all → ${refusal(r)}`);
  if (r.status === 204) setTimeout(() => location.reload(), 1200);
}

// ---- Token half ------------------------------------------------------------------------

const tokens = { access: null, refresh: null, spent: null, bound: false };

// ---- DPoP: the pair bound to a key made in this browser (RFC 9449) ------------------------

const dpop = { keys: null, jwk: null };

function b64url(bytes) {
  let s = "";
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const utf8 = (s) => new TextEncoder().encode(s);

/** A new P-256 key pair whose private half is not extractable: this page can sign with it,
 * no script can read it out. */
async function newDpopKey() {
  dpop.keys = await crypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: "P-256" }, false, ["sign", "verify"]);
  const { kty, crv, x, y } = await crypto.subtle.exportKey("jwk", dpop.keys.publicKey);
  dpop.jwk = { kty, crv, x, y };
}

/** A DPoP proof for `method` on this origin's `path` (with the access token's hash). */
async function proof(method, path, accessToken) {
  const header = { typ: "dpop+jwt", alg: "ES256", jwk: dpop.jwk };
  const claims = {
    jti: b64url(crypto.getRandomValues(new Uint8Array(16))),
    htm: method,
    htu: location.origin + path,
    iat: Math.floor(Date.now() / 1000),
  };
  if (accessToken) claims.ath = b64url(await crypto.subtle.digest("SHA-256", utf8(accessToken)));
  const input = b64url(utf8(JSON.stringify(header))) + "." + b64url(utf8(JSON.stringify(claims)));
  const signature = await crypto.subtle.sign(
    { name: "ECDSA", hash: "SHA-256" }, dpop.keys.privateKey, utf8(input));
  return input + "." + b64url(signature);
}

/** The headers of a call with `token`: `DPoP` and a fresh proof when the pair is bound. */
async function authHeaders(method, path, token = tokens.access) {
  if (!tokens.bound) return { Authorization: "Bearer " + token };
  return { Authorization: "DPoP " + token, DPoP: await proof(method, path, token) };
}

function short(token) {
  return token ? token.slice(0, 24) + "…" + token.slice(-8) : "–";
}

function showTokens() {
  $("access").textContent = short(tokens.access);
  $("refresh").textContent = short(tokens.refresh);
  $("spent").textContent = short(tokens.spent);
}

async function getTokens(event) {
  event.preventDefault();
  const body = JSON.stringify({
    username: $("token-username").value,
    password: $("token-password").value,
  });
  const bind = $("dpop") && $("dpop").checked;
  const headers = { ...JSON_BODY };
  if (bind) {
    await newDpopKey();
    headers.DPoP = await proof("POST", "/api/token");
  }
  const r = await call("POST", "/api/token", body, headers);
  if (r.status === 200) {
    tokens.access = r.json.access_token;
    tokens.refresh = r.json.refresh_token;
    tokens.spent = null;
    tokens.bound = r.json.token_type === "DPoP";
    note("token-note", true, `POST /api/token → 200: an access token (at+jwt, signed with the ` +
      `current key of the published set, valid ${r.json.expires_in} s) and a single-use refresh ` +
      `token, stored only as its hash in a new refresh family.` + (tokens.bound
        ? ` Both are bound to a key made in this browser (DPoP, token_type ${r.json.token_type}): ` +
          `its private half cannot be read out, and every call carries a fresh proof signed with it.`
        : ""));
    note("dpop-note", true, tokens.bound
      ? "bound to this browser's key: a copy of the token is useless without it"
      : "a bearer pair: whoever holds the access token can use it");
  } else {
    note("token-note", false, `POST /api/token → ${refusal(r)}`);
  }
  showTokens();
}

async function callApi() {
  if (!tokens.access) return note("token-note", false, "get a token pair first");
  const headers = await authHeaders("GET", "/api/token/me");
  const r = await call("GET", "/api/token/me", undefined, headers);
  note("token-note", r.status === 200, r.status === 200
    ? `GET /api/token/me → 200 for ${r.json.user}: signature checked against the published ` +
      `keys, then exp, iss, aud, typ and the revocation list` +
      (tokens.bound ? ", then the DPoP proof: this browser's key, this URL, fresh, used once. " : ". ") +
      `No session was read.`
    : `GET /api/token/me → ${refusal(r)}: the token is refused.`);
  if (r.status === 200 && tokens.bound) {
    // What someone who copied the request (from a log, a proxy) gets: the same token and the
    // same proof replayed, as curl would send them, and the token alone as a bearer token.
    const replayed = await call("GET", "/api/token/me", undefined, headers);
    const bearer = await call("GET", "/api/token/me", undefined,
      { Authorization: "Bearer " + tokens.access });
    $("replay").textContent = `curl -H 'Authorization: DPoP ${short(tokens.access)}' ` +
      `-H 'DPoP: ${short(headers.DPoP)}' ${location.origin}/api/token/me → ${refusal(replayed)}; ` +
      `as 'Authorization: Bearer …' → ${refusal(bearer)}`;
  }
}

async function refresh(token, label) {
  const body = JSON.stringify({ refresh_token: token });
  const headers = { ...JSON_BODY };
  if (tokens.bound) headers.DPoP = await proof("POST", "/api/token/refresh");
  return [await call("POST", "/api/token/refresh", body, headers), label];
}

async function doRefresh() {
  if (!tokens.refresh) return note("token-note", false, "get a token pair first");
  const [r] = await refresh(tokens.refresh);
  if (r.status === 200) {
    tokens.spent = tokens.refresh;
    tokens.access = r.json.access_token;
    tokens.refresh = r.json.refresh_token;
    note("token-note", true, "POST /api/token/refresh → 200: the old refresh token is now " +
      "spent (kept below to try again), a new pair was issued in the same family.");
  } else {
    note("token-note", false, `POST /api/token/refresh → ${refusal(r)}`);
  }
  showTokens();
}

async function reuse() {
  if (!tokens.spent) return note("token-note", false, "refresh once first");
  const [r] = await refresh(tokens.spent);
  if (r.status === 200) {
    const same = r.json.refresh_token === tokens.refresh;
    note("token-note", same, same
      ? "POST /api/token/refresh with the spent token → 200 with the same pair: it was spent " +
        "moments ago (within the reuse interval), as when a client has several requests in " +
        "flight. Nothing was revoked; try again in a few seconds."
      : "POST /api/token/refresh with the spent token → 200 with another pair");
    return;
  }
  note("token-note", r.status === 401, r.status === 401
    ? `POST /api/token/refresh with the spent token → ${refusal(r)}: a spent token came back ` +
      `after the reuse interval, so someone copied it. The whole family is revoked: the ` +
      `current refresh token is dead too (try "refresh").`
    : `POST /api/token/refresh → ${r.status}`);
}

/** A client with `n` requests in flight when the server refuses its access token (as when it
 * expired): each refreshes with the refresh token the client holds, then calls again. */
async function burst(n = 20) {
  if (!tokens.refresh) return note("token-note", false, "get a token pair first");
  const held = tokens.refresh;
  const refused = (tokens.access || "x.y.z").slice(0, -4) + "AAAA";
  const one = async () => {
    const first = await call("GET", "/api/token/me", undefined, { Authorization: "Bearer " + refused });
    if (first.status !== 401) return { error: `api ${first.status}` };
    const [f] = await refresh(held);
    if (f.status !== 200) return { error: `refresh ${refusal(f)}` };
    const again = await call("GET", "/api/token/me", undefined,
      await authHeaders("GET", "/api/token/me", f.json.access_token));
    return again.status === 200 ? f.json : { error: `api ${refusal(again)}` };
  };
  const results = await Promise.all(Array.from({ length: n }, one));
  const errors = results.filter((r) => r.error).map((r) => r.error);
  const pairs = new Set(results.filter((r) => !r.error).map((r) => r.refresh_token));
  const ok = errors.length === 0 && pairs.size === 1;
  if (ok) {
    tokens.spent = held;
    tokens.access = results[0].access_token;
    tokens.refresh = results[0].refresh_token;
  }
  note("token-note", ok, ok
    ? `${n} API calls with a refused access token, each refreshing with the same refresh ` +
      `token: ${n} × 200 with one new pair, one family, still signed in.`
    : `${n} calls: ${errors.length} failed (${[...new Set(errors)].join(", ")}), ` +
      `${pairs.size} different pairs`);
  showTokens();
}

async function revoke() {
  if (!tokens.access) return note("token-note", false, "get a token pair first");
  const r = await call("POST", "/api/token/revoke", undefined,
    await authHeaders("POST", "/api/token/revoke"));
  note("token-note", r.status === 204, r.status === 204
    ? "POST /api/token/revoke → 204: this access token's jti is on the revocation list until " +
      "its exp, and its refresh family is revoked; try calling the API again."
    : `POST /api/token/revoke → ${refusal(r)}`);
}

// ---- Wiring ----------------------------------------------------------------------------

document.addEventListener("click", (event) => {
  const target = event.target;
  if (!(target instanceof HTMLElement)) return;
  if (target.dataset.add) add(target.dataset.add);
  else if (target.dataset.remove) remove(target.dataset.remove);
  else if (target.dataset.end) endSession(target.dataset.end);
});

document.addEventListener("DOMContentLoaded", () => {
  const on = (id, type, handler) => { const el = $(id); if (el) el.addEventListener(type, handler); };
  on("token-form", "submit", getTokens);
  on("call-api", "click", callApi);
  on("do-refresh", "click", doRefresh);
  on("burst", "click", () => burst(20));
  on("reuse", "click", reuse);
  on("revoke", "click", revoke);
  on("logout-all", "click", logoutEverywhere);
  if ($("cart")) {
    loadCart();
    loadSessions();
  }
});

// For tests and the console: the page's actions.
window.demo = { add, remove, loadCart, loadSessions };
