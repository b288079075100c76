//! A small async connection pool, shared by the drivers whose client library has none.
//!
//! Idle connections are checked before reuse once they have been idle for a while, so a
//! laptop that slept, or a server that restarted, costs one failed check and a reconnect
//! instead of an error in the user's face.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

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

struct Inner<M: Manage> {
    manager: M,
    idle: Mutex<Vec<(M::Conn, Instant)>>,
    permits: Arc<Semaphore>,
    acquire_timeout: Duration,
}

pub struct Pool<M: Manage> {
    inner: Arc<Inner<M>>,
}

impl<M: Manage> Clone for Pool<M> {
    fn clone(&self) -> Self {
        Pool {
            inner: self.inner.clone(),
        }
    }
}

impl<M: Manage> Pool<M> {
    pub fn new(manager: M, max_size: u32, acquire_timeout: Duration) -> Self {
        Pool {
            inner: Arc::new(Inner {
                manager,
                idle: Mutex::new(Vec::new()),
                permits: Arc::new(Semaphore::new(max_size.max(1) as usize)),
                acquire_timeout,
            }),
        }
    }

    pub fn manager(&self) -> &M {
        &self.inner.manager
    }

    /// Seeds the pool with a connection opened elsewhere (the one `connect` verified with).
    pub fn put_idle(&self, conn: M::Conn) {
        if let Ok(mut idle) = self.inner.idle.lock() {
            idle.push((conn, Instant::now()));
        }
    }

    /// A connection for exclusive use; it returns to the pool when dropped.
    pub async fn get(&self) -> DbResult<Pooled<M>> {
        let permit = tokio::time::timeout(
            self.inner.acquire_timeout,
            self.inner.permits.clone().acquire_owned(),
        )
        .await
        .map_err(|_| {
            DbError::timeout(format!(
                "all pooled connections stayed busy for {} s",
                self.inner.acquire_timeout.as_secs()
            ))
        })?
        .map_err(|_| DbError::new(ErrorKind::Connection, "the connection was closed"))?;

        loop {
            let candidate = self.inner.idle.lock().ok().and_then(|mut idle| idle.pop());
            let Some((mut conn, since)) = candidate else {
                break;
            };
            let idle_for = since.elapsed();
            if idle_for > MAX_IDLE || self.inner.manager.is_broken(&mut conn) {
                continue;
            }
            if idle_for > CHECK_AFTER_IDLE && self.inner.manager.check(&mut conn).await.is_err() {
                continue;
            }
            return Ok(self.wrap(conn, permit));
        }
        let conn = self.inner.manager.create().await?;
        Ok(self.wrap(conn, permit))
    }

    fn wrap(&self, conn: M::Conn, permit: OwnedSemaphorePermit) -> Pooled<M> {
        Pooled {
            conn: Some(conn),
            pool: self.inner.clone(),
            _permit: permit,
        }
    }

    /// Drops the idle connections and refuses new checkouts.
    pub fn close(&self) {
        self.inner.permits.close();
        if let Ok(mut idle) = self.inner.idle.lock() {
            idle.clear();
        }
    }
}

/// A checked-out connection.
pub struct Pooled<M: Manage> {
    conn: Option<M::Conn>,
    pool: Arc<Inner<M>>,
    _permit: OwnedSemaphorePermit,
}

impl<M: Manage> Pooled<M> {
    /// Keeps the connection out of the pool: it closes when dropped.
    pub fn discard(mut self) {
        self.conn = None;
    }
}

impl<M: Manage> std::ops::Deref for Pooled<M> {
    type Target = M::Conn;
    fn deref(&self) -> &M::Conn {
        // Only `discard` and `drop` take the connection, and both consume the guard.
        self.conn
            .as_ref()
            .expect("pooled connection present until drop")
    }
}

impl<M: Manage> std::ops::DerefMut for Pooled<M> {
    fn deref_mut(&mut self) -> &mut M::Conn {
        self.conn
            .as_mut()
            .expect("pooled connection present until drop")
    }
}

impl<M: Manage> Drop for Pooled<M> {
    fn drop(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            if self.pool.permits.is_closed() || self.pool.manager.is_broken(&mut conn) {
                return;
            }
            if let Ok(mut idle) = self.pool.idle.lock() {
                idle.push((conn, Instant::now()));
            }
        }
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
}
