//! How records, changes and answers are written for Redis and read back, and how Redis's
//! errors become `StoreError`s.

use core::fmt;

use auth_core::UnixTime;
use auth_policy::refresh::{FamilyId, RefreshFamily, Refreshed};
use auth_policy::session::SessionTimes;
use auth_policy::session_data::{Change, CommitOutcome, Slot, StoredData};
use auth_policy::store::StoreError;
use auth_policy::store::{Loaded, SessionRecord};
use redis::{RedisError, Value};

use crate::keys::unhex;

pub(crate) mod revocation;

/// A time as Redis gets it: decimal seconds, clamped to [`MAX_TIME`].
/// Times beyond this (year 33658) are clamped before they reach Redis, whose Lua reads numbers
/// as doubles and whose expiry times are milliseconds in a signed 64-bit integer.
pub(crate) const MAX_TIME: u64 = 1_000_000_000_000;

pub(crate) fn time(t: UnixTime) -> String {
    t.as_secs().min(MAX_TIME).to_string()
}

pub(crate) fn unavailable(e: RedisError) -> StoreError {
    StoreError::Unavailable(Box::new(e))
}

/// A stored value this crate did not write.
#[derive(Debug)]
struct CorruptRecord(&'static str);

impl fmt::Display for CorruptRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unreadable redis record: {}", self.0)
    }
}

impl core::error::Error for CorruptRecord {}

pub(crate) fn corrupt(what: &'static str) -> StoreError {
    StoreError::Corrupt(Box::new(CorruptRecord(what)))
}

pub(crate) fn number(bytes: &[u8]) -> Result<u64, StoreError> {
    core::str::from_utf8(bytes)
        .ok()
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| corrupt("number"))
}

/// A session as `load.lua` returns it: the user's epoch and the record's hash.
pub(crate) fn parse_loaded(
    (user_epoch, fields): (Vec<u8>, Vec<Vec<u8>>),
) -> Result<Loaded, StoreError> {
    let mut head: [Option<Vec<u8>>; 7] = Default::default();
    let mut data = StoredData::new();
    let mut pairs = fields.into_iter();
    while let (Some(name), Some(value)) = (pairs.next(), pairs.next()) {
        let index = match name.as_slice() {
            b"u" => 0,
            b"v" => 1,
            b"c" => 2,
            b"r" => 3,
            b"i" => 4,
            b"a" => 5,
            b"e" => 6,
            [b'=', slot @ ..] => {
                let slot = String::from_utf8(slot.to_vec()).map_err(|_| corrupt("slot name"))?;
                data.insert(slot, parse_slot(&value)?);
                continue;
            }
            // A field of an older version of this crate (the whole-record `d`): ignored.
            _ => continue,
        };
        if let Some(place) = head.get_mut(index) {
            *place = Some(value);
        }
    }
    let [user, version, created, renewed, idle, absolute, epoch] = head;
    let field = |f: Option<Vec<u8>>| f.ok_or_else(|| corrupt("session record field missing"));
    let num = |f: Option<Vec<u8>>| field(f).and_then(|b| number(&b));
    let user = String::from_utf8(field(user)?).map_err(|_| corrupt("user is not utf-8"))?;
    let times = SessionTimes::from_parts(
        UnixTime(num(created)?),
        UnixTime(num(renewed)?),
        UnixTime(num(idle)?),
        UnixTime(num(absolute)?),
        num(epoch)?,
    );
    Ok(Loaded {
        record: SessionRecord {
            user,
            data,
            version: num(version)?,
            times,
        },
        user_epoch: number(&user_epoch)?,
    })
}

/// The hash field of a data slot.
pub(crate) fn field(slot: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(slot.len().saturating_add(1));
    out.push(b'=');
    out.extend_from_slice(slot.as_bytes());
    out
}

/// A data slot's stored value: `<version>:<json>`.
pub(crate) fn stored(version: u64, json: &[u8]) -> Vec<u8> {
    let mut out = version.to_string().into_bytes();
    out.push(b':');
    out.extend_from_slice(json);
    out
}

pub(crate) fn parse_slot(value: &[u8]) -> Result<Slot, StoreError> {
    let colon = value
        .iter()
        .position(|b| *b == b':')
        .ok_or_else(|| corrupt("data slot"))?;
    let (version, json) = value.split_at(colon);
    Ok(Slot {
        version: number(version)?,
        value: json.get(1..).unwrap_or_default().to_vec(),
    })
}

