//! chrdev: a character device region `rust_chr` with four minors, nodes
//! `/dev/rust_chr0` to `/dev/rust_chr3` in class `rust_chr`. Reading a
//! node gives `minor N` and a count of opens of any node.
#![no_std]

use core::fmt::Write;
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};

use kernel::chrdev::Registration;
use kernel::fs::{File, OpenFile};
use kernel::miscdev::MiscDevice;
use kernel::prelude::*;
use kernel::user::{file_range, UserSliceWriter};

const MINORS: u32 = 4;

/// One open file: the text it reads, formatted at open. (A fixed
/// buffer: a growing `String` may abort on allocation failure.)
struct ChrFile {
    text: [u8; 32],
    len: usize,
}

impl Write for ChrFile {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len + s.len();
        let slot = self.text.get_mut(self.len..end).ok_or(core::fmt::Error)?;
        slot.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl MiscDevice for ChrFile {
    type Shared = AtomicU64;

    fn open(file: &OpenFile<'_>, opens: &Arc<AtomicU64>) -> Result<Self> {
        let n = opens.fetch_add(1, Relaxed) + 1;
        let mut this = ChrFile {
            text: [0; 32],
            len: 0,
        };
        writeln!(this, "minor {} open {}", file.minor(), n).map_err(|_| EOVERFLOW)?;
        Ok(this)
    }

    fn read(&self, _file: &File, out: &mut UserSliceWriter, offset: &mut i64) -> Result<usize> {
        let range = file_range(*offset, out.len(), self.len)?;
        let n = range.len();
        out.write_slice(&self.text[range])?;
        *offset += n as i64;
        Ok(n)
    }
}

struct ChrModule {
    region: Registration<ChrFile>,
}

impl Module for ChrModule {
    fn init() -> Result<Self> {
        let region = Registration::<ChrFile>::register(c"rust_chr", MINORS, AtomicU64::new(0))?;
        pr_info!("chrdev: {} minors ready\n", MINORS);
        Ok(ChrModule { region })
    }
}

impl Drop for ChrModule {
    fn drop(&mut self) {
        pr_info!(
            "chrdev: exit after {} opens\n",
            self.region.shared().load(Relaxed)
        );
    }
}

module! {
    type: ChrModule,
    name: "chrdev",
    license: "GPL",
    author: "rust.ko contributors",
    description: "A character device region with a class and four nodes",
}
