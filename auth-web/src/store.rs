//! What a store must do for the request flows, in one trait the adapters name.

use auth_policy::links::LinkStore;
use auth_policy::refresh::RefreshStore;
use auth_policy::replay::ReplayStore;
use auth_policy::revocation::RevocationStore;
use auth_policy::store::SessionStore;

/// A store of sessions, refresh families, revocations and one-time ids (DPoP proofs): what
/// [`WebAuth`](crate::WebAuth)'s flows need, and what every adapter's extractors are generic
/// over. Implemented for every type that implements the four traits (`MemoryStore`,
/// `auth-redis`'s `RedisStore`).
pub trait Store:
    SessionStore + RefreshStore + RevocationStore + ReplayStore + Send + Sync + 'static
{
}

impl<S: SessionStore + RefreshStore + RevocationStore + ReplayStore + Send + Sync + 'static> Store
    for S
{
}

/// A [`Store`] that also keeps the links single sign-on's back-channel logout follows: what
/// [`SignIn`](crate::sso::SignIn) needs. Implemented for every type that implements them
/// (`MemoryStore`, `auth-redis`'s `RedisStore`).
pub trait SsoStore: Store + LinkStore {}

impl<S: Store + LinkStore> SsoStore for S {}
