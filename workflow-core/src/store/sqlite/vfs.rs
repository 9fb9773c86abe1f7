//! A VFS shim that writes the write-ahead log in one piece per commit.
//!
//! SQLite writes a commit to the log one frame at a time, each frame with two `pwrite`s (its
//! 24-byte header, then the page). On the machines we measured, each of those costs about as
//! much as writing all of a commit's frames at once, and the writer thread spent most of its time
//! there. The shim, registered as [`NAME`], wraps the default VFS and changes one thing: writes to
//! a `-wal` file that continue where the previous one ended are gathered in a buffer, which goes
//! to the file in one `pwrite` before any other operation on that file. Every other file (the
//! database, temporary files) is the default VFS's own, untouched.
//!
//! # Syncs
//!
//! The writer connection runs with `synchronous = FULL` and `checkpoint_fullfsync = ON`, so SQLite
//! syncs the log
//! - at every commit, after the commit's frames and before the commit becomes visible to readers
//!   (the wal-index), with `SQLITE_SYNC_NORMAL`;
//! - before a checkpoint copies frames into the database, and after writing a new log header,
//!   with `SQLITE_SYNC_FULL`.
//!
//! The shim flushes its buffer at every sync, so readers never see a commit whose frames are not
//! in the file. A `FULL` sync goes on to the disk as usual. A `NORMAL` (commit) sync stops at the
//! flush: only the writer thread's connection opens the database through the shim, and it fsyncs
//! the log itself, pipelined with the next batch, and acknowledges no commit before that fsync
//! (see [`super::writer`]). A checkpoint still syncs the log before it touches the database, so
//! the database never holds a page whose log frame could be lost.
//!
//! Buffering is used only when the log's device characteristics include
//! `SQLITE_IOCAP_POWERSAFE_OVERWRITE` (SQLite's default). Without it SQLite pads commits to a
//! sector boundary and writes the end of the last frame after the sync, which a buffer would
//! hold back past the moment the commit becomes visible.

use std::ffi::{CStr, c_char, c_int, c_void};
use std::ptr;
use std::sync::OnceLock;

use rusqlite::ffi;

/// The name the shim is registered under.
pub(super) const NAME: &str = "workflow-wal";
const NAME_C: &CStr = c"workflow-wal";

/// A buffer grows to at most this many bytes before it is written out.
const MAX_BUFFER: usize = 1 << 20;

/// The most bytes passed to the default VFS in one write: its `unixWrite` takes at most
/// 128 KiB - 1 per call (it masks the length with `0x1ffff`).
const MAX_WRITE: usize = 64 << 10;

/// The default VFS, which the shim forwards to.
struct Registered {
    real: *mut ffi::sqlite3_vfs,
}

// SAFETY: the pointers are to SQLite's process-wide VFS objects, which live for the process and
// which SQLite lets any thread use.
unsafe impl Send for Registered {}
unsafe impl Sync for Registered {}

static REGISTERED: OnceLock<Result<Registered, c_int>> = OnceLock::new();

/// Registers the shim (once per process) and returns its name, for
/// `Connection::open_with_flags_and_vfs`.
pub(super) fn register() -> Result<&'static str, rusqlite::Error> {
    let registered = REGISTERED.get_or_init(|| {
        // SAFETY: sqlite3_initialize and sqlite3_vfs_find may be called from any thread; the VFS
        // we register is leaked, so it outlives every connection that uses it.
        unsafe {
            let rc = ffi::sqlite3_initialize();
            if rc != ffi::SQLITE_OK {
                return Err(rc);
            }
            let real = ffi::sqlite3_vfs_find(ptr::null());
            if real.is_null() {
                return Err(ffi::SQLITE_ERROR);
            }
            let shim = Box::leak(Box::new(ffi::sqlite3_vfs {
                iVersion: 2,
                szOsFile: c_int::try_from(std::mem::size_of::<WalFile>())
                    .unwrap_or(c_int::MAX)
                    .max((*real).szOsFile),
                mxPathname: (*real).mxPathname,
                pNext: ptr::null_mut(),
                zName: NAME_C.as_ptr(),
                pAppData: ptr::null_mut(),
                xOpen: Some(open),
                xDelete: Some(delete),
                xAccess: Some(access),
                xFullPathname: Some(full_pathname),
                xDlOpen: None,
                xDlError: None,
                xDlSym: None,
                xDlClose: None,
                xRandomness: Some(randomness),
                xSleep: Some(sleep),
                xCurrentTime: Some(current_time),
                xGetLastError: Some(last_error),
                xCurrentTimeInt64: Some(current_time_int64),
                xSetSystemCall: None,
                xGetSystemCall: None,
                xNextSystemCall: None,
            }));
            let rc = ffi::sqlite3_vfs_register(shim, 0);
            if rc != ffi::SQLITE_OK {
                return Err(rc);
            }
            Ok(Registered { real })
        }
    });
    match registered {
        Ok(_) => Ok(NAME),
        Err(rc) => Err(rusqlite::Error::SqliteFailure(
            ffi::Error::new(*rc),
            Some(format!("cannot register the VFS {NAME}")),
        )),
    }
}

