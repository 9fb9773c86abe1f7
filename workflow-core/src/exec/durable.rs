//! The engine's durable side: hosting executions kept in a store, recovering them after a
//! restart, redriving failed ones, delivering inbox messages from other processes, and serving
//! activity workers.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::driver::Durable;
use super::run::{Execution, ExecutionMeta, Snapshot};
use super::{
    DurableError, Engine, ExecutionHandle, Inner, LoadOptions, LoadedMachine, Mocks, Msg, lock,
};
use crate::store::{ActivityTask, ExecutionRecord, ExecutionStatus, Store};

/// How often the inbox poller looks for messages from other processes when nothing wakes it.
const INBOX_POLL: Duration = Duration::from_millis(25);

impl Engine {
    fn store(&self) -> Result<Arc<dyn Store>, DurableError> {
        self.inner.config.store.clone().ok_or(DurableError::NoStore)
    }

    /// The store this engine persists Standard executions in, if it has one.
    pub fn store_handle(&self) -> Option<Arc<dyn Store>> {
        self.inner.config.store.clone()
    }

    /// Makes a machine known to the engine without starting anything, so that executions of
    /// it found in the store can be hosted (recovered, redriven) with this build's handlers.
    pub fn register_machine(&self, machine: &LoadedMachine) {
        lock(&self.inner.machines).insert(machine.arn.clone(), machine.clone());
    }

    /// Mocked responses for the machine named `machine_name` when its executions are hosted
    /// from the store (a worker of the `workflow` command serves Task states from mocks).
    pub fn register_mocks(&self, machine_name: impl Into<String>, mocks: Mocks) {
        lock(&self.inner.mocks).insert(machine_name.into(), mocks);
    }

    /// Saves an execution in the store without running it (`workflow start`): a worker on the
    /// same store hosts it. Returns the execution's ARN; starting an identical running
    /// execution again returns the same ARN.
    pub async fn start_detached(
        &self,
        machine: &LoadedMachine,
        input: Value,
        options: super::StartOptions,
    ) -> Result<String, super::StartError> {
        use super::StartError;
        let store = self.store().map_err(|e| StartError::Store(e.to_string()))?;
        let (name, arn) = self.identify(machine, &input, options.name, false)?;
        let config = &self.inner.config;
        self.store_machine(store.as_ref(), machine)
            .map_err(|e| StartError::Store(e.to_string()))?;
        let new = crate::store::NewExecution::new(
            &arn,
            &name,
            &machine.arn,
            input.to_string(),
            config.clock.now(),
        );
        let started = super::driver::blocking(move || store.start_execution(new))
            .await
            .map_err(StartError::Store)?;
        match started {
            Ok(_) => Ok(arn),
            Err(crate::store::StoreError::ExecutionAlreadyExists { .. }) => {
                Err(StartError::ExecutionAlreadyExists { name })
            }
            Err(other) => Err(StartError::Store(other.to_string())),
        }
    }

    /// Redrives an execution in the store without hosting it (`workflow redrive`): the redrive
    /// is committed and a worker on the same store continues it.
    pub async fn redrive_detached(&self, execution_arn: &str) -> Result<(), DurableError> {
        let (mut exec, mut durable) = self.prepare_redrive(execution_arn).await?;
        super::driver::commit(&mut exec, &mut durable)
            .await
            .map_err(|reason| DurableError::SnapshotInvalid {
                arn: execution_arn.to_string(),
                reason,
            })
    }

    /// The loaded machine an execution belongs to: one this engine loaded, or the stored
    /// definition, bound to this engine's handlers.
    ///
    /// An execution runs the definition it started with: when its machine has been updated
    /// since, that definition is loaded from the store (and kept, by ARN and hash).
    fn machine_for(&self, record: &ExecutionRecord) -> Result<LoadedMachine, DurableError> {
        let arn = &record.state_machine_arn;
        let wanted = record.definition_hash.as_deref();
        let versioned = wanted.map(|hash| format!("{arn}#{hash}"));
        {
            let machines = lock(&self.inner.machines);
            if let Some(machine) = machines.get(arn) {
                // Machines this build brings carry no hash: they are what runs.
                let current = machine.definition_hash.as_deref();
                if wanted.is_none() || current.is_none() || current == wanted {
                    return Ok(machine.clone());
                }
            }
            if let Some(machine) = versioned.as_ref().and_then(|key| machines.get(key)) {
                return Ok(machine.clone());
            }
        }
        let store = self.store()?;
        let mut stored =
            store
                .state_machine(arn)?
                .ok_or_else(|| DurableError::StateMachineMissing {
                    arn: arn.clone(),
                    execution: record.execution_arn.clone(),
                })?;
        if let Some(hash) = wanted
            && crate::store::definition_hash(&stored.definition) != hash
        {
            stored.definition =
                store
                    .definition(hash)?
                    .ok_or_else(|| DurableError::StateMachineMissing {
                        arn: format!("{arn} (definition {hash})"),
                        execution: record.execution_arn.clone(),
                    })?;
        }
        let machine = self
            .load_str(
                &stored.definition,
                LoadOptions {
                    name: Some(stored.name.clone()),
                    mocks: lock(&self.inner.mocks).get(&stored.name).cloned(),
                    express: false,
                },
            )
            .map_err(|error| DurableError::DefinitionInvalid {
                arn: stored.arn.clone(),
                error,
            })?;
        let machine = machine
            .stored_as(&stored.arn, &stored.definition)
            .with_role(&stored.role_arn);
        let key = versioned.unwrap_or_else(|| stored.arn.clone());
        lock(&self.inner.machines).insert(key, machine.clone());
        Ok(machine)
    }

