use super::*;
use crate::error::ScopeError;
use crate::error::TokenError;
use crate::jwt::{self, Alg, SigningKey};
use crate::time::UnixTime;
use scope::MAX_SCOPE_LEN;
use serde_json::json;

const NOW: UnixTime = UnixTime(1_700_000_000);

fn claims() -> serde_json::Value {
    json!({
        "iss": "https://id.example.com", "aud": ["https://api.example.com", "other"],
        "sub": "ada", "client_id": "shop", "iat": 1_700_000_000u64,
        "exp": 1_700_000_300u64, "jti": "j1", "scope": "a b:c",
    })
}

fn check(token: &str, key: &SigningKey) -> Result<AccessClaims, TokenError> {
    let rules = rules("https://id.example.com", "https://api.example.com");
    jwt::verify::<AccessClaims, _>(token, &key.verifying_key(), &rules, NOW)
        .map(|v| v.claims().clone())
}

#[test]
fn an_access_token_needs_its_typ_issuer_audience_and_every_required_claim() {
    let key = SigningKey::from_bytes(Alg::EdDsa, &[7; 32]).unwrap();
    let ok = check(&key.sign_with_typ(&claims(), Some("at+jwt")).unwrap(), &key).unwrap();
    assert_eq!(ok.client_id, "shop");
    assert_eq!(ok.scope.iter().collect::<std::vec::Vec<_>>(), ["a", "b:c"]);
    let long_typ = key
        .sign_with_typ(&claims(), Some("application/at+jwt"))
        .unwrap();
    assert!(check(&long_typ, &key).is_ok());
    // Another kind of JWT by the same key.
    for typ in ["JWT", "logout+jwt", "dpop+jwt"] {
        let token = key.sign_with_typ(&claims(), Some(typ)).unwrap();
        assert!(check(&token, &key).is_err(), "{typ}");
    }
    // Each required claim, and the issuer and audience by value.
    for name in ["iss", "aud", "exp", "sub", "client_id", "iat", "jti"] {
        let mut c = claims();
        c.as_object_mut().unwrap().remove(name);
        let token = key.sign_with_typ(&c, Some("at+jwt")).unwrap();
        assert!(check(&token, &key).is_err(), "without {name}");
    }
    for (name, value) in [
        ("iss", json!("https://id.example.com/")),
        ("aud", json!("https://api.example.com/other")),
    ] {
        let mut c = claims();
        c[name] = value;
        let token = key.sign_with_typ(&c, Some("at+jwt")).unwrap();
        assert!(check(&token, &key).is_err(), "{name}");
    }
    // No `scope`: an empty set.
    let mut c = claims();
    c.as_object_mut().unwrap().remove("scope");
    let token = key.sign_with_typ(&c, Some("at+jwt")).unwrap();
    assert!(check(&token, &key).unwrap().scope.is_empty());
    // A malformed `scope` refuses the token.
    c["scope"] = json!("a  b");
    let token = key.sign_with_typ(&c, Some("at+jwt")).unwrap();
    assert!(check(&token, &key).is_err());
}

#[test]
fn scopes_follow_the_rfc_6749_grammar_and_compare_exactly() {
    let s = Scope::parse("orders:read profile").unwrap();
    assert!(s.contains("profile"));
    assert!(!s.contains("Profile"));
    assert!(!s.contains("orders"));
    assert!(!s.contains(""));
    assert!(s.contains_all(&Scope::parse("profile").unwrap()));
    assert!(s.contains_all(&Scope::default()));
    assert!(!s.contains_all(&Scope::parse("profile email").unwrap()));
    assert!(Scope::parse("").unwrap().is_empty());
    for bad in [" a", "a ", "a  b", "a\tb", "a\"b", "a\\b", "é", "a\u{7f}"] {
        assert_eq!(Scope::parse(bad), Err(ScopeError), "{bad:?}");
    }
    assert!(Scope::parse(&"a".repeat(MAX_SCOPE_LEN + 1)).is_err());
}

mod grants {
    use super::*;
    use crate::error::GrantError;
    use proptest::prelude::*;
    use serde::ser::{SerializeMap, Serializer};
    use std::string::String;

