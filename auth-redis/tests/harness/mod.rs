//! The store suite's harness for Redis, shared by the single-server and the Cluster tests:
//! real time, and a dump of every key and value on every node, byte for byte.
#![allow(dead_code, unreachable_pub, clippy::unwrap_used, clippy::panic)]

use std::time::Duration;

use auth_core::UnixTime;
use auth_redis::RedisStore;
use redis::AsyncCommands;

use auth_test::store_suite;

pub struct RedisHarness {
    pub store: RedisStore,
    /// `redis://…` of every node whose keys the dump reads.
    pub urls: Vec<String>,
}

impl store_suite::Harness for RedisHarness {
    type Store = RedisStore;
    const TICK: u64 = 1;
    fn store(&self) -> &RedisStore {
        &self.store
    }
    fn now(&self) -> UnixTime {
        UnixTime::now()
    }
    async fn advance(&self, secs: u64) {
        tokio::time::sleep(Duration::from_secs(secs)).await;
    }
    /// Every key name and every value the nodes hold, as raw bytes.
    async fn dump(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for url in &self.urls {
            dump_node(url, &mut out).await;
        }
        out
    }
}

async fn dump_node(url: &str, out: &mut Vec<u8>) {
    let mut conn = redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let keys: Vec<Vec<u8>> = {
        let mut iter = conn.scan::<Vec<u8>>().await.unwrap();
        let mut keys = Vec::new();
        while let Some(k) = iter.next_item().await {
            keys.push(k.unwrap());
        }
        keys
    };
    for key in keys {
        out.extend_from_slice(&key);
        let kind: String = redis::cmd("TYPE")
            .arg(&key)
            .query_async(&mut conn)
            .await
            .unwrap();
        let values: Vec<Vec<u8>> = match kind.as_str() {
            "string" => vec![conn.get(&key).await.unwrap()],
            "hash" => conn.hgetall::<_, Vec<Vec<u8>>>(&key).await.unwrap(),
            "set" => conn.smembers(&key).await.unwrap(),
            "zset" => conn.zrange(&key, 0, -1).await.unwrap(),
            "stream" => {
                let entries: redis::Value = redis::cmd("XRANGE")
                    .arg(&key)
                    .arg("-")
                    .arg("+")
                    .query_async(&mut conn)
                    .await
                    .unwrap();
                let mut flat = Vec::new();
                flatten(&entries, &mut flat);
                flat
            }
            "none" => vec![], // expired meanwhile
            other => panic!("unexpected key type {other}"),
        };
        for v in values {
            out.extend_from_slice(&v);
        }
    }
}

/// Every bulk string of a nested answer.
fn flatten(value: &redis::Value, out: &mut Vec<Vec<u8>>) {
    match value {
        redis::Value::BulkString(bytes) => out.push(bytes.clone()),
        redis::Value::Array(items) => items.iter().for_each(|v| flatten(v, out)),
        _ => {}
    }
}