    /// The execution as it was last committed, or a fresh one when it has no snapshot yet (an
    /// execution started by another process, e.g. `workflow start`).
    fn restore(
        &self,
        record: &ExecutionRecord,
        machine: &LoadedMachine,
    ) -> Result<Execution, DurableError> {
        let clock = self.inner.config.clock.clone();
        let mut exec = self.restore_state(record, machine, clock)?;
        if self.inner.config.commit == super::CommitPolicy::EveryTransition {
            exec.set_transition_budget(Some(1));
        }
        Ok(exec)
    }

    fn restore_state(
        &self,
        record: &ExecutionRecord,
        machine: &LoadedMachine,
        clock: Arc<dyn super::Clock>,
    ) -> Result<Execution, DurableError> {
        match &record.snapshot {
            Some(bytes) => {
                let snapshot: Snapshot =
                    serde_json::from_slice(bytes).map_err(|e| DurableError::SnapshotInvalid {
                        arn: record.execution_arn.clone(),
                        reason: e.to_string(),
                    })?;
                if !Execution::snapshot_supported(&snapshot) {
                    return Err(DurableError::SnapshotInvalid {
                        arn: record.execution_arn.clone(),
                        reason: "it was written by a different version of the engine".into(),
                    });
                }
                Ok(Execution::restore(machine.plan.clone(), clock, snapshot))
            }
            None => {
                let config = &self.inner.config;
                let input: Value = serde_json::from_str(&record.input).map_err(|e| {
                    DurableError::SnapshotInvalid {
                        arn: record.execution_arn.clone(),
                        reason: format!("its input is not JSON: {e}"),
                    }
                })?;
                let meta = ExecutionMeta {
                    execution_arn: record.execution_arn.clone(),
                    name: record.name.clone(),
                    state_machine_arn: machine.arn.clone(),
                    state_machine_name: machine.name.clone(),
                    role_arn: machine.role_arn(config).to_string(),
                    region: config.region.clone(),
                    start_time: record.start_date,
                    input: Arc::new(input),
                    express: false,
                    redrive_count: record.redrive_count,
                };
                Ok(Execution::new(machine.plan.clone(), clock, meta, true))
            }
        }
    }

    /// Hosts a RUNNING execution found in the store: restores it, starts again the tasks that
    /// were in flight, and drives it.
    pub(crate) fn host(&self, record: &ExecutionRecord) -> Result<ExecutionHandle, DurableError> {
        let store = self.store()?;
        let machine = self.machine_for(record)?;
        let mut exec = self.restore(record, &machine)?;
        exec.resume();
        self.ensure_poller();
        let mut executions = lock(&self.inner.executions);
        Ok(self.spawn_driver(&mut executions, exec, Some(Durable::new(store))))
    }

    /// Whether this engine drives the execution right now.
    fn hosts(&self, execution_arn: &str) -> bool {
        lock(&self.inner.executions)
            .get(execution_arn)
            .is_some_and(|shared| !*shared.done.borrow())
    }

    /// Hosts every RUNNING execution of the store that this engine does not drive yet: after a
    /// restart, everything that was running resumes from its last committed step; executions
    /// started by other processes are picked up. Returns how many it took on.
    ///
    /// Executions whose machine cannot be loaded are skipped and reported in the error list.
    pub async fn recover(&self) -> Result<(usize, Vec<DurableError>), DurableError> {
        let store = self.store()?;
        // The RUNNING ones by ARN first (no payloads), so that a round over a busy store that
        // this engine already hosts reads little.
        let lister = store.clone();
        let mut running = super::driver::blocking(move || {
            let mut arns = Vec::new();
            let mut filter = crate::store::ExecutionFilter {
                status: Some(ExecutionStatus::Running),
                limit: 1000,
                ..crate::store::ExecutionFilter::default()
            };
            loop {
                let page = lister.list_executions(&filter)?;
                arns.extend(page.items.into_iter().map(|e| e.execution_arn));
                match page.next_token {
                    Some(token) => filter.next_token = Some(token),
                    None => return Ok::<_, crate::store::StoreError>(arns),
                }
            }
        })
        .await
        .map_err(|reason| DurableError::SnapshotInvalid {
            arn: String::new(),
            reason,
        })??;
        // Oldest first.
        running.reverse();
        let mut hosted = 0;
        let mut problems = Vec::new();
        for arn in running {
            if self.hosts(&arn) || lock(&self.inner.starting).contains(&arn) {
                continue;
            }
            let reader = store.clone();
            let key = arn.clone();
            let record = super::driver::blocking(move || reader.execution(&key))
                .await
                .map_err(|reason| DurableError::SnapshotInvalid {
                    arn: arn.clone(),
                    reason,
                })??;
            // It may have ended, or been taken on, since the listing.
            let Some(record) = record.filter(|r| r.status == ExecutionStatus::Running) else {
                continue;
            };
            if self.hosts(&arn) || lock(&self.inner.starting).contains(&arn) {
                continue;
            }
            match self.host(&record) {
                Ok(_) => hosted += 1,
                Err(e) => problems.push(e),
            }
        }
        Ok((hosted, problems))
    }

