//! The in-memory backend.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};

use super::{
    ActivityRecord, ActivityTask, Committed, DueExecution, EventRecord, ExecutionFilter,
    ExecutionRecord, ExecutionStatus, ExecutionSummary, HistoryQuery, InboxMessage, MachineUpdate,
    Message, NewActivityTask, NewExecution, Page, Started, StateMachineRecord, Store, StoreError,
    TaskTokenRecord, TokenStatus, Transition, check_event_ids, definition_hash, page_token,
    parse_page_token,
};

/// A store that keeps everything in memory; nothing survives the process. Every method takes
/// one lock, so operations are atomic and ordered.
#[derive(Debug, Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// In creation order.
    machines: Vec<StateMachineRecord>,
    executions: HashMap<String, StoredExecution>,
    /// Execution ARNs by start order.
    started: BTreeMap<u64, String>,
    next_seq: u64,
    tokens: HashMap<String, TaskTokenRecord>,
    inbox: BTreeMap<u64, InboxMessage>,
    next_message_id: u64,
    activity_tasks: BTreeMap<u64, StoredActivityTask>,
    next_activity_id: u64,
    /// In creation order.
    activities: Vec<ActivityRecord>,
    tags: HashMap<String, BTreeMap<String, String>>,
    /// Every definition a machine has had, by hash.
    definitions: HashMap<String, String>,
}

#[derive(Debug)]
struct StoredExecution {
    seq: u64,
    record: ExecutionRecord,
    events: Vec<EventRecord>,
}

#[derive(Debug)]
struct StoredActivityTask {
    task: NewActivityTask,
    execution_arn: String,
    taken: bool,
}

impl MemoryStore {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // No method panics while holding the lock, and the data stays consistent even if one
        // did, because every method validates before it mutates.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Store for MemoryStore {
    fn put_state_machine(
        &self,
        machine: StateMachineRecord,
    ) -> Result<StateMachineRecord, StoreError> {
        let mut inner = self.lock();
        if let Some(existing) = inner
            .machines
            .iter_mut()
            .find(|m| m.arn == machine.arn || m.name == machine.name)
        {
            if existing.deleted && existing.arn == machine.arn {
                *existing = machine.clone();
                inner.definitions.insert(
                    definition_hash(&machine.definition),
                    machine.definition.clone(),
                );
                return Ok(machine);
            }
            if existing.arn == machine.arn
                && existing.name == machine.name
                && existing.definition == machine.definition
                && existing.machine_type == machine.machine_type
                && existing.role_arn == machine.role_arn
            {
                return Ok(existing.clone());
            }
            return Err(StoreError::StateMachineAlreadyExists { name: machine.name });
        }
        inner.definitions.insert(
            definition_hash(&machine.definition),
            machine.definition.clone(),
        );
        inner.machines.push(machine.clone());
        Ok(machine)
    }

    fn state_machine(&self, name_or_arn: &str) -> Result<Option<StateMachineRecord>, StoreError> {
        let inner = self.lock();
        Ok(inner
            .machines
            .iter()
            .find(|m| m.arn == name_or_arn || m.name == name_or_arn)
            .cloned())
    }

    fn list_state_machines(&self) -> Result<Vec<StateMachineRecord>, StoreError> {
        Ok(self.lock().machines.clone())
    }

