//! Free loopback ports for the services a test starts.
//!
//! A port is free when the kernel hands it out for `127.0.0.1:0`, but it is only reserved while
//! that socket lives: two tests that ask at the same moment may get the same one, and the
//! second service to start then fails to bind, or worse, the second test talks to the first
//! test's service. So no port is handed out twice in one process.

use std::collections::HashSet;
use std::net::TcpListener;
use std::sync::{Mutex, PoisonError};

static HANDED_OUT: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

/// A loopback port nobody listens on now and that this process has not handed out before.
pub fn free_port() -> u16 {
    let mut handed_out = HANDED_OUT.lock().unwrap_or_else(PoisonError::into_inner);
    let handed_out = handed_out.get_or_insert_with(HashSet::new);
    // The kernel picks ports at random from ~28,000: a repeat in a row is rare.
    for _ in 0..1000 {
        let port = TcpListener::bind(("127.0.0.1", 0))
            .and_then(|l| l.local_addr())
            .expect("a loopback port")
            .port();
        if handed_out.insert(port) {
            return port;
        }
    }
    panic!("no loopback port that was not handed out before, after 1,000 tries");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_port_is_handed_out_twice() {
        let ports: Vec<u16> = (0..2000).map(|_| free_port()).collect();
        let unique: HashSet<u16> = ports.iter().copied().collect();
        assert_eq!(unique.len(), ports.len());
    }
}
