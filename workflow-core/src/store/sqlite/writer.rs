//! The writer thread: group commit, with the log's fsync pipelined behind the next batch.
//!
//! One thread owns the write connection. Callers send it a job and are answered once the
//! transaction that contains the job is durable. The thread takes every job queued at that
//! moment into one transaction, each inside a savepoint so that a failing job is rolled back
//! alone, then commits. The connection goes through the [`super::vfs`] shim, whose commit syncs
//! only hand the log's frames to the operating system; durability comes from an explicit
//! `fdatasync` of the log file ([`Durability::sync`]), and no job is answered before the fsync
//! that covers its commit has returned. When more jobs are already waiting after a commit, the
//! batch's fsync is handed to the sync thread and the writer goes on with the next batch while
//! the disk flushes; otherwise the writer fsyncs itself, which saves a thread hand-off on the way
//! to the caller. One fsync covers every commit written before it (the log is a single file,
//! written in order), so the sync thread syncs once for all the batches it has queued.
//!
//! A failed fsync poisons the store: after it the kernel may have dropped the pages it could
//! not write, so no later write is acknowledged and every later read fails too.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, SyncSender, TryRecvError};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use crate::store::StoreError;

/// How long the writer keeps polling for the next job before it sleeps: a caller that answers
/// within this time (one client stepping its execution) finds the writer awake.
const SPIN: Duration = Duration::from_micros(100);

/// How many prepared statements a connection keeps (rusqlite's default, 16, is fewer than the
/// writes use, which made the writer prepare statements again and again).
pub(super) const STATEMENT_CACHE: usize = 256;

/// One write: run inside the batch's transaction, then told how the commit went.
trait Job: Send {
    /// Runs the write; `false` when it failed and must be rolled back.
    fn apply(&mut self, conn: &Connection) -> bool;
    /// Reports to the caller. `failure` is set when the batch did not commit (or the job never
    /// ran); it replaces a successful result.
    fn finish(self: Box<Self>, failure: Option<StoreError>);
}

/// Where a job's result goes: a caller blocked on a channel, or a callback.
type Reply<T> = Box<dyn FnOnce(Result<T, StoreError>) + Send>;

struct Write<T, F> {
    op: Option<F>,
    result: Option<Result<T, StoreError>>,
    reply: Reply<T>,
}

impl<T, F> Job for Write<T, F>
where
    T: Send,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send,
{
    fn apply(&mut self, conn: &Connection) -> bool {
        let Some(op) = self.op.take() else {
            return false;
        };
        let result = op(conn);
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn finish(self: Box<Self>, failure: Option<StoreError>) {
        let result = match (self.result, failure) {
            (Some(Err(error)), _) => Err(error),
            (_, Some(failure)) => Err(failure),
            (Some(Ok(value)), None) => Ok(value),
            (None, None) => Err(StoreError::WriterStopped),
        };
        (self.reply)(result);
    }
}

/// The handle of the writer thread; dropping it stops the thread after the queued jobs.
pub(super) struct Writer {
    jobs: Option<Sender<Box<dyn Job>>>,
    thread: Option<JoinHandle<()>>,
    durability: Arc<Durability>,
}

impl Writer {
    /// Starts the writer on `conn`, whose database is the file at `path` and which was opened
    /// through the [`super::vfs`] shim: from here on the writer fsyncs the log itself.
    pub(super) fn spawn(
        conn: Connection,
        path: &Path,
        max_batch: usize,
    ) -> Result<Writer, StoreError> {
        // Room for every statement the writes use, so that none is prepared twice.
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        let durability = Arc::new(Durability::new(path)?);
        let (jobs, queue) = mpsc::channel::<Box<dyn Job>>();
        let (batches, synced) = mpsc::channel::<Committed>();
        let syncer = {
            let durability = durability.clone();
            std::thread::Builder::new()
                .name("workflow-store-sync".into())
                .spawn(move || sync_thread(&durability, synced))
                .map_err(|error| StoreError::Spawn(Arc::new(error)))?
        };
        let thread = {
            let durability = durability.clone();
            std::thread::Builder::new()
                .name("workflow-store-writer".into())
                .spawn(move || {
                    run(&conn, &durability, queue, &batches, max_batch.max(1));
                    // Closing the hand-off ends the sync thread once it has synced the rest.
                    drop(batches);
                    let _ = syncer.join();
                })
                .map_err(|error| StoreError::Spawn(Arc::new(error)))?
        };
        Ok(Writer {
            jobs: Some(jobs),
            thread: Some(thread),
            durability,
        })
    }

    /// Waits until everything the writer has committed so far is durable, so that a read that
    /// follows sees nothing a power cut could still take back.
    pub(super) fn wait_durable(&self) -> Result<(), StoreError> {
        self.durability.wait()
    }

    /// Runs `op` in the writer's next transaction and returns its result once the transaction is
    /// durable.
    pub(super) fn write<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer): (SyncSender<_>, _) = mpsc::sync_channel(1);
        self.submit(
            op,
            Box::new(move |result| {
                // The caller may have gone away; then nobody needs the answer.
                let _ = reply.send(result);
            }),
        );
        answer.recv().map_err(|_| StoreError::WriterStopped)?
    }

    /// Queues `op` for the writer's next transaction and returns at once; `reply` gets its
    /// result, on the writer thread, once the transaction is durable (or failed).
    pub(super) fn submit<T, F>(&self, op: F, reply: Reply<T>)
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let job: Box<dyn Job> = Box::new(Write {
            op: Some(op),
            result: None,
            reply,
        });
        let Some(jobs) = self.jobs.as_ref() else {
            job.finish(Some(StoreError::WriterStopped));
            return;
        };
        if let Err(mpsc::SendError(job)) = jobs.send(job) {
            job.finish(Some(StoreError::WriterStopped));
        }
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Closing the queue ends the thread once it has committed what was queued.
        self.jobs = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A committed batch whose jobs wait for the fsync that makes it durable.