    fn start_execution(&self, new: NewExecution) -> Result<Started, StoreError> {
        let mut inner = self.lock();
        let Some(machine) = inner
            .machines
            .iter()
            .find(|m| m.arn == new.state_machine_arn)
        else {
            return Err(StoreError::StateMachineNotFound {
                name_or_arn: new.state_machine_arn,
            });
        };
        let hash = new
            .definition_hash
            .clone()
            .unwrap_or_else(|| definition_hash(&machine.definition));
        if let Some(existing) = inner.executions.get(&new.execution_arn) {
            let record = &existing.record;
            if record.status == ExecutionStatus::Running
                && record.input == new.input
                && record.state_machine_arn == new.state_machine_arn
            {
                return Ok(Started {
                    execution: record.clone(),
                    created: false,
                });
            }
            return Err(StoreError::ExecutionAlreadyExists {
                execution_arn: new.execution_arn,
            });
        }
        check_event_ids(&new.execution_arn, 0, &new.events)?;
        let record = ExecutionRecord {
            execution_arn: new.execution_arn.clone(),
            name: new.name,
            state_machine_arn: new.state_machine_arn,
            status: ExecutionStatus::Running,
            input: new.input,
            output: None,
            error: None,
            cause: None,
            start_date: new.start_date,
            stop_date: None,
            redrive_count: 0,
            redrive_date: None,
            event_count: new.events.len() as u64,
            snapshot: new.snapshot,
            wake_at: None,
            definition_hash: Some(hash),
        };
        inner.next_seq += 1;
        let seq = inner.next_seq;
        inner.started.insert(seq, new.execution_arn.clone());
        inner.executions.insert(
            new.execution_arn,
            StoredExecution {
                seq,
                record: record.clone(),
                events: new.events,
            },
        );
        Ok(Started {
            execution: record,
            created: true,
        })
    }

    fn commit(&self, transition: Transition) -> Result<Committed, StoreError> {
        let mut guard = self.lock();
        let inner = &mut *guard;
        let arn = transition.execution_arn.as_str();
        let Some(stored) = inner.executions.get(arn) else {
            return Err(StoreError::ExecutionNotFound {
                execution_arn: arn.to_owned(),
            });
        };

        // Validate everything before changing anything, so a failed commit changes nothing.
        let status = stored.record.status;
        if transition.redrive.is_some() {
            if !status.is_redrivable() {
                return Err(StoreError::NotRedrivable {
                    execution_arn: arn.to_owned(),
                    status,
                });
            }
        } else if status != ExecutionStatus::Running {
            return Err(StoreError::ExecutionClosed {
                execution_arn: arn.to_owned(),
                status,
            });
        }
        if let Some(end) = &transition.end
            && end.status == ExecutionStatus::Running
        {
            return Err(StoreError::InvalidEnd {
                execution_arn: arn.to_owned(),
            });
        }
        check_event_ids(arn, stored.record.event_count, &transition.events)?;
        let mut consumed = HashSet::new();
        for &id in &transition.consumed_messages {
            let present = inner
                .inbox
                .get(&id)
                .is_some_and(|message| message.execution_arn == arn);
            if !present || !consumed.insert(id) {
                return Err(StoreError::MessageNotFound {
                    execution_arn: arn.to_owned(),
                    id,
                });
            }
        }
        for token in &transition.tokens_completed {
            if inner
                .tokens
                .get(token)
                .is_none_or(|record| record.execution_arn != arn)
            {
                return Err(StoreError::TaskTokenNotFound {
                    token: token.clone(),
                    execution_arn: arn.to_owned(),
                });
            }
        }
        let mut new_tokens = HashSet::new();
        for token in &transition.tokens_waiting {
            if inner.tokens.contains_key(&token.token) || !new_tokens.insert(&token.token) {
                return Err(StoreError::TaskTokenExists {
                    token: token.token.clone(),
                });
            }
        }
        let mut new_activity_tokens = HashSet::new();
        for task in &transition.activity_tasks {
            if inner
                .activity_tasks
                .values()
                .any(|stored| stored.task.task_token == task.task_token)
                || !new_activity_tokens.insert(&task.task_token)
            {
                return Err(StoreError::TaskTokenExists {
                    token: task.task_token.clone(),
                });
            }
        }

        // Apply.
        for id in &transition.consumed_messages {
            inner.inbox.remove(id);
        }
        for token in transition.tokens_completed {
            if let Some(record) = inner.tokens.get_mut(&token) {
                record.status = TokenStatus::Completed;
            }
        }
        for token in transition.tokens_waiting {
            inner.tokens.insert(
                token.token.clone(),
                TaskTokenRecord {
                    token: token.token,
                    execution_arn: arn.to_owned(),
                    state_name: token.state_name,
                    status: TokenStatus::Waiting,
                },
            );
        }
        for task in transition.activity_tasks {
            inner.next_activity_id += 1;
            inner.activity_tasks.insert(
                inner.next_activity_id,
                StoredActivityTask {
                    task,
                    execution_arn: arn.to_owned(),
                    taken: false,
                },
            );
        }
        let Some(stored) = inner.executions.get_mut(arn) else {
            return Err(StoreError::ExecutionNotFound {
                execution_arn: arn.to_owned(),
            });
        };
        let record = &mut stored.record;
        if let Some(redrive_date) = transition.redrive {
            record.status = ExecutionStatus::Running;
            record.output = None;
            record.error = None;
            record.cause = None;
            record.stop_date = None;
            record.redrive_count += 1;
            record.redrive_date = Some(redrive_date);
        }
        record.event_count += transition.events.len() as u64;
        stored.events.extend(transition.events);
        if let Some(snapshot) = transition.snapshot {
            record.snapshot = Some(snapshot);
        }
        record.wake_at = transition.wake_at;
        let event_count = record.event_count;
        if let Some(end) = transition.end {
            record.status = end.status;
            record.output = end.output;
            record.error = end.error;
            record.cause = end.cause;
            record.stop_date = Some(end.stop_date);
            record.wake_at = None;
            for token in inner.tokens.values_mut() {
                if token.execution_arn == arn {
                    token.status = TokenStatus::Completed;
                }
            }
            inner
                .activity_tasks
                .retain(|_, stored| stored.execution_arn != arn);
        }
        Ok(Committed { event_count })
    }

