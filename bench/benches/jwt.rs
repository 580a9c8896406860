//! HS256 sign and verify: auth-core against jsonwebtoken (rust_crypto backend), jwt-compact and
//! jwt-simple, plus floors. Verify = MAC + exp/nbf/iss/aud validation + typed claims, for all.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;
use std::hint::black_box;

use auth_bench::{AUD, Claims, ISS, KEY, claims, jsonwebtoken_rules, our_key, rules, token};
use auth_core::UnixTime;
use auth_core::jwt;
use base64::Engine;
use criterion::{Criterion, criterion_group, criterion_main};
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

fn verify(c: &mut Criterion) {
    jsonwebtoken::crypto::CryptoProvider::install_default(
        &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER,
    )
    .unwrap();
    let token = token();
    let mut g = c.benchmark_group("hs256_verify");

    let key = our_key();
    g.bench_function("auth_core", |b| {
        b.iter(|| {
            jwt::verify::<Claims, _>(black_box(&token), &key, &rules(), UnixTime::now()).unwrap()
        })
    });

    let jwt_key = jsonwebtoken::DecodingKey::from_secret(&KEY);
    let v = jsonwebtoken_rules();
    g.bench_function("jsonwebtoken_rust_crypto", |b| {
        b.iter(|| jsonwebtoken::decode::<Claims>(black_box(&token), &jwt_key, &v).unwrap())
    });

    #[derive(Serialize, Deserialize)]
    struct CompactCustom {
        sub: String,
        iss: String,
        aud: String,
        jti: String,
        role: String,
    }
    use jwt_compact::AlgorithmExt;
    let compact_key = jwt_compact::alg::Hs256Key::new(KEY);
    let time = jwt_compact::TimeOptions::default();
    g.bench_function("jwt_compact", |b| {
        b.iter(|| {
            let untrusted = jwt_compact::UntrustedToken::new(black_box(&token)).unwrap();
            let t = jwt_compact::alg::Hs256
                .validator::<CompactCustom>(&compact_key)
                .validate(&untrusted)
                .unwrap();
            t.claims()
                .validate_expiration(&time)
                .unwrap()
                .validate_maturity(&time)
                .unwrap();
            assert!(t.claims().custom.iss == ISS && t.claims().custom.aud == AUD);
            t
        })
    });

    #[derive(Serialize, Deserialize, Clone)]
    struct SimpleCustom {
        role: String,
    }
    use jwt_simple::prelude::MACLike;
    let simple_key = jwt_simple::prelude::HS256Key::from_bytes(&KEY);
    let opts = jwt_simple::prelude::VerificationOptions {
        allowed_issuers: Some(HashSet::from([ISS.to_string()])),
        allowed_audiences: Some(HashSet::from([AUD.to_string()])),
        ..Default::default()
    };
    g.bench_function("jwt_simple", |b| {
        b.iter(|| {
            simple_key
                .verify_token::<SimpleCustom>(black_box(&token), Some(opts.clone()))
                .unwrap()
        })
    });

    // Floors: what any verifier must at least do.
    let (signing_input, _) = token.rsplit_once('.').unwrap();
    let payload_b64 = signing_input.split_once('.').unwrap().1;
    let mac = Hmac::<Sha256>::new_from_slice(&KEY).unwrap();
    g.bench_function("floor_raw_hmac", |b| {
        b.iter(|| {
            mac.clone()
                .chain_update(black_box(signing_input.as_bytes()))
                .finalize()
        })
    });
    g.bench_function("floor_unavoidable_parts", |b| {
        b.iter(|| {
            let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(black_box(payload_b64))
                .unwrap();
            let tag = mac
                .clone()
                .chain_update(black_box(signing_input.as_bytes()))
                .finalize();
            let claims: Claims = serde_json::from_slice(&payload).unwrap();
            (tag, claims)
        })
    });
    g.finish();
}

fn sign(c: &mut Criterion) {
    let claims = claims();
    let mut g = c.benchmark_group("hs256_sign");

    let key = our_key();
    g.bench_function("auth_core", |b| {
        b.iter(|| key.sign(black_box(&claims)).unwrap())
    });

    let jwt_key = jsonwebtoken::EncodingKey::from_secret(&KEY);
    let header = jsonwebtoken::Header::default();
    g.bench_function("jsonwebtoken_rust_crypto", |b| {
        b.iter(|| jsonwebtoken::encode(&header, black_box(&claims), &jwt_key).unwrap())
    });

    use jwt_compact::AlgorithmExt;
    let compact_key = jwt_compact::alg::Hs256Key::new(KEY);
    let compact_claims = jwt_compact::Claims::new(claims.clone());
    let compact_header = jwt_compact::Header::empty().with_token_type("JWT");
    g.bench_function("jwt_compact", |b| {
        b.iter(|| {
            jwt_compact::alg::Hs256
                .token(&compact_header, black_box(&compact_claims), &compact_key)
                .unwrap()
        })
    });

    use jwt_simple::prelude::MACLike;
    let simple_key = jwt_simple::prelude::HS256Key::from_bytes(&KEY);
    let simple_claims = jwt_simple::prelude::JWTClaims {
        issued_at: Some(jwt_simple::prelude::UnixTimeStamp::from_secs(claims.iat)),
        expires_at: Some(jwt_simple::prelude::UnixTimeStamp::from_secs(claims.exp)),
        invalid_before: Some(jwt_simple::prelude::UnixTimeStamp::from_secs(claims.nbf)),
        issuer: Some(claims.iss.clone()),
        subject: Some(claims.sub.clone()),
        audiences: Some(jwt_simple::prelude::Audiences::AsString(claims.aud.clone())),
        jwt_id: Some(claims.jti.clone()),
        nonce: None,
        custom: std::collections::BTreeMap::from([("role".to_string(), claims.role.clone())]),
    };
    g.bench_function("jwt_simple", |b| {
        b.iter(|| {
            simple_key
                .authenticate(black_box(simple_claims.clone()))
                .unwrap()
        })
    });

    // Floor: what any signer must at least do: serialize the claims, and one HMAC over a
    // signing input of the same length (base64url encoding left out: a strict lower bound).
    let signing_input = token().rsplit_once('.').unwrap().0.to_string();
    let mac = Hmac::<Sha256>::new_from_slice(&KEY).unwrap();
    g.bench_function("floor_serialize_and_hmac", |b| {
        b.iter(|| {
            let mut json = Vec::with_capacity(384);
            serde_json::to_writer(&mut json, black_box(&claims)).unwrap();
            let tag = mac
                .clone()
                .chain_update(black_box(signing_input.as_bytes()))
                .finalize();
            (json, tag)
        })
    });
    g.finish();
}

criterion_group!(benches, verify, sign);
criterion_main!(benches);