struct Committed {
    seq: u64,
    jobs: Vec<Box<dyn Job>>,
}

fn run(
    conn: &Connection,
    durability: &Durability,
    queue: Receiver<Box<dyn Job>>,
    syncer: &Sender<Committed>,
    max_batch: usize,
) {
    let mut next: Option<Box<dyn Job>> = None;
    let mut seq = 0;
    loop {
        let first = match next.take() {
            Some(job) => job,
            None => match wait_for_job(&queue) {
                Some(job) => job,
                None => return,
            },
        };
        let mut batch = vec![first];
        while batch.len() < max_batch {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        if let Err(error) = durability.check() {
            finish(batch, Some(error));
            continue;
        }
        if let Some(failure) = commit_batch(conn, &mut batch) {
            finish(batch, Some(failure));
            continue;
        }
        seq += 1;
        durability.committed.store(seq, Ordering::Release);
        match queue.try_recv() {
            Ok(job) => {
                // More work is waiting: let the sync thread wait for the disk meanwhile.
                next = Some(job);
                if let Err(mpsc::SendError(committed)) = syncer.send(Committed { seq, jobs: batch })
                {
                    let failure = durability.sync(committed.seq).err();
                    finish(committed.jobs, failure);
                }
            }
            Err(_) => {
                let failure = durability.sync(seq).err();
                finish(batch, failure);
            }
        }
    }
}

/// The next job, polling for [`SPIN`] before sleeping; `None` once the queue is closed.
fn wait_for_job(queue: &Receiver<Box<dyn Job>>) -> Option<Box<dyn Job>> {
    let until = Instant::now() + SPIN;
    loop {
        match queue.try_recv() {
            Ok(job) => return Some(job),
            Err(TryRecvError::Disconnected) => return None,
            Err(TryRecvError::Empty) if Instant::now() < until => std::hint::spin_loop(),
            Err(TryRecvError::Empty) => return queue.recv().ok(),
        }
    }
}

fn sync_thread(durability: &Durability, batches: Receiver<Committed>) {
    while let Ok(first) = batches.recv() {
        let mut seq = first.seq;
        let mut jobs = first.jobs;
        while let Ok(more) = batches.try_recv() {
            seq = seq.max(more.seq);
            jobs.extend(more.jobs);
        }
        let failure = durability.sync(seq).err();
        finish(jobs, failure);
    }
}

fn finish(jobs: Vec<Box<dyn Job>>, failure: Option<StoreError>) {
    for job in jobs {
        job.finish(failure.clone());
    }
}

/// Runs the batch in one transaction and commits it (without waiting for the disk). Returns
/// why the batch failed as a whole, in which case nothing of it stays.
fn commit_batch(conn: &Connection, batch: &mut [Box<dyn Job>]) -> Option<StoreError> {
    if let Err(error) = conn.execute_batch("BEGIN IMMEDIATE") {
        return Some(StoreError::from(error));
    }
    let mut failure = None;
    for job in batch.iter_mut() {
        if let Err(error) = run_statement(conn, "SAVEPOINT job") {
            failure = Some(error);
            break;
        }
        let ok = job.apply(conn);
        let ended = if ok {
            run_statement(conn, "RELEASE job")
        } else {
            run_statement(conn, "ROLLBACK TO job").and_then(|()| run_statement(conn, "RELEASE job"))
        };
        if let Err(error) = ended {
            failure = Some(error);
            break;
        }
        // SQLite rolls the whole transaction back by itself on some errors (disk full, IO
        // errors); later jobs would then run outside it, so the batch stops here.
        if conn.is_autocommit() {
            failure = Some(StoreError::Sqlite(Arc::new(
                rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
                    Some("the transaction was rolled back".into()),
                ),
            )));
            break;
        }
    }
    if failure.is_none()
        && let Err(error) = conn.execute_batch("COMMIT")
    {
        failure = Some(StoreError::from(error));
    }
    if failure.is_some() && !conn.is_autocommit() {
        // Nothing of the batch may stay: a job that is told it failed must not have happened.
        let _ = conn.execute_batch("ROLLBACK");
    }
    failure
}

