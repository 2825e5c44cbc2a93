//! fifo: `/dev/rust_fifo`, a blocking byte FIFO shared by all its open
//! files. A read sleeps until there is data and a write until there is
//! room (`O_NONBLOCK`: `EAGAIN` instead; a signal ends the sleep);
//! `poll` reports `EPOLLIN`/`EPOLLOUT`. The files are streams (`lseek` is
//! `ESPIPE`). ioctl `FIFO_CLEAR` empties it, `FIFO_GET_LEN` stores the
//! number of buffered bytes at a `u32 *`.
#![no_std]

use kernel::fs::{File, OpenFile};
use kernel::ioctl::{_IO, _IOR};
use kernel::miscdev::{MiscDevice, MiscRegistration};
use kernel::prelude::*;
use kernel::sync::poll::{PollTable, EPOLLIN, EPOLLOUT, EPOLLRDNORM, EPOLLWRNORM};
use kernel::sync::{Mutex, PollCondVar};
use kernel::user::{UserSlice, UserSliceReader, UserSliceWriter};
use kernel::{new_mutex, new_poll_condvar};

mod ring;
use ring::Ring;

/// Bytes the FIFO holds.
const CAPACITY: usize = 4096;
/// Empties the FIFO.
const FIFO_CLEAR: u32 = _IO(b'f' as u32, 1);
/// Stores the number of buffered bytes (a `u32`) at the argument.
const FIFO_GET_LEN: u32 = _IOR::<u32>(b'f' as u32, 2);

/// The device-wide state.
struct Fifo {
    ring: Pin<Box<Mutex<Ring>>>,
    /// Notified when data arrives.
    readable: Pin<Box<PollCondVar>>,
    /// Notified when room is made.
    writable: Pin<Box<PollCondVar>>,
}

/// One open file.
struct FifoFile {
    fifo: Arc<Fifo>,
}

impl MiscDevice for FifoFile {
    type Shared = Fifo;

    fn open(file: &OpenFile<'_>, shared: &Arc<Fifo>) -> Result<Self> {
        file.stream_open();
        Ok(FifoFile {
            fifo: shared.clone(),
        })
    }

    fn read(&self, file: &File, out: &mut UserSliceWriter, _offset: &mut i64) -> Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        let mut ring = self.fifo.ring.lock();
        while ring.is_empty() {
            if file.is_nonblocking() {
                return Err(EAGAIN);
            }
            if self.fifo.readable.wait_interruptible(&mut ring) {
                return Err(ERESTARTSYS);
            }
        }
        let n = ring.pop(out.len(), |part| out.write_slice(part))?;
        drop(ring);
        self.fifo.writable.notify_all();
        Ok(n)
    }

    fn write(&self, file: &File, input: &mut UserSliceReader, _offset: &mut i64) -> Result<usize> {
        if input.is_empty() {
            return Ok(0);
        }
        let mut ring = self.fifo.ring.lock();
        while ring.is_full() {
            if file.is_nonblocking() {
                return Err(EAGAIN);
            }
            if self.fifo.writable.wait_interruptible(&mut ring) {
                return Err(ERESTARTSYS);
            }
        }
        let n = ring.push(input.len(), |part| input.read_slice(part))?;
        drop(ring);
        self.fifo.readable.notify_all();
        Ok(n)
    }

    fn poll(&self, file: &File, table: &PollTable<'_>) -> Result<u32> {
        table.register_wait(file, &self.fifo.readable);
        table.register_wait(file, &self.fifo.writable);
        let ring = self.fifo.ring.lock();
        let mut events = 0;
        if !ring.is_empty() {
            events |= EPOLLIN | EPOLLRDNORM;
        }
        if !ring.is_full() {
            events |= EPOLLOUT | EPOLLWRNORM;
        }
        Ok(events)
    }

    fn ioctl(&self, _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        match cmd {
            FIFO_CLEAR => {
                self.fifo.ring.lock().clear();
                self.fifo.writable.notify_all();
                Ok(0)
            }
            FIFO_GET_LEN => {
                let len = self.fifo.ring.lock().len() as u32;
                UserSlice::new(arg, 4)
                    .writer()
                    .write_slice(&len.to_ne_bytes())?;
                Ok(0)
            }
            _ => Err(ENOTTY),
        }
    }
}

struct FifoModule {
    _device: Pin<Box<MiscRegistration<FifoFile>>>,
}

impl Module for FifoModule {
    fn init() -> Result<Self> {
        let fifo = Fifo {
            ring: new_mutex!(Ring::new(CAPACITY)?, "fifo_ring")?,
            readable: new_poll_condvar!("fifo_readable")?,
            writable: new_poll_condvar!("fifo_writable")?,
        };
        let device = FifoFile::register(c"rust_fifo", fifo)?;
        pr_info!("fifo: /dev/rust_fifo ready ({} bytes)\n", CAPACITY);
        Ok(FifoModule { _device: device })
    }
}

impl Drop for FifoModule {
    fn drop(&mut self) {
        pr_info!("fifo: exit\n");
    }
}

module! {
    type: FifoModule,
    name: "fifo",
    license: "GPL",
    author: "rust.ko contributors",
    description: "A blocking FIFO device with poll",
}