/// A change as `commit.lua` reads it: op, slot, and two arguments.
pub(crate) fn encode_change(change: &Change) -> Result<[Vec<u8>; 4], StoreError> {
    let b = |s: &str| s.as_bytes().to_vec();
    Ok(match change {
        Change::Put { slot, value } => [b("P"), b(slot), value.clone(), Vec::new()],
        Change::Delete { slot } => [b("D"), b(slot), Vec::new(), Vec::new()],
        Change::Swap {
            slot,
            expected,
            value: Some(value),
        } => [
            b("S"),
            b(slot),
            expected.to_string().into_bytes(),
            value.clone(),
        ],
        Change::Swap { slot, expected, .. } => [
            b("X"),
            b(slot),
            expected.to_string().into_bytes(),
            Vec::new(),
        ],
        Change::Add { slot, delta } => {
            [b("A"), b(slot), delta.to_string().into_bytes(), Vec::new()]
        }
        Change::Push { list, value } => [b("U"), b(list), value.clone(), Vec::new()],
        Change::Take { slot } => [b("T"), b(slot), Vec::new(), Vec::new()],
        Change::TakeAll { name } => [b("L"), b(name), Vec::new(), Vec::new()],
        Change::Clear { name } => [b("C"), b(name), Vec::new(), Vec::new()],
        _ => return Err(corrupt("change this store does not know")),
    })
}

/// What `commit.lua` answered.
pub(crate) fn parse_commit(answer: &[Value]) -> Result<CommitOutcome, StoreError> {
    let bytes = |v: &Value| match v {
        Value::BulkString(b) => Ok(b.clone()),
        _ => Err(corrupt("commit answer out of shape")),
    };
    let utf8 = |v: &Value| String::from_utf8(bytes(v)?).map_err(|_| corrupt("slot name"));
    match answer.split_first() {
        Some((Value::Int(-1), _)) => Err(StoreError::Gone),
        Some((Value::Int(-2), _)) => Err(StoreError::DataTooLarge),
        Some((Value::Int(-3), _)) => Err(StoreError::BadCounter),
        Some((Value::Int(0), rest)) => {
            let mut current = Vec::with_capacity(rest.len() / 2);
            for pair in rest.chunks(2) {
                let [slot, value] = pair else {
                    return Err(corrupt("commit answer out of shape"));
                };
                let value = match value {
                    Value::Nil => None,
                    v => Some(parse_slot(&bytes(v)?)?),
                };
                current.push((utf8(slot)?, value));
            }
            Ok(CommitOutcome::Conflict { current })
        }
        Some((Value::Int(1), rest)) => {
            let Some((version, rest)) = rest.split_first() else {
                return Err(corrupt("commit answer out of shape"));
            };
            let mut taken = Vec::with_capacity(rest.len() / 2);
            for pair in rest.chunks(2) {
                let [slot, json] = pair else {
                    return Err(corrupt("commit answer out of shape"));
                };
                taken.push((utf8(slot)?, bytes(json)?));
            }
            Ok(CommitOutcome::Done {
                version: number(&bytes(version)?)?,
                taken,
            })
        }
        _ => Err(corrupt("unexpected answer to commit")),
    }
}

pub(crate) fn text(v: &Value) -> Result<String, StoreError> {
    match v {
        Value::BulkString(b) => String::from_utf8(b.clone()).map_err(|_| corrupt("not utf-8")),
        _ => Err(corrupt("answer out of shape")),
    }
}

pub(crate) fn parse_refreshed(fam: &str, answer: &[Value]) -> Result<Refreshed, StoreError> {
    match answer {
        [Value::Int(0)] => Ok(Refreshed::Unknown),
        [Value::Int(1), user, expires, claims] => {
            Ok(Refreshed::Rotated(family(fam, user, expires, claims)?))
        }
        [Value::Int(2), user, expires, claims] => Ok(Refreshed::ReuseDetected(family(
            fam, user, expires, claims,
        )?)),
        [
            Value::Int(3),
            user,
            expires,
            claims,
            Value::BulkString(sealed),
        ] => Ok(Refreshed::Repeated {
            family: family(fam, user, expires, claims)?,
            sealed: sealed.clone(),
        }),
        _ => Err(corrupt("refresh answer out of shape")),
    }
}

/// What `family.lua` answers: `{0}` for none, `{1, user, expires at, claims}`.
pub(crate) fn parse_family(
    fam: &str,
    answer: &[Value],
) -> Result<Option<RefreshFamily>, StoreError> {
    match answer {
        [Value::Int(0)] => Ok(None),
        [Value::Int(1), user, expires, claims] => Ok(Some(family(fam, user, expires, claims)?)),
        _ => Err(corrupt("refresh family out of shape")),
    }
}

fn family(
    fam: &str,
    user: &Value,
    expires: &Value,
    claims: &Value,
) -> Result<RefreshFamily, StoreError> {
    Ok(RefreshFamily {
        family: FamilyId::from_bytes(
            unhex::<16>(fam.as_bytes()).ok_or_else(|| corrupt("family id"))?,
        ),
        user: text(user)?,
        expires_at: UnixTime(number(text(expires)?.as_bytes())?),
        claims: text(claims)?,
    })
}
