//! The connection pool of every network driver whose client library has none: a thin layer
//! over `deadpool::managed` (the design card's pooling library) that keeps DB-Hive's rules.
//!
//! - A connection that broke (the driver's `is_broken`: no round trip) is never handed out
//!   and not kept when it comes back.
//! - One idle more than 15 s is pinged before reuse, so a laptop that slept, or a server that
//!   restarted, costs one failed check and a reconnect instead of an error in the user's face.
//! - One idle more than 10 minutes is closed instead.
//! - Waiting for a free connection is bounded (`acquire_timeout`); most recently used first.

use std::sync::Mutex;
use std::time::Duration;

// Tokio's clock, so tests can move it; the same instant as std's otherwise.
use tokio::time::Instant;

use async_trait::async_trait;
use deadpool::managed::{self, Metrics, Object, PoolError, QueueMode, RecycleError, RecycleResult};

use crate::error::{DbError, DbResult, ErrorKind};

/// Creates and checks the connections of one pool.
#[async_trait]
pub trait Manage: Send + Sync + 'static {
    type Conn: Send + 'static;

    async fn create(&self) -> DbResult<Self::Conn>;

    /// One round trip proving the connection still works.
    async fn check(&self, conn: &mut Self::Conn) -> DbResult<()>;

    /// True when the connection must not be reused (broken socket, desynchronised
    /// protocol, a transaction left open). Must not block: no round trips here.
    fn is_broken(&self, conn: &mut Self::Conn) -> bool;
}

/// Connections idle longer than this are checked before they are handed out.
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(15);
/// Connections idle longer than this are closed rather than checked.
const MAX_IDLE: Duration = Duration::from_secs(600);

/// A pooled connection and when it was last given back.
pub struct Slot<C> {
    conn: C,
    idle_since: Instant,
}

/// deadpool's manager for a driver's `Manage`.
pub struct Adapter<M: Manage> {
    manager: M,
    /// Connections opened elsewhere (the one `connect` verified with), handed out first.
    seeds: Mutex<Vec<M::Conn>>,
}

impl<M: Manage> managed::Manager for Adapter<M> {
    type Type = Slot<M::Conn>;
    type Error = DbError;

    async fn create(&self) -> Result<Slot<M::Conn>, DbError> {
        let seed = self.seeds.lock().ok().and_then(|mut s| s.pop());
        let conn = match seed {
            Some(c) => c,
            None => self.manager.create().await?,
        };
        Ok(Slot {
            conn,
            idle_since: Instant::now(),
        })
    }

    async fn recycle(&self, slot: &mut Slot<M::Conn>, _: &Metrics) -> RecycleResult<DbError> {
        let idle_for = slot.idle_since.elapsed();
        if idle_for > MAX_IDLE {
            return Err(RecycleError::message("idle for more than 10 minutes"));
        }
        if self.manager.is_broken(&mut slot.conn) {
            return Err(RecycleError::message("broken"));
        }
        if idle_for > CHECK_AFTER_IDLE {
            self.manager
                .check(&mut slot.conn)
                .await
                .map_err(RecycleError::Backend)?;
        }
        Ok(())
    }
}

pub struct Pool<M: Manage> {
    inner: managed::Pool<Adapter<M>>,
    acquire_timeout: Duration,
}

impl<M: Manage> Clone for Pool<M> {
    fn clone(&self) -> Self {
        Pool {
            inner: self.inner.clone(),
            acquire_timeout: self.acquire_timeout,
        }
    }
}

impl<M: Manage> Pool<M> {
    pub fn new(manager: M, max_size: u32, acquire_timeout: Duration) -> Self {
        let adapter = Adapter {
            manager,
            seeds: Mutex::new(Vec::new()),
        };
        let inner = managed::Pool::builder(adapter)
            .max_size(max_size.max(1) as usize)
            .wait_timeout(Some(acquire_timeout))
            .queue_mode(QueueMode::Lifo)
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            // Only a missing runtime or a zero size fail here, and both are set above.
            .unwrap_or_else(|e| panic!("pool configuration: {e}"));
        Pool {
            inner,
            acquire_timeout,
        }
    }

    pub fn manager(&self) -> &M {
        &self.inner.manager().manager
    }

    /// Seeds the pool with a connection opened elsewhere (the one `connect` verified with).
    pub fn put_idle(&self, conn: M::Conn) {
        if let Ok(mut seeds) = self.inner.manager().seeds.lock() {
            seeds.push(conn);
        }
    }

    /// A connection for exclusive use; it returns to the pool when dropped.
    pub async fn get(&self) -> DbResult<Pooled<M>> {
        match self.inner.get().await {
            Ok(object) => Ok(Pooled {
                object: Some(object),
                pool: self.inner.clone(),
            }),
            Err(PoolError::Backend(e)) => Err(e),
            Err(PoolError::Timeout(_)) => Err(DbError::timeout(format!(
                "all pooled connections stayed busy for {} s",
                self.acquire_timeout.as_secs()
            ))),
            Err(PoolError::Closed) => Err(DbError::new(
                ErrorKind::Connection,
                "the connection was closed",
            )),
            Err(e) => Err(DbError::internal(format!("connection pool: {e}"))),
        }
    }

