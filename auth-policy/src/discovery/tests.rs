use super::*;

const ISSUER: &str = "https://id.example.com/realms/main";

#[test]
fn discovery_urls_follow_oidc_and_rfc_8414() {
    assert_eq!(
        openid_configuration_url("https://id.example.com/"),
        "https://id.example.com/.well-known/openid-configuration"
    );
    assert_eq!(
        oauth_metadata_url(ISSUER).as_deref(),
        Some("https://id.example.com/.well-known/oauth-authorization-server/realms/main")
    );
    assert_eq!(
        oauth_metadata_url("http://127.0.0.1:3000").as_deref(),
        Some("http://127.0.0.1:3000/.well-known/oauth-authorization-server")
    );
    assert_eq!(oauth_metadata_url("https://id.example.com/?x=1"), None);
    assert_eq!(oauth_metadata_url("id.example.com"), None);
    assert_eq!(oauth_metadata_url("https:///path"), None);
}

#[test]
fn rebase_swaps_only_scheme_and_authority() {
    let base = "http://127.0.0.1:8080/";
    assert_eq!(
        rebase("https://id.example.com/a/b?c=d", base).as_deref(),
        Some("http://127.0.0.1:8080/a/b?c=d")
    );
    assert_eq!(
        rebase("https://id.example.com", base).as_deref(),
        Some("http://127.0.0.1:8080")
    );
    assert_eq!(
        rebase("https://user@id.example.com:443/certs", base).as_deref(),
        Some("http://127.0.0.1:8080/certs")
    );
    assert_eq!(rebase("id.example.com/certs", base), None);
    assert_eq!(rebase("https://id.example.com/certs", "127.0.0.1"), None);
    assert_eq!(
        rebase("https://id.example.com/certs", "http://h/path"),
        None
    );
    assert_eq!(rebase("https://id.example.com/certs", "http://"), None);
}

#[test]
fn the_issuer_must_match_byte_for_byte() {
    let doc = |issuer: &str| {
        std::format!(r#"{{"issuer":"{issuer}","jwks_uri":"https://id.example.com/certs"}}"#)
    };
    assert!(ProviderMetadata::parse(&doc(ISSUER), ISSUER).is_ok());
    // Escaped slashes are the same string.
    let escaped = doc(r"https:\/\/id.example.com\/realms\/main");
    assert_eq!(
        ProviderMetadata::parse(&escaped, ISSUER).unwrap().issuer(),
        ISSUER
    );
    for other in [
        "https://id.example.com/realms/main/",
        "https://ID.example.com/realms/main",
        "https://id.example.com/realms/mai",
        "https://id.example.com/realms/main\\u0000",
        "https://evil.example/realms/main",
    ] {
        assert_eq!(
            ProviderMetadata::parse(&doc(other), ISSUER),
            Err(KeyCacheError::IssuerMismatch),
            "{other}"
        );
    }
}

#[test]
fn bad_metadata_documents_are_refused() {
    let big = std::format!(
        r#"{{"issuer":"{ISSUER}","jwks_uri":"https://x/certs","pad":"{}"}}"#,
        "a".repeat(MAX_METADATA_LEN)
    );
    for doc in [
        "not json",
        "[]",
        r#"{"jwks_uri":"https://x/certs"}"#,
        r#"{"issuer":"https://id.example.com/realms/main"}"#,
        r#"{"issuer":"https://id.example.com/realms/main","jwks_uri":""}"#,
        r#"{"issuer":"https://id.example.com/realms/main","jwks_uri":7}"#,
        r#"{"issuer":["https://id.example.com/realms/main"],"jwks_uri":"https://x/certs"}"#,
        r#"{"issuer":"https://id.example.com/realms/main","jwks_uri":"https://x/a","jwks_uri":"https://x/b"}"#,
        r#"{"issuer":"https://id.example.com/realms/main","jwks_uri":"https://x/certs""#,
        big.as_str(),
    ] {
        assert_eq!(
            ProviderMetadata::parse(doc, ISSUER),
            Err(KeyCacheError::BadMetadata),
            "{doc:.80}"
        );
    }
    // Unknown members, of any type, are read past.
    let doc = std::format!(
        r#"{{"a":{{"b":[1,2,{{"c":null}}]}},"issuer":"{ISSUER}","jwks_uri":"https://x/certs","scopes_supported":["openid"]}}"#
    );
    assert_eq!(
        ProviderMetadata::parse(&doc, ISSUER).unwrap().jwks_uri(),
        "https://x/certs"
    );
}

#[test]
fn only_https_or_http_to_loopback_literals_may_be_fetched() {
    let mut v6_loopback = [0u8; 16];
    v6_loopback[15] = 1;
    let mut mapped = [0u8; 16];
    mapped[10..].copy_from_slice(&[0xff, 0xff, 127, 0, 0, 1]);
    let mut mapped_other = mapped;
    mapped_other[12] = 10;
    assert!(fetch_allowed("https", Host::Domain("id.example.com")));
    assert!(fetch_allowed("HTTPS", Host::Ipv4([10, 0, 0, 1])));
    assert!(fetch_allowed("http", Host::Ipv4([127, 0, 0, 1])));
    assert!(fetch_allowed("http", Host::Ipv4([127, 1, 2, 3])));
    assert!(fetch_allowed("http", Host::Ipv6(v6_loopback)));
    assert!(fetch_allowed("http", Host::Ipv6(mapped)));
    assert!(!fetch_allowed("http", Host::Ipv6(mapped_other)));
    assert!(!fetch_allowed("http", Host::Ipv6([0; 16])));
    assert!(!fetch_allowed("http", Host::Ipv4([10, 0, 0, 1])));
    assert!(!fetch_allowed("http", Host::Ipv4([0, 0, 0, 0])));
    assert!(!fetch_allowed("http", Host::Domain("localhost")));
    assert!(!fetch_allowed("http", Host::Domain("id.example.com")));
    assert!(!fetch_allowed("https", Host::Domain("")));
    for scheme in ["file", "ftp", "ws", "data", "gopher", ""] {
        assert!(
            !fetch_allowed(scheme, Host::Ipv4([127, 0, 0, 1])),
            "{scheme}"
        );
    }
}
