//! The two claim paths, `jwt::verify_in` (no allocator: the strict reader into a caller's
//! buffer) and `jwt::verify` (typed claims through the crate's `serde` deserializer), give the
//! same answer for every token of one corpus, and that answer is the expected one. A property
//! test then compares them on arbitrary payloads.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use auth_core::UnixTime;
use auth_core::jwt::{self, Hs256, Key, Validation};
use common::{KEY32, NOW, forge};
use proptest::prelude::*;
use serde::de::IgnoredAny;

/// Both paths over one token; panics if they disagree, returns their common answer.
fn both(token: &str, rules: &Validation<'_>) -> Result<(), &'static str> {
    let key = Key::<Hs256>::new(&KEY32).unwrap();
    let mut buf = [0u8; 2048];
    let no_alloc = jwt::verify_in(token, &key, rules, UnixTime(NOW), &mut buf);
    let typed = jwt::verify::<IgnoredAny, _>(token, &key, rules, UnixTime(NOW));
    let a = no_alloc.as_ref().map(|_| ()).map_err(|e| e.clone());
    let b = typed.as_ref().map(|_| ()).map_err(|e| e.clone());
    assert_eq!(a, b, "paths disagree on {token}");
    if let (Ok(c), Ok(v)) = (&no_alloc, &typed) {
        let r = v.registered();
        assert_eq!((c.exp(), c.nbf(), c.iat()), (r.exp(), r.nbf(), r.iat()));
        let mut s = [0u8; 256];
        assert_eq!(c.sub().and_then(|x| x.unescape_into(&mut s)), r.sub());
        assert_eq!(c.jti().and_then(|x| x.unescape_into(&mut s)), r.jti());
    }
    a.map_err(|e| e.code())
}

/// Any payload bytes, signed by the tests' independent HMAC.
fn sign(payload: &str, typ: Option<&str>) -> String {
    let header = format!(r#"{{"alg":"HS256","typ":"{}"}}"#, typ.unwrap_or("JWT"));
    forge("HS256", &KEY32, &header, payload)
}

/// The corpus: payload, which rules, expected answer (`Ok` or the error code).
fn corpus() -> Vec<(String, &'static str, Result<(), &'static str>)> {
    let exp = NOW + 600;
    let p = |s: &str| {
        s.replace("EXP", &exp.to_string())
            .replace("NOW", &NOW.to_string())
    };
    [
        // Valid, in several spellings.
        (r#"{"sub":"ada","exp":EXP}"#, "default", Ok(())),
        (r#" { "sub" : "ada" , "exp" : EXP } "#, "default", Ok(())),
        (r#"{"exp":EXP.0,"nbf":NOW,"iat":NOW}"#, "default", Ok(())),
        (r#"{"exp":1.7000006e9}"#, "default", Ok(())),
        (
            r#"{"exp":EXP,"x":[1,{"y":[true,null,"z"]}],"n":-1.5e-300}"#,
            "default",
            Ok(()),
        ),
        (
            r#"{"\u0065xp":EXP,"s\u0075b":"\u0061da"}"#,
            "default",
            Ok(()),
        ),
        (
            r#"{"sub":"ada","exp":EXP,"iss":"https://id.example","aud":"api"}"#,
            "iss+aud",
            Ok(()),
        ),
        (
            r#"{"exp":EXP,"iss":"https://id.example","aud":["x","api"]}"#,
            "iss+aud",
            Ok(()),
        ),
        (
            r#"{"exp":EXP,"iss":"https:\/\/id.example","aud":["\u0061pi"]}"#,
            "iss+aud",
            Ok(()),
        ),
        (
            r#"{"exp":EXP,"jti":"j-1","sub":"s","role":"r"}"#,
            "required",
            Ok(()),
        ),
        (r#"{"exp":EXP,"iat":NOW}"#, "lifetime", Ok(())),
        (r#"{"iat":NOW}"#, "no-exp", Ok(())),
        (r#"{}"#, "no-exp", Ok(())),
        // Not a claims object.
        (r#"[]"#, "default", Err("invalid_claims")),
        (r#""exp""#, "default", Err("invalid_claims")),
        (r#"{"exp":EXP"#, "default", Err("invalid_claims")),
        (r#"{"exp":EXP,}"#, "default", Err("invalid_claims")),
        (r#"{"exp":EXP}x"#, "default", Err("invalid_claims")),
        (
            r#"{"exp":EXP,"x":"\ud800"}"#,
            "default",
            Err("invalid_claims"),
        ),
        (r#"{"exp":EXP,"x":01}"#, "default", Err("invalid_claims")),
        (r#"{"exp":EXP,"x":NaN}"#, "default", Err("invalid_claims")),
        // Registered claims of the wrong type or range, or repeated.
        (r#"{"exp":"EXP"}"#, "default", Err("invalid_claim")),
        (r#"{"exp":-1}"#, "default", Err("invalid_claim")),
        (r#"{"exp":1e19}"#, "default", Err("invalid_claim")),
        (r#"{"exp":EXP,"nbf":true}"#, "default", Err("invalid_claim")),
        (r#"{"exp":EXP,"iat":null}"#, "default", Err("invalid_claim")),
        (r#"{"exp":EXP,"sub":1}"#, "default", Err("invalid_claim")),
        (
            r#"{"exp":EXP,"jti":["a"]}"#,
            "default",
            Err("invalid_claim"),
        ),
        (r#"{"exp":EXP,"iss":{}}"#, "iss+aud", Err("invalid_claim")),
        (
            r#"{"exp":EXP,"iss":"https://id.example","aud":["api",1]}"#,
            "iss+aud",
            Err("invalid_claim"),
        ),
        (
            r#"{"exp":EXP,"iss":"https://id.example","aud":[["api"]]}"#,
            "iss+aud",
            Err("invalid_claim"),
        ),
        (
            r#"{"exp":EXP,"exp":EXP}"#,
            "default",
            Err("duplicate_claim"),
        ),
        (
            r#"{"exp":EXP,"\u0065xp":EXP}"#,
            "default",
            Err("duplicate_claim"),
        ),
        (
            r#"{"exp":EXP,"sub":"a","sub":"b"}"#,
            "default",
            Err("duplicate_claim"),
        ),
        // Time.
        (r#"{"sub":"ada"}"#, "default", Err("missing_claim")),
        (r#"{"exp":NOW}"#, "default", Ok(())),
        (r#"{"exp":1699999940}"#, "default", Err("expired")),
        (r#"{"exp":1699999940.9}"#, "default", Err("expired")),
        (r#"{"exp":1699999941}"#, "default", Ok(())),
        (
            r#"{"exp":EXP,"nbf":1700000061}"#,
            "default",
            Err("not_yet_valid"),
        ),
        (
            r#"{"exp":EXP,"nbf":1700000060.1}"#,
            "default",
            Err("not_yet_valid"),
        ),
        (r#"{"exp":EXP,"nbf":1700000060}"#, "default", Ok(())),
        (
            r#"{"exp":EXP,"iat":1700000061}"#,
            "default",
            Err("issued_in_future"),
        ),
        (
            r#"{"exp":1700999999,"iat":NOW}"#,
            "lifetime",
            Err("lifetime_too_long"),
        ),
        (r#"{"exp":EXP}"#, "lifetime", Err("missing_claim")),
        // Issuer, audience, required claims, typ.
        (
            r#"{"exp":EXP,"aud":"api"}"#,
            "iss+aud",
            Err("missing_claim"),
        ),
        (
            r#"{"exp":EXP,"iss":"https://evil.example","aud":"api"}"#,
            "iss+aud",
            Err("wrong_issuer"),
        ),
        (
            r#"{"exp":EXP,"iss":"https://id.example"}"#,
            "iss+aud",
            Err("missing_claim"),
        ),
        (
            r#"{"exp":EXP,"iss":"https://id.example","aud":"apx"}"#,
            "iss+aud",
            Err("wrong_audience"),
        ),
        (
            r#"{"exp":EXP,"iss":"https://id.example","aud":[]}"#,
            "iss+aud",
            Err("wrong_audience"),
        ),
        (
            r#"{"exp":EXP,"aud":"api"}"#,
            "default",
            Err("unexpected_audience"),
        ),
        (
            r#"{"exp":EXP,"aud":[]}"#,
            "default",
            Err("unexpected_audience"),
        ),
        (
            r#"{"exp":EXP,"jti":"j-1","sub":"s"}"#,
            "required",
            Err("missing_claim"),
        ),
        (
            r#"{"exp":EXP,"jti":"j-1","sub":"s","r\u006fle":0}"#,
            "required",
            Ok(()),
        ),
        (r#"{"exp":EXP}"#, "typ", Err("wrong_typ")),
        // A bad type wins over a bad time: the shape is checked first.
        (r#"{"exp":1,"sub":2}"#, "default", Err("invalid_claim")),
    ]
    .into_iter()
    .map(|(payload, rules, expected)| (p(payload), rules, expected))
    .collect()
}

fn rules(name: &str) -> Validation<'static> {
    match name {
        "default" => Validation::new(),
        "iss+aud" => Validation::new()
            .issuer("https://id.example")
            .audience("api"),
        "required" => Validation::new().require(&["jti", "sub", "role"]),
        "lifetime" => Validation::new().max_lifetime(3600),
        "no-exp" => Validation::new().insecure_allow_missing_exp(),
        "typ" => Validation::new().typ("at+jwt"),
        other => panic!("no rules named {other}"),
    }
}

#[test]
fn both_paths_give_the_expected_answer_for_every_corpus_token() {
    for (payload, name, expected) in corpus() {
        let token = sign(&payload, None);
        assert_eq!(
            both(&token, &rules(name)),
            expected,
            "{payload} under {name}"
        );
    }
}

#[test]
fn both_paths_accept_a_matching_typ() {
    let token = sign(
        &format!(r#"{{"exp":{}}}"#, NOW + 1),
        Some("application/AT+JWT"),
    );
    assert_eq!(both(&token, &rules("typ")), Ok(()));
}

#[test]
fn both_paths_reject_tampering_before_reading_claims() {
    let token = sign(r#"{"exp":"not a number"}"#, None);
    let mut bad = token.into_bytes();
    let last = bad.len() - 2;
    bad[last] = if bad[last] == b'A' { b'B' } else { b'A' };
    assert_eq!(
        both(core::str::from_utf8(&bad).unwrap(), &Validation::new()),
        Err("bad_signature")
    );
}

#[test]
fn the_no_alloc_path_reports_a_buffer_too_small_for_the_payload() {
    let key = Key::<Hs256>::new(&KEY32).unwrap();
    let token = sign(
        &format!(r#"{{"exp":{},"pad":"{}"}}"#, NOW + 1, "x".repeat(64)),
        None,
    );
    let mut small = [0u8; 32];
    let err = jwt::verify_in(&token, &key, &Validation::new(), UnixTime(NOW), &mut small);
    assert_eq!(err.unwrap_err().code(), "buffer_too_small");
}

/// JSON-ish text built from pieces that matter to the rules, so that most cases parse.
fn payload() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        Just("exp"),
        Just("nbf"),
        Just("iat"),
        Just("iss"),
        Just("aud"),
        Just("sub"),
        Just("jti"),
        Just("\\u0065xp"),
        Just("role"),
        Just("x"),
    ];
    let value = prop_oneof![
        (0u64..2 * NOW).prop_map(|n| n.to_string()),
        (NOW - 200..NOW + 200).prop_map(|n| n.to_string()),
        (NOW - 200..NOW + 200, 0u32..10).prop_map(|(n, f)| format!("{n}.{f}")),
        (1u64..99, 0u32..25).prop_map(|(m, e)| format!("{m}e{e}")),
        Just("-1".to_owned()),
        Just("\"api\"".to_owned()),
        Just("\"https://id.example\"".to_owned()),
        Just("[\"api\",\"x\"]".to_owned()),
        Just("[1]".to_owned()),
        Just("[]".to_owned()),
        Just("{\"a\":[{}]}".to_owned()),
        Just("true".to_owned()),
        Just("null".to_owned()),
        Just("\"\\ud83d\\ude00\"".to_owned()),
        "[ -~]{0,6}".prop_map(|s| s),
    ];
    let member = (name, value).prop_map(|(n, v)| format!("\"{n}\":{v}"));
    (proptest::collection::vec(member, 0..7), "[ ,}]{0,2}").prop_map(|(members, tail)| {
        format!("{{{}}}{tail}", members.join(","))
            .trim_end_matches(' ')
            .to_owned()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn both_paths_agree_on_arbitrary_payloads(p in payload(), which in 0usize..6) {
        let name = ["default", "iss+aud", "required", "lifetime", "no-exp", "typ"][which];
        let token = sign(&p, None);
        both(&token, &rules(name)).ok();
    }
}

#[test]
fn the_no_alloc_claims_read_strings_by_name_and_not_duplicated_ones() {
    let key = Key::<Hs256>::new(&KEY32).unwrap();
    let payload = format!(
        r#"{{"exp":{},"sub":"a\u0064a","role":"admin","n":1,"dup":"x","dup":"y","\u0072ank":"b"}}"#,
        NOW + 1
    );
    let token = sign(&payload, None);
    let mut buf = [0u8; 512];
    let claims = jwt::verify_in(&token, &key, &Validation::new(), UnixTime(NOW), &mut buf).unwrap();
    assert!(claims.string("role").unwrap().eq_str("admin"));
    assert_eq!(claims.string("role").unwrap().as_plain_str(), Some("admin"));
    let sub = claims.sub().unwrap();
    assert!(sub.eq_str("ada"));
    assert_eq!(sub.as_plain_str(), None, "escaped, so not borrowable as is");
    let mut out = [0u8; 8];
    assert_eq!(sub.unescape_into(&mut out), Some("ada"));
    assert_eq!(sub.unescape_into(&mut [0u8; 2]), None, "does not fit");
    assert!(
        claims.string("rank").unwrap().eq_str("b"),
        "names are unescaped"
    );
    assert!(claims.string("n").is_none(), "not a string");
    assert!(claims.string("dup").is_none(), "duplicated: not read");
    assert!(claims.string("missing").is_none());
    assert_eq!(claims.payload(), payload);
}

#[test]
fn the_no_alloc_path_reads_an_unusual_header_in_the_buffer_or_beside_it() {
    let key = Key::<Hs256>::new(&KEY32).unwrap();
    let payload = format!(r#"{{"exp":{}}}"#, NOW + 1);
    let kid = "k".repeat(60);
    let header = format!(r#"{{"alg":"HS256","kid":"{kid}","typ":"JWT"}}"#);
    let token = forge("HS256", &KEY32, &header, &payload);
    // A buffer that holds the header: it is decoded there, then the payload over it.
    let mut big = [0u8; 128];
    let claims = jwt::verify_in(&token, &key, &Validation::new(), UnixTime(NOW), &mut big);
    assert_eq!(claims.unwrap().exp(), Some(UnixTime(NOW + 1)));
    // One that holds only the payload: the header is decoded on the stack instead.
    let mut small = [0u8; 24];
    assert!(header.len() > small.len() && payload.len() <= small.len());
    let claims = jwt::verify_in(&token, &key, &Validation::new(), UnixTime(NOW), &mut small);
    assert_eq!(claims.unwrap().exp(), Some(UnixTime(NOW + 1)));
    // The header's checks are the same either way.
    let dup = forge(
        "HS256",
        &KEY32,
        r#"{"alg":"HS256","typ":"JWT","typ":"JWT"}"#,
        &payload,
    );
    for buf in [&mut big[..], &mut small[..]] {
        let err = jwt::verify_in(&dup, &key, &Validation::new(), UnixTime(NOW), buf);
        assert_eq!(err.unwrap_err().code(), "invalid_header");
    }
}