/// Runs one statement from the connection's statement cache.
fn run_statement(conn: &Connection, sql: &str) -> Result<(), StoreError> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

/// What is committed and what is durable, and the log file that makes it so.
pub(super) struct Durability {
    /// The sequence number of the last committed batch.
    committed: AtomicU64,
    /// The last batch known to be on disk, and the error that poisoned the store, if any.
    synced: Mutex<Synced>,
    advanced: Condvar,
    /// The write-ahead log; held while fsyncing, so that one fsync runs at a time.
    log: Mutex<LogFile>,
}

#[derive(Default)]
struct Synced {
    seq: u64,
    failure: Option<StoreError>,
}

impl Durability {
    fn new(database: &Path) -> Result<Durability, StoreError> {
        let mut log = LogFile {
            path: {
                let mut path = database.as_os_str().to_owned();
                path.push("-wal");
                PathBuf::from(path)
            },
            file: None,
        };
        // Make sure the log's directory entry is on disk before anything relies on the log.
        log.sync().map_err(|source| StoreError::Io {
            path: log.path.clone(),
            source: Arc::new(source),
        })?;
        Ok(Durability {
            committed: AtomicU64::new(0),
            synced: Mutex::new(Synced::default()),
            advanced: Condvar::new(),
            log: Mutex::new(log),
        })
    }

    fn synced(&self) -> std::sync::MutexGuard<'_, Synced> {
        self.synced.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How a sync up to `seq` ends without a new fsync: the store's poison, or success when
    /// `seq` is already durable; `None` when it needs one.
    fn settled(&self, seq: u64) -> Option<Result<(), StoreError>> {
        let synced = self.synced();
        match &synced.failure {
            Some(failure) => Some(Err(failure.clone())),
            None => (synced.seq >= seq).then_some(Ok(())),
        }
    }

    /// The error that poisoned the store, if a sync has failed.
    fn check(&self) -> Result<(), StoreError> {
        match &self.synced().failure {
            Some(failure) => Err(failure.clone()),
            None => Ok(()),
        }
    }

    /// Makes every batch up to `seq` durable (with one fsync of the log, unless another one
    /// has already covered it).
    fn sync(&self, seq: u64) -> Result<(), StoreError> {
        if let Some(settled) = self.settled(seq) {
            return settled;
        }
        let mut log = self.log.lock().unwrap_or_else(PoisonError::into_inner);
        // Every batch committed before the fsync starts is covered by it.
        let covered = self.committed.load(Ordering::Acquire);
        // Another sync may have covered `seq` while this one waited for the log.
        if let Some(settled) = self.settled(seq) {
            return settled;
        }
        let result = log.sync();
        let mut synced = self.synced();
        let outcome = match result {
            Ok(()) => {
                synced.seq = synced.seq.max(covered);
                Ok(())
            }
            Err(source) => {
                let failure = StoreError::Io {
                    path: log.path.clone(),
                    source: Arc::new(source),
                };
                synced.failure = Some(failure.clone());
                Err(failure)
            }
        };
        self.advanced.notify_all();
        outcome
    }

    /// Waits until everything committed so far is durable.
    fn wait(&self) -> Result<(), StoreError> {
        let target = self.committed.load(Ordering::Acquire);
        let mut synced = self.synced();
        loop {
            if let Some(failure) = &synced.failure {
                return Err(failure.clone());
            }
            if synced.seq >= target {
                return Ok(());
            }
            synced = self
                .advanced
                .wait(synced)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// The database's write-ahead log file, opened by us to fsync it.
///
/// SQLite removes the log only when the last connection to the database closes (the writer's
/// connection stays open as long as the store), and only truncates or overwrites it otherwise, so
/// the file opened once stays the log.
struct LogFile {
    path: PathBuf,
    file: Option<File>,
}

impl LogFile {
    /// Flushes the log's data to disk. The first call opens the log and syncs its directory
    /// entry too; a missing log has nothing to flush.
    fn sync(&mut self) -> std::io::Result<()> {
        if self.file.is_none() {
            let file = match File::options().read(true).write(true).open(&self.path) {
                Ok(file) => file,
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                Err(error) => return Err(error),
            };
            if let Some(dir) = self.path.parent() {
                let dir = if dir.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    dir
                };
                File::open(dir)?.sync_all()?;
            }
            self.file = Some(file);
        }
        match &self.file {
            Some(file) => file.sync_data(),
            None => Ok(()),
        }
    }
}
