//! The receive buffer of the framed network protocols (PostgreSQL, MySQL): bytes read from
//! the server and not yet consumed. Each protocol frames messages on top of it.

use dbhive_core::{DbError, DbResult};
use tokio::io::{AsyncRead, AsyncReadExt};

/// Reads below this size are grown to it; big messages (a 50 MB cell) grow the buffer to
/// their size, and it shrinks back afterwards.
const READ_CHUNK: usize = 64 * 1024;
const KEEP_CAPACITY: usize = 4 * 1024 * 1024;

pub struct RecvBuffer {
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl RecvBuffer {
    pub fn new() -> Self {
        RecvBuffer {
            buf: vec![0; READ_CHUNK],
            start: 0,
            end: 0,
        }
    }

    /// The unread bytes, and where they start in the buffer (frames point into it).
    pub fn unread(&self) -> (usize, &[u8]) {
        (self.start, &self.buf[self.start..self.end])
    }

    /// Whether bytes are waiting that no one has read yet.
    pub fn has_data(&self) -> bool {
        self.end > self.start
    }

    pub fn bytes(&self, start: usize, end: usize) -> &[u8] {
        &self.buf[start..end]
    }

    /// Marks everything before `end` as handled.
    pub fn consume_to(&mut self, end: usize) {
        self.start = end;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Takes whatever bytes are already waiting on `stream` without blocking: Some(Ok(n))
    /// for n bytes (0: the peer closed), Some(Err) on error, None when nothing is there.
    pub fn fill_now<S: AsyncRead + Unpin>(
        &mut self,
        stream: &mut S,
    ) -> Option<std::io::Result<usize>> {
        if self.buf.len() - self.end < READ_CHUNK {
            self.buf.resize(self.end + READ_CHUNK, 0);
        }
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        let mut rb = tokio::io::ReadBuf::new(&mut self.buf[self.end..]);
        match std::pin::Pin::new(stream).poll_read(&mut cx, &mut rb) {
            std::task::Poll::Pending => None,
            std::task::Poll::Ready(Err(e)) => Some(Err(e)),
            std::task::Poll::Ready(Ok(())) => {
                let n = rb.filled().len();
                self.end += n;
                Some(Ok(n))
            }
        }
    }

    /// Reads more bytes from `stream`, with room for `wanted` bytes of the message being
    /// received (its full size once its header is in). Errors at end of stream.
    pub async fn fill<S: AsyncRead + Unpin>(
        &mut self,
        stream: &mut S,
        wanted: usize,
    ) -> DbResult<()> {
        if self.start > 0
            && (self.buf.len() - self.end < READ_CHUNK || self.buf.len() - self.start < wanted)
        {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let need = (self.start + wanted).max(self.end + READ_CHUNK);
        if self.buf.len() < need {
            self.buf.resize(need, 0);
        } else if self.buf.len() > KEEP_CAPACITY && self.end < READ_CHUNK && wanted < READ_CHUNK {
            self.buf.truncate(READ_CHUNK.max(self.end));
            self.buf.shrink_to_fit();
        }
        let n = stream.read(&mut self.buf[self.end..]).await?;
        if n == 0 {
            return Err(DbError::connection(
                "the server closed the connection unexpectedly",
            ));
        }
        self.end += n;
        Ok(())
    }
}