    fn execution(&self, execution_arn: &str) -> Result<Option<ExecutionRecord>, StoreError> {
        Ok(self
            .lock()
            .executions
            .get(execution_arn)
            .map(|stored| stored.record.clone()))
    }

    fn list_executions(
        &self,
        filter: &ExecutionFilter,
    ) -> Result<Page<ExecutionSummary>, StoreError> {
        let before = match &filter.next_token {
            Some(token) => parse_page_token(token)?,
            None => u64::MAX,
        };
        let limit = filter.limit.max(1);
        let inner = self.lock();
        let mut items = Vec::new();
        let mut last_seq = None;
        let mut more = false;
        for (seq, arn) in inner.started.range(..before).rev() {
            let Some(stored) = inner.executions.get(arn) else {
                continue;
            };
            let record = &stored.record;
            if filter
                .state_machine_arn
                .as_ref()
                .is_some_and(|machine| *machine != record.state_machine_arn)
                || filter.status.is_some_and(|status| status != record.status)
            {
                continue;
            }
            if items.len() == limit {
                more = true;
                break;
            }
            items.push(record.to_summary());
            last_seq = Some(*seq);
        }
        Ok(Page {
            items,
            next_token: if more { last_seq.map(page_token) } else { None },
        })
    }

    fn history(
        &self,
        execution_arn: &str,
        query: &HistoryQuery,
    ) -> Result<Vec<EventRecord>, StoreError> {
        let inner = self.lock();
        let Some(stored) = inner.executions.get(execution_arn) else {
            return Err(StoreError::ExecutionNotFound {
                execution_arn: execution_arn.to_owned(),
            });
        };
        // Event ids are 1, 2, ... so an id is its index plus one.
        let events = &stored.events;
        let page: Vec<EventRecord> = if query.reverse {
            let end = query.after_id.map_or(events.len(), |id| {
                (id.saturating_sub(1) as usize).min(events.len())
            });
            events[..end]
                .iter()
                .rev()
                .take(query.limit)
                .cloned()
                .collect()
        } else {
            let start = query
                .after_id
                .map_or(0, |id| (id as usize).min(events.len()));
            events[start..].iter().take(query.limit).cloned().collect()
        };
        Ok(page)
    }

    fn running_executions(&self) -> Result<Vec<ExecutionRecord>, StoreError> {
        let inner = self.lock();
        Ok(inner
            .started
            .values()
            .filter_map(|arn| inner.executions.get(arn))
            .filter(|stored| stored.record.status == ExecutionStatus::Running)
            .map(|stored| stored.record.clone())
            .collect())
    }

