//! The connection to Redis (one server or a cluster) and the Lua scripts run on it.

use redis::aio::ConnectionManager;
use redis::{Script, Value};

/// A single Redis (or a primary), or a Redis Cluster.
#[derive(Clone)]
pub(crate) enum Conn {
    Standalone(ConnectionManager),
    #[cfg(feature = "cluster")]
    Cluster(redis::cluster_async::ClusterConnection),
}

impl Conn {
    pub(crate) fn is_cluster(&self) -> bool {
        !matches!(self, Self::Standalone(_))
    }
}

impl redis::aio::ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a redis::Cmd) -> redis::RedisFuture<'a, Value> {
        match self {
            Self::Standalone(c) => c.req_packed_command(cmd),
            #[cfg(feature = "cluster")]
            Self::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Standalone(c) => c.req_packed_commands(cmd, offset, count),
            #[cfg(feature = "cluster")]
            Self::Cluster(c) => c.req_packed_commands(cmd, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Standalone(c) => c.get_db(),
            #[cfg(feature = "cluster")]
            Self::Cluster(c) => c.get_db(),
        }
    }
}

pub(crate) struct Scripts {
    pub(crate) create: Script,
    pub(crate) load: Script,
    pub(crate) load_tagged: Script,
    pub(crate) renew: Script,
    pub(crate) commit: Script,
    pub(crate) attempt: Script,
    pub(crate) settle: Script,
    pub(crate) failures: Script,
    pub(crate) rotate: Script,
    pub(crate) delete: Script,
    pub(crate) delete_user: Script,
    pub(crate) list_user: Script,
    pub(crate) delete_handle: Script,
    pub(crate) issue: Script,
    pub(crate) family: Script,
    pub(crate) refresh: Script,
    pub(crate) revoke: Script,
    pub(crate) revoke_family: Script,
    pub(crate) revoke_user: Script,
    pub(crate) revoke_tokens: Script,
    pub(crate) lookup_revoked: Script,
    pub(crate) feed_start: Script,
    pub(crate) link: Script,
    pub(crate) take_links: Script,
}

impl Scripts {
    pub(crate) fn new() -> Self {
        Self {
            create: Script::new(include_str!("lua/create.lua")),
            load: Script::new(include_str!("lua/load.lua")),
            load_tagged: Script::new(include_str!("lua/load_tagged.lua")),
            renew: Script::new(include_str!("lua/renew.lua")),
            commit: Script::new(include_str!("lua/commit.lua")),
            attempt: Script::new(include_str!("lua/attempt.lua")),
            settle: Script::new(include_str!("lua/settle.lua")),
            failures: Script::new(include_str!("lua/failures.lua")),
            rotate: Script::new(include_str!("lua/rotate.lua")),
            delete: Script::new(include_str!("lua/delete.lua")),
            delete_user: Script::new(include_str!("lua/delete_user.lua")),
            list_user: Script::new(include_str!("lua/list_user.lua")),
            delete_handle: Script::new(include_str!("lua/delete_handle.lua")),
            issue: Script::new(include_str!("lua/issue.lua")),
            family: Script::new(include_str!("lua/family.lua")),
            refresh: Script::new(include_str!("lua/refresh.lua")),
            revoke: Script::new(include_str!("lua/revoke.lua")),
            revoke_family: Script::new(include_str!("lua/revoke_family.lua")),
            revoke_user: Script::new(include_str!("lua/revoke_user.lua")),
            revoke_tokens: Script::new(include_str!("lua/revoke_tokens.lua")),
            lookup_revoked: Script::new(include_str!("lua/lookup_revoked.lua")),
            feed_start: Script::new(include_str!("lua/feed_start.lua")),
            link: Script::new(include_str!("lua/link.lua")),
            take_links: Script::new(include_str!("lua/take_links.lua")),
        }
    }
}
