//! What every adapter's commit tests share: a signed-in session whose data limit a handler can
//! exceed, the key the handlers change, what they change it to, and the checks after. Each
//! adapter drives the three handlers through its own framework; the cases and their verdicts
//! are these, so that the adapters cannot drift apart.

use auth_core::UnixTime;
use auth_core::jwt::{Alg, AnyKey};
use auth_core::rng::os_rng;
use auth_policy::memory::MemoryStore;
use auth_policy::session_data::{DataLimits, StoredData, ValueKey};
use auth_policy::store::SessionStore;
use auth_web::{WebAuth, WebConfig};

/// The key the handlers change.
pub const NOTE: ValueKey<String> = ValueKey::new("note");
/// What the racing handler writes (fits the limit).
pub const LOST: &str = "lost";
/// What the greedy handler writes: fits a value, not the session's 20 bytes.
pub const TOO_MUCH: &str = "0123456789abcdef";
/// What the failing handler writes before it answers an error.
pub const HALF_DONE: &str = "half done";
/// The body of the refusal of data over its limit.
pub const TOO_LARGE_BODY: &str = r#"{"error":"session_data_too_large"}"#;

/// Flows over a `MemoryStore` whose sessions hold at most 20 bytes of data, and the `Cookie`
/// header of a session of `ada`.
pub async fn signed_in() -> (WebAuth<MemoryStore>, String) {
    let key = AnyKey::new(Alg::Hs256, &[7; 32]).unwrap();
    let config = WebConfig::new("test").data_limits(DataLimits::new().max_total(20));
    let auth = WebAuth::new(MemoryStore::new(), key, config);
    let login = auth
        .login(
            "ada",
            StoredData::new(),
            None,
            UnixTime::now(),
            &mut os_rng(),
        )
        .await
        .unwrap();
    let cookie = format!("__Host-id={}", login.cookie_value());
    (auth, cookie)
}

/// The racing handler's commit was refused: the answer removed the cookie and the session was
/// not re-created.
pub async fn assert_not_recreated(auth: &WebAuth<MemoryStore>, cookie: &str, set_cookie: &str) {
    assert!(set_cookie.starts_with("__Host-id=;"), "{set_cookie}");
    let session = auth.session([cookie.as_bytes()], UnixTime::now()).await;
    assert!(session.unwrap().is_none(), "not re-created");
}

/// Nothing of a handler that answered an error was saved, and its session lives on.
pub async fn assert_nothing_saved(auth: &WebAuth<MemoryStore>, cookie: &str) {
    let session = auth
        .session([cookie.as_bytes()], UnixTime::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        session.get(&NOTE).unwrap(),
        None,
        "nothing of a failed handler was saved"
    );
    assert!(auth.store().load(session.key()).await.unwrap().is_some());
}
