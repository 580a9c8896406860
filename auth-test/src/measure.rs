//! What the memory benches measure with: a demo session's data, Redis's `used_memory`, this
//! process's resident memory.

/// A session's data as the demos keep it: a cart and a theme.
pub fn demo_data() -> auth_policy::session_data::StoredData {
    let mut data = auth_policy::session_data::StoredData::new();
    for (slot, json) in [("cart", "[1,2,3]"), ("theme", "\"dark\"")] {
        let value = json.as_bytes().to_vec();
        data.insert(
            slot.into(),
            auth_policy::session_data::Slot { version: 1, value },
        );
    }
    data
}

/// Redis's `used_memory`.
pub fn used_memory(server: &crate::redis::RedisServer) -> u64 {
    let info = server.cli(&["INFO", "memory"]);
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// This process's resident memory.
pub fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split(' ').nth(1).unwrap().parse().unwrap();
    pages * 4096
}
