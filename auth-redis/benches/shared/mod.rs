//! What the Redis benches share.

/// A session's data as the demos keep it: a cart and a theme.
pub(crate) fn demo_data() -> auth_core::session_data::StoredData {
    let mut data = auth_core::session_data::StoredData::new();
    for (slot, json) in [("cart", "[1,2,3]"), ("theme", "\"dark\"")] {
        let value = json.as_bytes().to_vec();
        data.insert(
            slot.into(),
            auth_core::session_data::Slot { version: 1, value },
        );
    }
    data
}
