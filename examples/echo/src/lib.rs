//! echo: a misc device `/dev/rust_echo` that keeps what is written to it
//! and reads it back. A write at offset `o` keeps the first `o` bytes and
//! replaces the rest (so `printf x > /dev/rust_echo` replaces everything,
//! and a large write in several chunks appends); reads honour the offset.
#![no_std]

use kernel::fs::{File, OpenFile};
use kernel::miscdev::{MiscDevice, MiscRegistration};
use kernel::prelude::*;
use kernel::sync::{Mutex, SpinLock};
use kernel::user::{file_range, UserSliceReader, UserSliceWriter};
use kernel::{new_mutex, new_spinlock};

/// At most this many bytes are kept.
const CAPACITY: usize = 1 << 20;

/// The device-wide state.
struct Buffer {
    /// What was written (a mutex: user copies may sleep).
    data: Pin<Box<Mutex<Vec<u8>>>>,
    /// How many times the device was opened.
    opens: Pin<Box<SpinLock<u64>>>,
}

/// One open file.
struct EchoFile {
    buffer: Arc<Buffer>,
}

impl MiscDevice for EchoFile {
    type Shared = Buffer;

    fn open(_file: &OpenFile<'_>, shared: &Arc<Buffer>) -> Result<Self> {
        *shared.opens.lock() += 1;
        Ok(EchoFile {
            buffer: shared.clone(),
        })
    }

    fn read(&self, _file: &File, out: &mut UserSliceWriter, offset: &mut i64) -> Result<usize> {
        let data = self.buffer.data.lock();
        let range = file_range(*offset, out.len(), data.len())?;
        let n = range.len();
        out.write_slice(&data[range])?;
        *offset += n as i64;
        Ok(n)
    }

    fn write(&self, _file: &File, input: &mut UserSliceReader, offset: &mut i64) -> Result<usize> {
        let start = usize::try_from(*offset).map_err(|_| EINVAL)?;
        let n = input.len();
        if start.checked_add(n).is_none_or(|end| end > CAPACITY) {
            return Err(ENOSPC);
        }
        let mut data = self.buffer.data.lock();
        // Bytes between the old end and `start` read as zeros.
        data.try_resize(start, 0)?;
        input.read_all(&mut data)?;
        *offset += n as i64;
        Ok(n)
    }
}

struct Echo {
    device: Pin<Box<MiscRegistration<EchoFile>>>,
}

impl Module for Echo {
    fn init() -> Result<Self> {
        let buffer = Buffer {
            data: new_mutex!(Vec::new(), "echo_buffer")?,
            opens: new_spinlock!(0, "echo_opens")?,
        };
        let device = MiscRegistration::<EchoFile>::register(c"rust_echo", buffer)?;
        pr_info!("echo: /dev/rust_echo ready\n");
        Ok(Echo { device })
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        let opens = *self.device.shared().opens.lock();
        pr_info!("echo: exit after {} opens\n", opens);
    }
}

module! {
    type: Echo,
    name: "echo",
    license: "GPL",
    author: "rust.ko contributors",
    description: "A misc device that reads back what was written",
}