fn real() -> *mut ffi::sqlite3_vfs {
    match REGISTERED.get() {
        Some(Ok(registered)) => registered.real,
        // The shim's functions are only reachable once registration succeeded.
        _ => ptr::null_mut(),
    }
}

/// A log file opened through the shim. SQLite allocates `szOsFile` bytes for it; the default
/// VFS's file lives in `real`, boxed, so that its size does not matter here.
#[repr(C)]
struct WalFile {
    /// Must come first: SQLite sees a `sqlite3_file` whose methods are ours.
    base: ffi::sqlite3_file,
    real: *mut ffi::sqlite3_file,
    /// Bytes written but not yet passed on, meant for the file from `start` on.
    buffer: Vec<u8>,
    start: i64,
    /// Whether writes are gathered at all (see the module docs).
    buffering: bool,
}

static WAL_METHODS: ffi::sqlite3_io_methods = ffi::sqlite3_io_methods {
    iVersion: 1,
    xClose: Some(wal_close),
    xRead: Some(wal_read),
    xWrite: Some(wal_write),
    xTruncate: Some(wal_truncate),
    xSync: Some(wal_sync),
    xFileSize: Some(wal_file_size),
    xLock: Some(wal_lock),
    xUnlock: Some(wal_unlock),
    xCheckReservedLock: Some(wal_check_reserved_lock),
    xFileControl: Some(wal_file_control),
    xSectorSize: Some(wal_sector_size),
    xDeviceCharacteristics: Some(wal_device_characteristics),
    xShmMap: None,
    xShmLock: None,
    xShmBarrier: None,
    xShmUnmap: None,
    xFetch: None,
    xUnfetch: None,
};

/// The real file's method table.
///
/// # Safety
/// `file` must be an open file of the default VFS.
unsafe fn methods(file: *mut ffi::sqlite3_file) -> &'static ffi::sqlite3_io_methods {
    // SAFETY: an open file's pMethods points to its VFS's static method table.
    unsafe { &*(*file).pMethods }
}

unsafe extern "C" fn open(
    _vfs: *mut ffi::sqlite3_vfs,
    name: ffi::sqlite3_filename,
    file: *mut ffi::sqlite3_file,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    let real = real();
    // SAFETY: SQLite hands us `szOsFile` writable bytes at `file`, at least the default VFS's
    // size; we call the default VFS's xOpen with the arguments we were given.
    unsafe {
        let Some(real_open) = (*real).xOpen else {
            (*file).pMethods = ptr::null();
            return ffi::SQLITE_CANTOPEN;
        };
        if flags & ffi::SQLITE_OPEN_WAL == 0 {
            // Not a log: the default VFS's file, in place, with its own methods.
            return real_open(real, name, file, flags, out_flags);
        }
        let size = usize::try_from((*real).szOsFile).unwrap_or(0);
        let inner = ffi::sqlite3_malloc64(size as u64).cast::<ffi::sqlite3_file>();
        if inner.is_null() {
            (*file).pMethods = ptr::null();
            return ffi::SQLITE_NOMEM;
        }
        ptr::write_bytes(inner.cast::<u8>(), 0, size);
        let rc = real_open(real, name, inner, flags, out_flags);
        if rc != ffi::SQLITE_OK {
            ffi::sqlite3_free(inner.cast());
            (*file).pMethods = ptr::null();
            return rc;
        }
        let characteristics = match methods(inner).xDeviceCharacteristics {
            Some(device) => device(inner),
            None => 0,
        };
        ptr::write(
            file.cast::<WalFile>(),
            WalFile {
                base: ffi::sqlite3_file {
                    pMethods: &WAL_METHODS,
                },
                real: inner,
                buffer: Vec::new(),
                start: 0,
                buffering: characteristics & ffi::SQLITE_IOCAP_POWERSAFE_OVERWRITE != 0,
            },
        );
        ffi::SQLITE_OK
    }
}