    /// Redrives a FAILED, TIMED_OUT or ABORTED execution (AWS's `RedriveExecution`): it
    /// continues from the states that did not succeed, with the same history.
    pub async fn redrive(&self, execution_arn: &str) -> Result<ExecutionHandle, DurableError> {
        let (exec, durable) = self.prepare_redrive(execution_arn).await?;
        self.ensure_poller();
        let mut executions = lock(&self.inner.executions);
        Ok(self.spawn_driver(&mut executions, exec, Some(durable)))
    }

    /// Restores a failed execution and revives it, ready to be committed.
    async fn prepare_redrive(
        &self,
        execution_arn: &str,
    ) -> Result<(Execution, Durable), DurableError> {
        let store = self.store()?;
        let arn = execution_arn.to_string();
        let lookup = store.clone();
        let record = tokio::task::spawn_blocking(move || lookup.execution(&arn))
            .await
            .map_err(|e| DurableError::SnapshotInvalid {
                arn: execution_arn.to_string(),
                reason: e.to_string(),
            })??
            .ok_or_else(|| DurableError::ExecutionDoesNotExist {
                arn: execution_arn.to_string(),
            })?;
        if !record.status.is_redrivable() || record.snapshot.is_none() {
            return Err(DurableError::NotRedrivable {
                arn: execution_arn.to_string(),
                status: record.status.as_str().to_string(),
            });
        }
        let machine = self.machine_for(&record)?;
        let mut exec = self.restore(&record, &machine)?;
        if !exec.redrive() {
            return Err(DurableError::NotRedrivable {
                arn: execution_arn.to_string(),
                status: ExecutionStatus::Succeeded.as_str().to_string(),
            });
        }
        let mut durable = Durable::new(store);
        durable.redrive = Some(self.inner.config.clock.now());
        Ok((exec, durable))
    }

    /// Takes the next task of an activity for a worker (AWS's `GetActivityTask`); answer it
    /// with [`Engine::send_task_success`] or [`Engine::send_task_failure`] and its token.
    pub async fn get_activity_task(
        &self,
        activity_arn: &str,
        worker: &str,
    ) -> Result<Option<ActivityTask>, DurableError> {
        let store = self.store()?;
        let (arn, worker) = (activity_arn.to_string(), worker.to_string());
        let now = self.inner.config.clock.now();
        Ok(
            tokio::task::spawn_blocking(move || store.take_activity_task(&arn, &worker, now))
                .await
                .map_err(|e| DurableError::SnapshotInvalid {
                    arn: activity_arn.to_string(),
                    reason: e.to_string(),
                })??,
        )
    }

    /// Starts, once, the task that delivers inbox messages (callbacks, heartbeats, stops posted
    /// by this or another process) to the executions this engine hosts.
    pub(crate) fn ensure_poller(&self) {
        if self.inner.poller.set(()).is_err() {
            return;
        }
        let Some(store) = self.inner.config.store.clone() else {
            return;
        };
        let inner = Arc::downgrade(&self.inner);
        let notify = self.inner.inbox_notify.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = notify.notified() => {}
                    _ = tokio::time::sleep(INBOX_POLL) => {}
                }
                let Some(inner) = inner.upgrade() else { return };
                deliver_inbox(&inner, &store).await;
            }
        });
    }
}

/// Hands the waiting inbox messages of hosted executions to their drivers.
async fn deliver_inbox(inner: &Inner, store: &Arc<dyn Store>) {
    let lister = store.clone();
    let Ok(Ok(arns)) = tokio::task::spawn_blocking(move || lister.inbox_executions()).await else {
        return;
    };
    for arn in arns {
        let shared = lock(&inner.executions).get(&arn).cloned();
        let Some(shared) = shared else { continue };
        if *shared.done.borrow() {
            continue;
        }
        let reader = store.clone();
        let Ok(Ok(messages)) = tokio::task::spawn_blocking(move || reader.inbox(&arn)).await else {
            continue;
        };
        if !messages.is_empty() {
            let _ = shared.tx.send(Msg::Inbox(messages));
        }
    }
}
