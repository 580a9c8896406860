//! `ThrottleStore` on Redis: failed-login counters, one script per attempt.

use auth_core::UnixTime;
use auth_policy::store::StoreError;
use auth_policy::throttle::{
    Admission, Counter, Counters, Failures, ThrottlePolicy, ThrottleStore,
};

use crate::codec::MAX_TIME;
use crate::store::RedisStore;

/// Failed-login counters: one hash per counter in the user's slot (`n` count, `l` last
/// failure), expiring `window` after its last failure; each operation one script, one round
/// trip (on a Cluster too).
impl ThrottleStore for RedisStore {
    async fn attempt(
        &self,
        user: &str,
        counters: &Counters,
        policy: &ThrottlePolicy,
        now: UnixTime,
    ) -> Result<Admission, StoreError> {
        let keys: Vec<String> = counters
            .iter()
            .map(|c| self.keys.throttle(user, c))
            .collect();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let p = policy.settings();
        // Numbers beyond MAX_TIME are clamped: Lua counts in doubles.
        let [now, window, threshold, base, max] = [
            now.as_secs(),
            p.window,
            u64::from(p.threshold),
            p.base_delay,
            p.max_delay,
        ]
        .map(|n| n.min(MAX_TIME).to_string());
        let wait: u64 = self
            .script(
                &self.scripts.attempt,
                &keys,
                &[
                    now.as_bytes(),
                    window.as_bytes(),
                    threshold.as_bytes(),
                    base.as_bytes(),
                    max.as_bytes(),
                ],
            )
            .await?;
        Ok(if wait > 0 {
            Admission::Wait(wait)
        } else {
            Admission::Proceed
        })
    }

    async fn failures(&self, user: &str, counters: &Counters) -> Result<[Failures; 2], StoreError> {
        let keys: Vec<String> = counters
            .iter()
            .map(|c| self.keys.throttle(user, c))
            .collect();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let flat: Vec<u64> = self.script(&self.scripts.failures, &keys, &[]).await?;
        let mut out = [Failures::default(); 2];
        for (slot, pair) in out.iter_mut().zip(flat.chunks_exact(2)) {
            if let [count, last] = pair {
                *slot = Failures {
                    count: u32::try_from(*count).unwrap_or(u32::MAX),
                    last: UnixTime(*last),
                };
            }
        }
        Ok(out)
    }

    async fn settle(
        &self,
        user: &str,
        counters: &Counters,
        policy: &ThrottlePolicy,
        now: UnixTime,
    ) -> Result<(), StoreError> {
        let keys: Vec<String> = counters
            .iter()
            .map(|c| self.keys.throttle(user, c))
            .collect();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let mut args: Vec<Vec<u8>> = counters
            .iter()
            .map(|c| {
                if matches!(c, Counter::Account) {
                    b"a".to_vec()
                } else {
                    b"o".to_vec()
                }
            })
            .collect();
        // Clamped as in `attempt`: Lua counts in doubles.
        for n in [now.as_secs(), policy.settings().max_delay] {
            args.push(n.min(MAX_TIME).to_string().into_bytes());
        }
        let args: Vec<&[u8]> = args.iter().map(Vec::as_slice).collect();
        let _: i64 = self.script(&self.scripts.settle, &keys, &args).await?;
        Ok(())
    }
}
