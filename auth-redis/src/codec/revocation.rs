//! The revocation state as Redis keeps it: an entry's field (`t:<mark>`, `s:<mark>`,
//! `u:<user>`) and value (`<until>`, or `<before>:<until>` for a cutoff), the epoch
//! (`<id, 16 lowercase hex digits>:<start>`) and feed positions (a Stream id, `<ms>-<seq>`). Any text reads
//! as a typed value or `None`, never a panic, and what reads writes back the same.

use auth_core::UnixTime;
use auth_policy::revocation::{FeedPos, Mark, Revocation, StoreEpoch, StoredEntry, Target};

/// The field an entry of `target` is kept under.
pub(crate) fn field(target: &Target) -> String {
    match target {
        Target::Token(jti) => format!("t:{}", jti.encode()),
        Target::Session(sid) => format!("s:{}", sid.encode()),
        Target::User(user) => format!("u:{user}"),
    }
}

/// The value an entry is kept as (decimal seconds).
pub(crate) fn value(entry: &Revocation) -> String {
    match entry {
        Revocation::User { before, until, .. } => format!("{}:{}", before.0, until.0),
        other => other.until().0.to_string(),
    }
}

/// The target a [`field`] names.
pub(crate) fn target(field: &str) -> Option<Target> {
    let (kind, name) = (field.get(..2)?, field.get(2..)?);
    match kind {
        "t:" => Mark::decode(name).map(Target::Token),
        "s:" => Mark::decode(name).map(Target::Session),
        "u:" if !name.is_empty() => Some(Target::User(name.to_owned())),
        _ => None,
    }
}

/// The entry kept as `field` and `value`; `None` when it is not one (the store is corrupt).
pub(crate) fn entry(field: &str, value: &str) -> Option<Revocation> {
    match (target(field)?, value) {
        (Target::Token(jti), until) => Some(Revocation::Token {
            jti,
            until: decimal(until)?,
        }),
        (Target::Session(sid), until) => Some(Revocation::Session {
            sid,
            until: decimal(until)?,
        }),
        (Target::User(user), times) => {
            let (before, until) = times.split_once(':')?;
            Some(Revocation::User {
                user,
                before: decimal(before)?,
                until: decimal(until)?,
            })
        }
    }
}

/// An entry as a replica takes it: read whole, or what of it could be read (the policy layer
/// decides what a copy keeps for it).
pub(crate) fn stored(field: &str, value: &str) -> StoredEntry {
    match entry(field, value) {
        Some(entry) => StoredEntry::Read(entry),
        None => target(field).map_or(StoredEntry::Foreign, StoredEntry::Unreadable),
    }
}

/// The epoch as the `epoch` key holds it.
pub(crate) fn epoch_text(epoch: &StoreEpoch) -> String {
    format!("{:016x}:{}", epoch.id, epoch.start.0)
}

/// The epoch written by [`epoch_text`].
pub(crate) fn epoch(text: &str) -> Option<StoreEpoch> {
    let (id, start) = text.split_once(':')?;
    // Lowercase only, as written: one epoch has one text.
    if id.len() != 16 || !id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    Some(StoreEpoch {
        id: u64::from_str_radix(id, 16).ok()?,
        start: decimal(start)?,
    })
}

/// A feed position as a Stream id.
pub(crate) fn pos_text(pos: FeedPos) -> String {
    format!("{}-{}", pos.ms, pos.seq)
}

/// The feed position of a Stream id.
pub(crate) fn pos(text: &str) -> Option<FeedPos> {
    let (ms, seq) = text.split_once('-')?;
    Some(FeedPos {
        ms: decimal(ms)?.0,
        seq: decimal(seq)?.0,
    })
}

/// Decimal digits without sign or leading zeros (but `0`), at most 19 of them.
fn decimal(text: &str) -> Option<UnixTime> {
    let bytes = text.as_bytes();
    let ok = !bytes.is_empty()
        && bytes.len() <= 19
        && bytes.iter().all(u8::is_ascii_digit)
        && (bytes.len() == 1 || bytes.first() != Some(&b'0'));
    if !ok {
        return None;
    }
    text.parse().ok().map(UnixTime)
}

#[cfg(test)]
mod tests;
