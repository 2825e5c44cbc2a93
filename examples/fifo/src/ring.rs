//! A fixed-size byte ring: data moves in at most two contiguous pieces.

use kernel::prelude::*;

pub struct Ring {
    buf: Vec<u8>,
    /// Index of the oldest byte.
    head: usize,
    len: usize,
}

impl Ring {
    pub fn new(capacity: usize) -> Result<Self> {
        let mut buf = Vec::new();
        buf.try_resize(capacity, 0)?;
        Ok(Ring {
            buf,
            head: 0,
            len: 0,
        })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn is_full(&self) -> bool {
        self.len == self.buf.len()
    }

    pub fn clear(&mut self) {
        self.head = 0;
        self.len = 0;
    }

    /// Hands up to `max` of the oldest bytes to `sink`, piece by piece, and
    /// removes those it accepted; returns how many.
    pub fn pop(&mut self, max: usize, mut sink: impl FnMut(&[u8]) -> Result) -> Result<usize> {
        let n = max.min(self.len);
        let cap = self.buf.len();
        let first = n.min(cap - self.head);
        sink(&self.buf[self.head..self.head + first])?;
        if n > first {
            sink(&self.buf[..n - first])?;
        }
        self.head = (self.head + n) % cap;
        self.len -= n;
        Ok(n)
    }

    /// Fills up to `max` free bytes from `source`, piece by piece, and
    /// keeps them if all pieces were filled; returns how many.
    pub fn push(
        &mut self,
        max: usize,
        mut source: impl FnMut(&mut [u8]) -> Result,
    ) -> Result<usize> {
        let cap = self.buf.len();
        let n = max.min(cap - self.len);
        let tail = (self.head + self.len) % cap;
        let first = n.min(cap - tail);
        source(&mut self.buf[tail..tail + first])?;
        if n > first {
            source(&mut self.buf[..n - first])?;
        }
        self.len += n;
        Ok(n)
    }
}
