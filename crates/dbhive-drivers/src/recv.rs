//! The receive buffer of the framed network protocols (PostgreSQL, MySQL): bytes read from
//! the server and not yet consumed. Each protocol frames messages on top of it.

use dbhive_core::{DbError, DbResult};
use tokio::io::{AsyncRead, AsyncReadExt};

/// Reads below this size are grown to it; big messages (a 50 MB cell) grow the buffer as
/// their bytes arrive, and it shrinks back afterwards.
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

    /// Reads more bytes from `stream`, toward `wanted` bytes of the message being received
    /// (its full size once its header is in). Errors at end of stream.
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
        // Room for the message being received, but never more than twice what has arrived
        // of it: a header that claims a gigabyte costs nothing until the bytes come, and a
        // real big message still grows the buffer in a logarithmic number of steps.
        let arrived = self.end - self.start;
        let room = wanted.min(arrived.saturating_mul(2).max(READ_CHUNK));
        let need = (self.start + room).max(self.end + READ_CHUNK);
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

    /// Bytes the buffer holds, read or not (for tests of its growth).
    #[cfg(test)]
    pub fn capacity(&self) -> usize {
        self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream that yields `total` bytes in reads of `chunk`.
    struct Trickle {
        left: usize,
        chunk: usize,
    }

    impl AsyncRead for Trickle {
        fn poll_read(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            let n = self.left.min(self.chunk).min(buf.remaining());
            buf.put_slice(&vec![7u8; n]);
            self.left -= n;
            std::task::Poll::Ready(Ok(()))
        }
    }

    #[tokio::test]
    async fn a_claimed_length_costs_nothing_until_its_bytes_arrive() {
        let mut buf = RecvBuffer::new();
        let mut src = Trickle {
            left: 100,
            chunk: 100,
        };
        buf.fill(&mut src, 1 << 30).await.expect("fill");
        assert!(buf.capacity() <= 2 * READ_CHUNK, "{}", buf.capacity());
    }

    #[tokio::test]
    async fn a_big_message_grows_the_buffer_to_its_size() {
        let total = 10 << 20;
        let mut buf = RecvBuffer::new();
        let mut src = Trickle {
            left: total,
            chunk: 1 << 20,
        };
        let mut fills = 0;
        while buf.unread().1.len() < total {
            buf.fill(&mut src, total).await.expect("fill");
            fills += 1;
        }
        assert!(buf.capacity() < 2 * total + READ_CHUNK);
        assert!(fills < 200, "{fills} reads");
    }
}