    /// Drops the idle connections and refuses new checkouts.
    pub fn close(&self) {
        self.inner.close();
        if let Ok(mut seeds) = self.inner.manager().seeds.lock() {
            seeds.clear();
        }
    }
}

/// A checked-out connection.
pub struct Pooled<M: Manage> {
    object: Option<Object<Adapter<M>>>,
    pool: managed::Pool<Adapter<M>>,
}

impl<M: Manage> Pooled<M> {
    /// Keeps the connection out of the pool: it closes when dropped.
    pub fn discard(mut self) {
        if let Some(object) = self.object.take() {
            drop(Object::take(object));
        }
    }
}

impl<M: Manage> std::ops::Deref for Pooled<M> {
    type Target = M::Conn;
    fn deref(&self) -> &M::Conn {
        // Only `discard` and `drop` take the object, and both consume the guard.
        &self
            .object
            .as_ref()
            .expect("pooled connection present until drop")
            .conn
    }
}

impl<M: Manage> std::ops::DerefMut for Pooled<M> {
    fn deref_mut(&mut self) -> &mut M::Conn {
        &mut self
            .object
            .as_mut()
            .expect("pooled connection present until drop")
            .conn
    }
}

impl<M: Manage> Drop for Pooled<M> {
    fn drop(&mut self) {
        let Some(mut object) = self.object.take() else {
            return;
        };
        // deadpool takes back whatever is dropped; a broken connection is taken out instead,
        // so it holds no place in the pool.
        if self.pool.is_closed() || self.pool.manager().manager.is_broken(&mut object.conn) {
            drop(Object::take(object));
            return;
        }
        object.idle_since = Instant::now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    struct Counter {
        created: AtomicU32,
    }

    #[async_trait]
    impl Manage for Counter {
        type Conn = (u32, bool);
        async fn create(&self) -> DbResult<(u32, bool)> {
            Ok((self.created.fetch_add(1, Ordering::SeqCst), false))
        }
        async fn check(&self, _: &mut (u32, bool)) -> DbResult<()> {
            Ok(())
        }
        fn is_broken(&self, conn: &mut (u32, bool)) -> bool {
            conn.1
        }
    }

    #[tokio::test]
    async fn reuses_and_replaces_broken() {
        let pool = Pool::new(
            Counter {
                created: AtomicU32::new(0),
            },
            2,
            Duration::from_millis(100),
        );
        let a = pool.get().await.expect("a");
        assert_eq!(a.0, 0);
        drop(a);
        let mut a = pool.get().await.expect("reuse");
        assert_eq!(a.0, 0);
        a.1 = true;
        drop(a);
        let a = pool.get().await.expect("new");
        assert_eq!(a.0, 1);
        let _b = pool.get().await.expect("b");
        let err = pool.get().await.err().expect("exhausted");
        assert_eq!(err.kind, ErrorKind::Timeout);
    }

    #[tokio::test]
    async fn a_seed_goes_first_and_a_closed_pool_refuses() {
        let pool = Pool::new(
            Counter {
                created: AtomicU32::new(0),
            },
            2,
            Duration::from_millis(100),
        );
        pool.put_idle((99, false));
        assert_eq!(pool.get().await.expect("seed").0, 99);
        assert_eq!(
            pool.get().await.expect("the seed again").0,
            99,
            "returned and reused"
        );
        let taken = pool.get().await.expect("seed");
        taken.discard();
        assert_eq!(
            pool.get().await.expect("new").0,
            0,
            "a discarded one is gone"
        );
        pool.close();
        assert_eq!(
            pool.get().await.err().map(|e| e.kind),
            Some(ErrorKind::Connection)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn idle_connections_are_checked_then_closed() {
        struct Checked {
            created: AtomicU32,
            checks: AtomicU32,
        }
        #[async_trait]
        impl Manage for Checked {
            type Conn = u32;
            async fn create(&self) -> DbResult<u32> {
                Ok(self.created.fetch_add(1, Ordering::SeqCst))
            }
            async fn check(&self, _: &mut u32) -> DbResult<()> {
                self.checks.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
            fn is_broken(&self, _: &mut u32) -> bool {
                false
            }
        }
        let pool = Pool::new(
            Checked {
                created: AtomicU32::new(0),
                checks: AtomicU32::new(0),
            },
            1,
            Duration::from_secs(1),
        );
        drop(pool.get().await.expect("first"));
        drop(pool.get().await.expect("at once: no check"));
        assert_eq!(pool.manager().checks.load(Ordering::SeqCst), 0);
        tokio::time::advance(Duration::from_secs(20)).await;
        assert_eq!(*pool.get().await.expect("after 20 s"), 0);
        assert_eq!(pool.manager().checks.load(Ordering::SeqCst), 1, "pinged");
        tokio::time::advance(Duration::from_secs(601)).await;
        assert_eq!(
            *pool.get().await.expect("after 10 min"),
            1,
            "closed, a new one"
        );
    }
}