    fn issue(jti: &str) -> Issue<'_> {
        Issue {
            issuer: "https://id.example.com",
            subject: "ada",
            audience: "https://api.example.com",
            client_id: "shop",
            issued_at: NOW,
            expires_at: UnixTime(NOW.as_secs() + 300),
            jti,
            sid: Some("s1"),
            jkt: None,
        }
    }

    fn issued(grant: &Grant) -> jwt::Verified<AccessClaims> {
        let key = SigningKey::from_bytes(Alg::EdDsa, &[7; 32]).unwrap();
        let payload = grant.to_payload(&issue("j1")).unwrap();
        let token = key.sign_json(&payload, Some("at+jwt")).unwrap();
        let rules = rules("https://id.example.com", "https://api.example.com");
        jwt::verify::<AccessClaims, _>(&token, &key.verifying_key(), &rules, NOW).unwrap()
    }

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Tenant {
        tenant: String,
        seats: u32,
        beta: bool,
    }

    #[test]
    fn a_key_binding_is_written_as_cnf_jkt_and_read_back() {
        let key = SigningKey::from_bytes(Alg::EdDsa, &[7; 32]).unwrap();
        let rules = rules("https://id.example.com", "https://api.example.com");
        let jkt = "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I";
        let payload = Grant::new()
            .to_payload(&Issue {
                jkt: Some(jkt),
                ..issue("j1")
            })
            .unwrap();
        assert!(
            core::str::from_utf8(&payload)
                .unwrap()
                .contains(&std::format!(r#""cnf":{{"jkt":"{jkt}"}}"#))
        );
        let token = key.sign_json(&payload, Some("at+jwt")).unwrap();
        let verified =
            jwt::verify::<AccessClaims, _>(&token, &key.verifying_key(), &rules, NOW).unwrap();
        let cnf = verified.claims().cnf.clone().unwrap();
        assert_eq!(cnf.jkt.as_deref(), Some(jkt));
        assert!(!cnf.other_methods);
        // Unbound: no `cnf` at all.
        assert_eq!(issued(&Grant::new()).claims().cnf, None);
        // A binding this crate cannot check is kept visible, not dropped.
        let sign = |cnf: serde_json::Value| {
            let claims = serde_json::json!({
                "iss": "https://id.example.com", "aud": "https://api.example.com", "sub": "ada",
                "client_id": "shop", "iat": NOW.as_secs(), "exp": NOW.as_secs() + 60,
                "jti": "j", "cnf": cnf,
            });
            let token = key.sign_with_typ(&claims, Some("at+jwt")).unwrap();
            jwt::verify::<AccessClaims, _>(&token, &key.verifying_key(), &rules, NOW)
        };
        let mtls =
            sign(serde_json::json!({"x5t#S256": "bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2"}))
                .unwrap();
        let cnf = mtls.claims().cnf.clone().unwrap();
        assert_eq!((cnf.jkt, cnf.other_methods), (None, true));
        assert!(sign(serde_json::json!("jkt")).is_err());
        assert!(sign(serde_json::json!({"jkt": 7})).is_err());
    }

    #[test]
    fn a_grant_comes_back_typed_from_the_verified_token() {
        let grant = Grant::new()
            .with_scope("orders:read profile")
            .unwrap()
            .with_roles(["support", "billing"])
            .with_groups(["eu"])
            .with_entitlements(["export"])
            .with_claims(&Tenant {
                tenant: "acme".into(),
                seats: 12,
                beta: true,
            })
            .unwrap();
        let v = issued(&grant);
        let at = v.claims();
        assert_eq!(at.sub, "ada");
        assert_eq!(at.sid.as_deref(), Some("s1"));
        assert!(at.scope.contains("orders:read"));
        assert_eq!(at.roles, ["support", "billing"]);
        assert!(at.has_role("billing") && !at.has_role("admin"));
        assert!(at.in_group("eu"));
        assert_eq!(at.entitlements, ["export"]);
        let tenant: Tenant = v.claims_as().unwrap();
        assert_eq!(tenant.tenant, "acme");
        assert_eq!(tenant.seats, 12);
        // A type the claims do not fit is an error, not a default.
        #[derive(Debug, serde::Deserialize)]
        struct Wrong {
            #[allow(dead_code)]
            tenant: u32,
        }
        assert_eq!(
            v.claims_as::<Wrong>().unwrap_err(),
            TokenError::InvalidClaims
        );
    }

    #[test]
    fn the_empty_grant_writes_only_the_registered_claims() {
        let payload = Grant::new().to_payload(&issue("j1")).unwrap();
        assert_eq!(
            core::str::from_utf8(&payload).unwrap(),
            r#"{"iss":"https://id.example.com","sub":"ada","aud":"https://api.example.com","client_id":"shop","iat":1700000000,"exp":1700000300,"jti":"j1","sid":"s1"}"#
        );
        let v = issued(&Grant::new());
        assert!(v.claims().scope.is_empty() && v.claims().roles.is_empty());
    }

    #[test]
    fn audiences_replace_the_default_one_string_or_an_array() {
        let one = Grant::new().with_audience("https://orders.example.com");
        let p = one.to_payload(&issue("j")).unwrap();
        assert!(
            core::str::from_utf8(&p)
                .unwrap()
                .contains(r#""aud":"https://orders.example.com""#)
        );
        let two = Grant::new()
            .with_audience("https://api.example.com")
            .with_audience("https://orders.example.com");
        let p = two.to_payload(&issue("j")).unwrap();
        assert!(
            core::str::from_utf8(&p)
                .unwrap()
                .contains(r#""aud":["https://api.example.com","https://orders.example.com"]"#)
        );
        // Still checked against the resource's own audience.
        assert_eq!(issued(&two).claims().sub, "ada");
    }

    #[test]
    fn an_application_claim_can_never_name_a_registered_one() {
        for name in RESERVED_CLAIMS {
            let mut claims = serde_json::Map::new();
            claims.insert("tenant".into(), json!("acme"));
            claims.insert(name.into(), json!("admin"));
            assert_eq!(
                Grant::new().with_claims(&claims).unwrap_err(),
                GrantError::ReservedClaim(name),
                "{name}"
            );
        }
        // Spelled with an escape in a stored grant: the same name.
        let stored = r#"{"claims":"\"\\u0073ub\":\"admin\""}"#;
        assert_eq!(
            Grant::from_json(stored).unwrap_err(),
            GrantError::ReservedClaim("sub")
        );
        // Names that only resemble one are the application's.
        let claims = json!({"Sub": 1, "subject": 2, "iss_": 3, "https://example.com/roles": 4});
        assert!(Grant::new().with_claims(&claims).is_ok());
    }

    /// A map that writes the same key twice (no `serde_json` map can).
    struct Twice;
    impl serde::Serialize for Twice {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut map = s.serialize_map(Some(2))?;
            map.serialize_entry("tenant", "a")?;
            map.serialize_entry("tenant", "b")?;
            map.end()
        }
    }

    #[test]
    fn application_claims_are_one_object_with_unique_names() {
        assert_eq!(
            Grant::new().with_claims(&Twice).unwrap_err(),
            GrantError::DuplicateClaim
        );
        for not_object in [json!("text"), json!([1, 2]), json!(null), json!(7)] {
            assert_eq!(
                Grant::new().with_claims(&not_object).unwrap_err(),
                GrantError::NotAnObject,
                "{not_object}"
            );
        }
        let mut keyed = std::collections::BTreeMap::new();
        keyed.insert(std::vec![1u8], 1);
        assert_eq!(
            Grant::new().with_claims(&keyed).unwrap_err(),
            GrantError::Serialize
        );
        // Deeper than the reader reads.
        let mut deep = json!(1);
        for _ in 0..70 {
            deep = json!([deep]);
        }
        assert_eq!(
            Grant::new()
                .with_claims(&json!({ "deep": deep }))
                .unwrap_err(),
            GrantError::NotAnObject
        );
        // `{}` adds nothing.
        let empty = Grant::new().with_claims(&json!({})).unwrap();
        assert_eq!(empty.claims_json(), None);
    }

    #[test]
    fn a_grant_is_bounded_and_has_no_empty_values() {
        let big = json!({ "blob": "x".repeat(MAX_GRANT_LEN) });
        assert_eq!(
            Grant::new().with_claims(&big).unwrap_err(),
            GrantError::TooLarge
        );
        let many_roles = Grant::new().with_roles((0..600).map(|i| std::format!("role{i}")));
        assert_eq!(
            many_roles.to_payload(&issue("j")).unwrap_err(),
            GrantError::TooLarge
        );
        let just_under = Grant::new().with_roles((0..300).map(|i| std::format!("role{i}")));
        assert!(just_under.to_payload(&issue("j")).is_ok());
        for grant in [
            Grant::new().with_roles([""]),
            Grant::new().with_groups([""]),
            Grant::new().with_entitlements([""]),
            Grant::new().with_audience(""),
        ] {
            assert_eq!(
                grant.to_payload(&issue("j")).unwrap_err(),
                GrantError::EmptyValue
            );
        }
        assert_eq!(
            Grant::new().with_scope("a  b").unwrap_err(),
            GrantError::InvalidScope
        );
    }

    #[test]
    fn a_stored_grant_reads_back_as_it_was() {
        let grant = Grant::new()
            .with_scope("a b")
            .unwrap()
            .with_roles(["r"])
            .with_groups(["g"])
            .with_entitlements(["e"])
            .with_audience("x")
            .with_lifetime(120)
            .with_claims(&json!({"tenant": "acme", "n": [1, 2.5, null, {"k": "é\"\n"}]}))
            .unwrap();
        assert_eq!(Grant::from_json(&grant.to_json()).unwrap(), grant);
        assert_eq!(Grant::from_json("").unwrap(), Grant::new());
        assert_eq!(
            Grant::from_json(&Grant::new().to_json()).unwrap(),
            Grant::new()
        );
        for bad in ["{", "[]", r#"{"roles":"r"}"#, r#"{"claims":"1"}"#] {
            assert!(Grant::from_json(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn roles_read_as_an_array_or_one_string_and_nothing_else() {
        let key = SigningKey::from_bytes(Alg::EdDsa, &[7; 32]).unwrap();
        let mut c = claims();
        c["roles"] = json!("admin");
        let token = key.sign_with_typ(&c, Some("at+jwt")).unwrap();
        assert_eq!(check(&token, &key).unwrap().roles, ["admin"]);
        for bad in [json!(1), json!([1]), json!({"a": 1}), json!(["a", null])] {
            c["roles"] = bad.clone();
            let token = key.sign_with_typ(&c, Some("at+jwt")).unwrap();
            assert!(check(&token, &key).is_err(), "{bad}");
        }
    }

    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        let leaf = prop_oneof![
            Just(json!(null)),
            any::<bool>().prop_map(|b| json!(b)),
            any::<i64>().prop_map(|n| json!(n)),
            any::<u64>().prop_map(|n| json!(n)),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| json!(f)),
            ".{0,12}".prop_map(|s| json!(s)),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                proptest::collection::btree_map(".{0,6}", inner, 0..4)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn any_json_claims_round_trip_through_a_token(
            members in proptest::collection::btree_map("[a-z_]{1,8}|.{1,8}", json_value(), 0..6)
        ) {
            let members: serde_json::Map<String, serde_json::Value> = members
                .into_iter()
                .filter(|(k, _)| !RESERVED_CLAIMS.contains(&k.as_str()))
                .collect();
            let grant = Grant::new().with_claims(&members).unwrap();
            let back: serde_json::Map<String, serde_json::Value> = issued(&grant).claims_as().unwrap();
            for (name, value) in &members {
                prop_assert_eq!(back.get(name), Some(value), "{}", name);
            }
            prop_assert_eq!(back.get("sub"), Some(&json!("ada")));
            let stored = Grant::from_json(&grant.to_json()).unwrap();
            prop_assert_eq!(stored, grant);
        }
    }
}