/// The shim's state of a log file.
///
/// # Safety
/// `file` must have been opened by [`open`] with `SQLITE_OPEN_WAL` and not closed.
unsafe fn wal<'a>(file: *mut ffi::sqlite3_file) -> &'a mut WalFile {
    // SAFETY: such a file was initialised as a WalFile by `open`; SQLite uses a file from one
    // thread at a time.
    unsafe { &mut *file.cast::<WalFile>() }
}

/// The shim's state of a log file, with its buffer written out; the error code when writing
/// it failed.
///
/// # Safety
/// As for [`wal`].
unsafe fn flushed<'a>(file: *mut ffi::sqlite3_file) -> Result<&'a mut WalFile, c_int> {
    // SAFETY: the caller's promise.
    let this = unsafe { wal(file) };
    // SAFETY: a file that `open` initialised has an open real file until `wal_close`.
    match unsafe { this.flush() } {
        ffi::SQLITE_OK => Ok(this),
        rc => Err(rc),
    }
}

impl WalFile {
    /// Writes the buffer out.
    ///
    /// # Safety
    /// `self.real` must be open.
    unsafe fn flush(&mut self) -> c_int {
        let mut offset = self.start;
        let mut rc = ffi::SQLITE_OK;
        for chunk in self.buffer.chunks(MAX_WRITE) {
            // Both fit: a chunk is at most MAX_WRITE bytes.
            let len = c_int::try_from(chunk.len()).unwrap_or(c_int::MAX);
            // SAFETY: the real file is open (caller) and the chunk holds `len` bytes.
            rc = unsafe {
                match methods(self.real).xWrite {
                    Some(write) => write(self.real, chunk.as_ptr().cast(), len, offset),
                    None => ffi::SQLITE_IOERR_WRITE,
                }
            };
            if rc != ffi::SQLITE_OK {
                break;
            }
            offset += i64::from(len);
        }
        self.buffer.clear();
        rc
    }
}

unsafe extern "C" fn wal_close(file: *mut ffi::sqlite3_file) -> c_int {
    // SAFETY: SQLite closes a file once; after this it does not touch it again.
    unsafe {
        let this = wal(file);
        let flushed = this.flush();
        let closed = match methods(this.real).xClose {
            Some(close) => close(this.real),
            None => ffi::SQLITE_OK,
        };
        ffi::sqlite3_free(this.real.cast());
        ptr::drop_in_place(file.cast::<WalFile>());
        (*file).pMethods = ptr::null();
        if flushed != ffi::SQLITE_OK {
            flushed
        } else {
            closed
        }
    }
}

unsafe extern "C" fn wal_write(
    file: *mut ffi::sqlite3_file,
    data: *const c_void,
    amount: c_int,
    offset: i64,
) -> c_int {
    // SAFETY: `data` holds `amount` bytes (SQLite's contract for xWrite).
    unsafe {
        let this = wal(file);
        let Ok(len) = usize::try_from(amount) else {
            return ffi::SQLITE_IOERR_WRITE;
        };
        let continues = this.buffer.is_empty()
            || i64::try_from(this.buffer.len())
                .is_ok_and(|buffered| this.start + buffered == offset);
        if !this.buffering || !continues || this.buffer.len() + len > MAX_BUFFER {
            let rc = this.flush();
            if rc != ffi::SQLITE_OK {
                return rc;
            }
        }
        if !this.buffering || len > MAX_WRITE {
            return match methods(this.real).xWrite {
                Some(write) => write(this.real, data, amount, offset),
                None => ffi::SQLITE_IOERR_WRITE,
            };
        }
        if this.buffer.is_empty() {
            this.start = offset;
        }
        this.buffer
            .extend_from_slice(std::slice::from_raw_parts(data.cast::<u8>(), len));
        ffi::SQLITE_OK
    }
}

