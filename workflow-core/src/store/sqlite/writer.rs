//! The writer thread: group commit.
//!
//! One thread owns the write connection. Callers send it a job and block until the transaction
//! that contains the job has been committed (and, with `synchronous = FULL`, fsynced). The thread
//! takes every job queued at that moment into one transaction, each inside a savepoint so that a
//! failing job is rolled back alone, then commits once: while one batch waits for its fsync, the
//! next batch queues up, so concurrent callers share fsyncs.

use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::thread::JoinHandle;

use rusqlite::Connection;

use crate::store::StoreError;

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
}

impl Writer {
    pub(super) fn spawn(conn: Connection, max_batch: usize) -> Result<Writer, StoreError> {
        let (jobs, queue) = mpsc::channel::<Box<dyn Job>>();
        let thread = std::thread::Builder::new()
            .name("workflow-store-writer".into())
            .spawn(move || run(conn, queue, max_batch.max(1)))
            .map_err(|error| StoreError::Spawn(std::sync::Arc::new(error)))?;
        Ok(Writer {
            jobs: Some(jobs),
            thread: Some(thread),
        })
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

fn run(conn: Connection, queue: Receiver<Box<dyn Job>>, max_batch: usize) {
    let mut batch: Vec<Box<dyn Job>> = Vec::new();
    while let Ok(first) = queue.recv() {
        batch.push(first);
        while batch.len() < max_batch {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        commit_batch(&conn, &mut batch);
    }
}

fn commit_batch(conn: &Connection, batch: &mut Vec<Box<dyn Job>>) {
    if let Err(error) = conn.execute_batch("BEGIN IMMEDIATE") {
        let error = StoreError::from(error);
        for job in batch.drain(..) {
            job.finish(Some(error.clone()));
        }
        return;
    }
    let mut failure = None;
    for job in batch.iter_mut() {
        if let Err(error) = conn.execute_batch("SAVEPOINT job") {
            failure = Some(StoreError::from(error));
            break;
        }
        let ok = job.apply(conn);
        let ended = if ok {
            conn.execute_batch("RELEASE job")
        } else {
            conn.execute_batch("ROLLBACK TO job; RELEASE job")
        };
        if let Err(error) = ended {
            failure = Some(StoreError::from(error));
            break;
        }
        // SQLite rolls the whole transaction back by itself on some errors (disk full, IO
        // errors); later jobs would then run outside it, so the batch stops here.
        if conn.is_autocommit() {
            failure = Some(StoreError::Sqlite(std::sync::Arc::new(
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
    for job in batch.drain(..) {
        job.finish(failure.clone());
    }
}