    fn due_executions(
        &self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<DueExecution>, StoreError> {
        let inner = self.lock();
        let mut due: Vec<(DateTime<Utc>, u64, &str)> = inner
            .executions
            .values()
            .filter(|stored| stored.record.status == ExecutionStatus::Running)
            .filter_map(|stored| {
                let wake_at = stored.record.wake_at?;
                (wake_at <= now).then_some((
                    wake_at,
                    stored.seq,
                    stored.record.execution_arn.as_str(),
                ))
            })
            .collect();
        due.sort_unstable();
        Ok(due
            .into_iter()
            .take(limit)
            .map(|(wake_at, _, arn)| DueExecution {
                execution_arn: arn.to_owned(),
                wake_at,
            })
            .collect())
    }

    fn next_wake_at(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(self
            .lock()
            .executions
            .values()
            .filter(|stored| stored.record.status == ExecutionStatus::Running)
            .filter_map(|stored| stored.record.wake_at)
            .min())
    }

    fn post_message(
        &self,
        execution_arn: &str,
        message: Message,
        posted: DateTime<Utc>,
    ) -> Result<InboxMessage, StoreError> {
        let mut inner = self.lock();
        let Some(stored) = inner.executions.get(execution_arn) else {
            return Err(StoreError::ExecutionNotFound {
                execution_arn: execution_arn.to_owned(),
            });
        };
        let status = stored.record.status;
        if message != Message::Redrive && status != ExecutionStatus::Running {
            return Err(StoreError::ExecutionClosed {
                execution_arn: execution_arn.to_owned(),
                status,
            });
        }
        if let Some(token) = message.token() {
            match inner.tokens.get(token) {
                Some(record) if record.execution_arn == execution_arn => {
                    if record.status != TokenStatus::Waiting {
                        return Err(StoreError::TaskTokenNotWaiting {
                            token: token.to_owned(),
                        });
                    }
                }
                _ => {
                    return Err(StoreError::TaskTokenNotFound {
                        token: token.to_owned(),
                        execution_arn: execution_arn.to_owned(),
                    });
                }
            }
        }
        inner.next_message_id += 1;
        let stored = InboxMessage {
            id: inner.next_message_id,
            execution_arn: execution_arn.to_owned(),
            posted,
            message,
        };
        inner.inbox.insert(stored.id, stored.clone());
        Ok(stored)
    }

    fn inbox(&self, execution_arn: &str) -> Result<Vec<InboxMessage>, StoreError> {
        let inner = self.lock();
        if !inner.executions.contains_key(execution_arn) {
            return Err(StoreError::ExecutionNotFound {
                execution_arn: execution_arn.to_owned(),
            });
        }
        Ok(inner
            .inbox
            .values()
            .filter(|message| message.execution_arn == execution_arn)
            .cloned()
            .collect())
    }

    fn inbox_executions(&self) -> Result<Vec<String>, StoreError> {
        let inner = self.lock();
        let mut seen = HashSet::new();
        Ok(inner
            .inbox
            .values()
            .filter(|message| seen.insert(message.execution_arn.as_str()))
            .map(|message| message.execution_arn.clone())
            .collect())
    }

    fn task_token(&self, token: &str) -> Result<Option<TaskTokenRecord>, StoreError> {
        Ok(self.lock().tokens.get(token).cloned())
    }

    fn take_activity_task(
        &self,
        activity_arn: &str,
        worker: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<ActivityTask>, StoreError> {
        let task = self.take_task(activity_arn);
        if let Some(task) = &task {
            // Nobody can answer the task before this returns its token, so the message comes
            // first in the inbox even though it is posted after the take.
            self.post_message(
                &task.execution_arn,
                Message::ActivityStarted {
                    token: task.task_token.clone(),
                    worker: worker.to_owned(),
                },
                now,
            )?;
        }
        Ok(task)
    }

    fn definition(&self, hash: &str) -> Result<Option<String>, StoreError> {
        Ok(self.lock().definitions.get(hash).cloned())
    }

    fn waiting_tasks(&self, execution_arn: &str) -> Result<Vec<TaskTokenRecord>, StoreError> {
        let inner = self.lock();
        let mut tasks: Vec<TaskTokenRecord> = inner
            .tokens
            .values()
            .filter(|t| t.execution_arn == execution_arn && t.status == TokenStatus::Waiting)
            .cloned()
            .collect();
        tasks.sort_by(|a, b| a.token.cmp(&b.token));
        Ok(tasks)
    }

    fn update_state_machine(
        &self,
        arn: &str,
        update: MachineUpdate,
    ) -> Result<StateMachineRecord, StoreError> {
        let mut inner = self.lock();
        let machine = inner
            .machines
            .iter_mut()
            .find(|m| m.arn == arn && !m.deleted)
            .ok_or_else(|| StoreError::StateMachineNotFound {
                name_or_arn: arn.to_string(),
            })?;
        if let Some(definition) = update.definition {
            machine.definition = definition;
        }
        if let Some(role_arn) = update.role_arn {
            machine.role_arn = role_arn;
        }
        machine.update_date = Some(update.update_date);
        let machine = machine.clone();
        inner.definitions.insert(
            definition_hash(&machine.definition),
            machine.definition.clone(),
        );
        Ok(machine)
    }

    fn delete_state_machine(&self, arn: &str) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        let Some(machine) = inner.machines.iter_mut().find(|m| m.arn == arn) else {
            return Ok(false);
        };
        let was_live = !machine.deleted;
        machine.deleted = true;
        inner.tags.remove(arn);
        Ok(was_live)
    }

    fn put_activity(&self, activity: ActivityRecord) -> Result<ActivityRecord, StoreError> {
        let mut inner = self.lock();
        if let Some(existing) = inner.activities.iter().find(|a| a.name == activity.name) {
            return Ok(existing.clone());
        }
        inner.activities.push(activity.clone());
        Ok(activity)
    }

    fn activity(&self, arn: &str) -> Result<Option<ActivityRecord>, StoreError> {
        Ok(self
            .lock()
            .activities
            .iter()
            .find(|a| a.arn == arn)
            .cloned())
    }

    fn list_activities(&self) -> Result<Vec<ActivityRecord>, StoreError> {
        Ok(self.lock().activities.clone())
    }

    fn delete_activity(&self, arn: &str) -> Result<bool, StoreError> {
        let mut inner = self.lock();
        let before = inner.activities.len();
        inner.activities.retain(|a| a.arn != arn);
        inner.tags.remove(arn);
        Ok(inner.activities.len() != before)
    }

    fn tags(&self, resource_arn: &str) -> Result<Vec<(String, String)>, StoreError> {
        Ok(self
            .lock()
            .tags
            .get(resource_arn)
            .map(|tags| tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default())
    }

    fn change_tags(
        &self,
        resource_arn: &str,
        add: Vec<(String, String)>,
        remove: Vec<String>,
    ) -> Result<(), StoreError> {
        let mut inner = self.lock();
        let tags = inner.tags.entry(resource_arn.to_string()).or_default();
        tags.extend(add);
        for key in remove {
            tags.remove(&key);
        }
        if tags.is_empty() {
            inner.tags.remove(resource_arn);
        }
        Ok(())
    }
}

impl MemoryStore {
    fn take_task(&self, activity_arn: &str) -> Option<ActivityTask> {
        let mut inner = self.lock();
        let stored = inner
            .activity_tasks
            .values_mut()
            .find(|stored| !stored.taken && stored.task.activity_arn == activity_arn)?;
        stored.taken = true;
        Some(ActivityTask {
            activity_arn: stored.task.activity_arn.clone(),
            task_token: stored.task.task_token.clone(),
            input: stored.task.input.clone(),
            execution_arn: stored.execution_arn.clone(),
            created: stored.task.created,
        })
    }
}