unsafe extern "C" fn wal_sync(file: *mut ffi::sqlite3_file, flags: c_int) -> c_int {
    // SAFETY: SQLite syncs a file that `open` initialised, until `wal_close`.
    unsafe {
        let this = match flushed(file) {
            Ok(this) => this,
            Err(rc) => return rc,
        };
        if flags & 0x0f == ffi::SQLITE_SYNC_NORMAL {
            // A commit: the writer fsyncs the log before it acknowledges it.
            return ffi::SQLITE_OK;
        }
        match methods(this.real).xSync {
            Some(sync) => sync(this.real, flags),
            None => ffi::SQLITE_IOERR_FSYNC,
        }
    }
}

/// Defines methods of the log file that forward to the real file: `flush` ones write the buffer
/// out first; each answers its error code when the real file lacks the method.
macro_rules! forward_to_real_file {
    ($(
        $(#[$flush:ident])? fn $name:ident => $field:ident($($arg:ident: $ty:ty),*) or $missing:expr;
    )*) => {$(
        unsafe extern "C" fn $name(file: *mut ffi::sqlite3_file, $($arg: $ty),*) -> c_int {
            // SAFETY: SQLite calls the methods of a file that `open` initialised, until
            // `wal_close`; the arguments go on to the real file as SQLite passed them.
            unsafe {
                let this = forward_to_real_file!(@file file $($flush)?);
                match methods(this.real).$field {
                    Some(method) => method(this.real, $($arg),*),
                    None => $missing,
                }
            }
        }
    )*};
    (@file $file:ident flush) => {
        match flushed($file) {
            Ok(this) => this,
            Err(rc) => return rc,
        }
    };
    (@file $file:ident) => {
        wal($file)
    };
}

forward_to_real_file! {
    #[flush] fn wal_read => xRead(out: *mut c_void, amount: c_int, offset: i64)
        or ffi::SQLITE_IOERR_READ;
    #[flush] fn wal_truncate => xTruncate(size: i64) or ffi::SQLITE_IOERR_TRUNCATE;
    #[flush] fn wal_file_size => xFileSize(size: *mut i64) or ffi::SQLITE_IOERR_FSTAT;
    #[flush] fn wal_file_control => xFileControl(op: c_int, arg: *mut c_void)
        or ffi::SQLITE_NOTFOUND;
    fn wal_lock => xLock(level: c_int) or ffi::SQLITE_OK;
    fn wal_unlock => xUnlock(level: c_int) or ffi::SQLITE_OK;
    fn wal_check_reserved_lock => xCheckReservedLock(out: *mut c_int) or {
        *out = 0;
        ffi::SQLITE_OK
    };
    fn wal_sector_size => xSectorSize() or 4096;
    fn wal_device_characteristics => xDeviceCharacteristics() or 0;
}

/// Defines VFS-level functions that call the default VFS's, or answer `$missing` when it lacks
/// one.
macro_rules! forward_to_default_vfs {
    ($(fn $name:ident => $field:ident($($arg:ident: $ty:ty),*) or $missing:expr;)*) => {$(
        unsafe extern "C" fn $name(_vfs: *mut ffi::sqlite3_vfs, $($arg: $ty),*) -> c_int {
            let real = real();
            // SAFETY: the default VFS lives for the process; the arguments go on to it as
            // SQLite passed them.
            unsafe {
                match (*real).$field {
                    Some(method) => method(real, $($arg),*),
                    None => $missing,
                }
            }
        }
    )*};
}

forward_to_default_vfs! {
    fn delete => xDelete(name: *const c_char, sync_dir: c_int) or ffi::SQLITE_IOERR_DELETE;
    fn access => xAccess(name: *const c_char, flags: c_int, out: *mut c_int)
        or ffi::SQLITE_IOERR_ACCESS;
    fn full_pathname => xFullPathname(name: *const c_char, size: c_int, out: *mut c_char)
        or ffi::SQLITE_CANTOPEN;
    fn randomness => xRandomness(size: c_int, out: *mut c_char) or 0;
    fn sleep => xSleep(micros: c_int) or 0;
    fn current_time => xCurrentTime(out: *mut f64) or ffi::SQLITE_ERROR;
    fn last_error => xGetLastError(size: c_int, out: *mut c_char) or 0;
    fn current_time_int64 => xCurrentTimeInt64(out: *mut i64) or ffi::SQLITE_ERROR;
}
