//! The behaviour both backends share; every test runs once per backend.

use std::sync::Arc;

use workflow_core::exec::{Details, EventType, HistoryEvent};
use workflow_core::store::{
    ActivityRecord, EventRecord, ExecutionEnd, ExecutionFilter, ExecutionStatus, HistoryQuery,
    MachineUpdate, Message, NewActivityTask, NewExecution, NewTaskToken, Store, StoreError,
    TokenStatus, Transition, definition_hash,
};

use super::{MACHINE, at, event, events, execution_arn, machine, started, step, t0};

macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(#[test] fn $name() { super::$name(&*super::super::Backend::memory().store) })*
        }
        mod sqlite {
            $(#[test] fn $name() { super::$name(&*super::super::Backend::sqlite().store) })*
        }
    };
}

on_both_backends!(
    state_machines_round_trip,
    start_is_idempotent_for_equal_input,
    execution_round_trip,
    failed_commit_changes_nothing,
    history_pages,
    executions_list_by_filter_and_page,
    inbox_messages_apply_exactly_once,
    task_token_lifecycle,
    running_and_due_executions_for_recovery,
    redrive_reopens_a_closed_execution,
    activity_tasks_queue,
    concurrent_commits_keep_each_execution_in_order,
    a_bad_commit_among_concurrent_ones_fails_alone,
    engine_events_round_trip,
    state_machines_update_delete_and_revive,
    activities_and_tags,
    waiting_tasks_of_an_execution,
);

fn state_machines_round_trip(store: &dyn Store) {
    assert_eq!(store.state_machine("m").unwrap(), None);
    let stored = store.put_state_machine(machine("m")).unwrap();
    assert_eq!(stored, machine("m"));
    store.put_state_machine(machine("other")).unwrap();

    assert_eq!(store.state_machine("m").unwrap(), Some(machine("m")));
    assert_eq!(store.state_machine(MACHINE).unwrap(), Some(machine("m")));
    let names: Vec<String> = store
        .list_state_machines()
        .unwrap()
        .into_iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(names, ["m", "other"]);

    // Storing the same machine again returns it; a different definition is refused.
    let mut later = machine("m");
    later.creation_date = at(100);
    assert_eq!(store.put_state_machine(later).unwrap(), machine("m"));
    let mut changed = machine("m");
    changed.definition = r#"{"StartAt":"X","States":{"X":{"Type":"Succeed"}}}"#.into();
    let err = store.put_state_machine(changed).unwrap_err();
    assert!(matches!(err, StoreError::StateMachineAlreadyExists { ref name } if name == "m"));
    assert_eq!(store.state_machine("m").unwrap(), Some(machine("m")));
}

fn start_is_idempotent_for_equal_input(store: &dyn Store) {
    let arn = execution_arn("run");
    let err = store
        .start_execution(NewExecution::new(&arn, "run", MACHINE, "{}", t0()))
        .unwrap_err();
    assert!(
        matches!(err, StoreError::StateMachineNotFound { .. }),
        "{err}"
    );

    store.put_state_machine(machine("m")).unwrap();
    let first = store
        .start_execution(NewExecution::new(&arn, "run", MACHINE, r#"{"a":1}"#, t0()))
        .unwrap();
    assert!(first.created);
    let again = store
        .start_execution(NewExecution::new(&arn, "run", MACHINE, r#"{"a":1}"#, at(5)))
        .unwrap();
    assert!(!again.created);
    assert_eq!(again.execution, first.execution);

    let err = store
        .start_execution(NewExecution::new(&arn, "run", MACHINE, r#"{"a":2}"#, t0()))
        .unwrap_err();
    assert!(
        matches!(err, StoreError::ExecutionAlreadyExists { .. }),
        "{err}"
    );

    // Once closed, even the same input is refused (AWS does the same).
    store
        .commit(Transition {
            end: Some(ExecutionEnd::succeeded("1", at(1))),
            ..Transition::new(&arn)
        })
        .unwrap();
    let err = store
        .start_execution(NewExecution::new(&arn, "run", MACHINE, r#"{"a":1}"#, t0()))
        .unwrap_err();
    assert!(
        matches!(err, StoreError::ExecutionAlreadyExists { .. }),
        "{err}"
    );

    // Initial events must start at id 1.
    let mut bad = NewExecution::new(execution_arn("bad"), "bad", MACHINE, "{}", t0());
    bad.events = events(2..=3);
    let err = store.start_execution(bad).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::EventOutOfOrder {
                expected: 1,
                found: 2,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(store.execution(&execution_arn("bad")).unwrap(), None);
}

fn execution_round_trip(store: &dyn Store) {
    store.put_state_machine(machine("m")).unwrap();
    let arn = execution_arn("run");
    let mut new = NewExecution::new(&arn, "run", MACHINE, r#"{"in":true}"#, t0());
    new.snapshot = Some(vec![0, 1, 2, 255]);
    new.events = events(1..=2);
    let started = store.start_execution(new).unwrap();
    assert_eq!(started.execution.event_count, 2);
    assert_eq!(
        store.execution(&arn).unwrap(),
        Some(started.execution.clone())
    );

    let committed = store
        .commit(Transition {
            snapshot: Some(b"second".to_vec()),
            wake_at: Some(at(60)),
            ..step(&arn, 3..=5)
        })
        .unwrap();
    assert_eq!(committed.event_count, 5);
    let record = store.execution(&arn).unwrap().unwrap();
    assert_eq!(record.snapshot.as_deref(), Some(&b"second"[..]));
    assert_eq!(record.wake_at, Some(at(60)));
    assert_eq!(record.status, ExecutionStatus::Running);

    // No snapshot keeps the stored one; the wake-up time is replaced.
    store.commit(step(&arn, 6..=6)).unwrap();
    let record = store.execution(&arn).unwrap().unwrap();
    assert_eq!(record.snapshot.as_deref(), Some(&b"second"[..]));
    assert_eq!(record.wake_at, None);

    store
        .commit(Transition {
            end: Some(ExecutionEnd::failed(
                ExecutionStatus::Failed,
                Some("States.TaskFailed".into()),
                Some("boom".into()),
                at(99),
            )),
            ..step(&arn, 7..=7)
        })
        .unwrap();
    let record = store.execution(&arn).unwrap().unwrap();
    assert_eq!(record.execution_arn, arn);
    assert_eq!(record.name, "run");
    assert_eq!(record.state_machine_arn, MACHINE);
    assert_eq!(record.input, r#"{"in":true}"#);
    assert_eq!(record.status, ExecutionStatus::Failed);
    assert_eq!(record.output, None);
    assert_eq!(record.error.as_deref(), Some("States.TaskFailed"));
    assert_eq!(record.cause.as_deref(), Some("boom"));
    assert_eq!(record.start_date, t0());
    assert_eq!(record.stop_date, Some(at(99)));
    assert_eq!(record.redrive_count, 0);
    assert_eq!(record.event_count, 7);
    assert_eq!(
        store.history(&arn, &HistoryQuery::default()).unwrap(),
        events(1..=7)
    );

    let err = store.commit(step(&arn, 8..=8)).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::ExecutionClosed {
                status: ExecutionStatus::Failed,
                ..
            }
        ),
        "{err}"
    );
    let err = store
        .commit(step(&execution_arn("nope"), 1..=1))
        .unwrap_err();
    assert!(matches!(err, StoreError::ExecutionNotFound { .. }), "{err}");
    assert_eq!(store.execution(&execution_arn("nope")).unwrap(), None);
}

fn failed_commit_changes_nothing(store: &dyn Store) {
    let arn = started(store, "run");
    let other = started(store, "other");
    store
        .commit(Transition {
            snapshot: Some(b"one".to_vec()),
            tokens_waiting: vec![NewTaskToken {
                token: "held".into(),
                state_name: "S".into(),
            }],
            ..step(&arn, 1..=2)
        })
        .unwrap();
    let posted = store
        .post_message(
            &arn,
            Message::Stop {
                error: None,
                cause: None,
            },
            t0(),
        )
        .unwrap();
    let foreign = store
        .post_message(
            &other,
            Message::Stop {
                error: None,
                cause: None,
            },
            t0(),
        )
        .unwrap();
    let before = store.execution(&arn).unwrap();

    // Each transition is valid but for one part, which comes last.
    let good = || Transition {
        snapshot: Some(b"two".to_vec()),
        wake_at: Some(at(5)),
        tokens_waiting: vec![NewTaskToken {
            token: "new".into(),
            state_name: "S".into(),
        }],
        tokens_completed: vec!["held".into()],
        consumed_messages: vec![posted.id],
        activity_tasks: vec![NewActivityTask {
            activity_arn: "act".into(),
            task_token: "act-token".into(),
            input: "{}".into(),
            created: t0(),
        }],
        ..step(&arn, 3..=4)
    };
    let mut gap = good();
    gap.events.push(event(6));
    let mut unknown_message = good();
    unknown_message.consumed_messages.push(posted.id + 1000);
    let mut twice = good();
    twice.consumed_messages.push(posted.id);
    let mut foreign_message = good();
    foreign_message.consumed_messages.push(foreign.id);
    let mut unknown_token = good();
    unknown_token.tokens_completed.push("missing".into());
    let mut duplicate_token = good();
    duplicate_token.tokens_waiting.push(NewTaskToken {
        token: "held".into(),
        state_name: "S".into(),
    });
    let mut duplicate_activity = good();
    duplicate_activity
        .activity_tasks
        .push(duplicate_activity.activity_tasks[0].clone());
    let mut running_end = good();
    running_end.end = Some(ExecutionEnd::failed(
        ExecutionStatus::Running,
        None,
        None,
        t0(),
    ));
    let mut redrive_running = good();
    redrive_running.redrive = Some(t0());

    type Expected = fn(&StoreError) -> bool;
    let cases: Vec<(&str, Transition, Expected)> = vec![
        ("gap", gap, |e| {
            matches!(
                e,
                StoreError::EventOutOfOrder {
                    expected: 5,
                    found: 6,
                    ..
                }
            )
        }),
        ("unknown message", unknown_message, |e| {
            matches!(e, StoreError::MessageNotFound { .. })
        }),
        ("message twice", twice, |e| {
            matches!(e, StoreError::MessageNotFound { .. })
        }),
        ("message of another execution", foreign_message, |e| {
            matches!(e, StoreError::MessageNotFound { .. })
        }),
        ("unknown token", unknown_token, |e| {
            matches!(e, StoreError::TaskTokenNotFound { .. })
        }),
        ("duplicate token", duplicate_token, |e| {
            matches!(e, StoreError::TaskTokenExists { .. })
        }),
        ("duplicate activity task", duplicate_activity, |e| {
            matches!(e, StoreError::TaskTokenExists { .. })
        }),
        ("end while running", running_end, |e| {
            matches!(e, StoreError::InvalidEnd { .. })
        }),
        ("redrive while running", redrive_running, |e| {
            matches!(e, StoreError::NotRedrivable { .. })
        }),
    ];
    for (label, transition, expected) in cases {
        let err = store.commit(transition).unwrap_err();
        assert!(expected(&err), "{label}: {err}");
        assert_eq!(store.execution(&arn).unwrap(), before, "{label}");
        assert_eq!(
            store.history(&arn, &HistoryQuery::default()).unwrap(),
            events(1..=2),
            "{label}"
        );
        assert_eq!(store.inbox(&arn).unwrap(), vec![posted.clone()], "{label}");
        assert_eq!(store.task_token("new").unwrap(), None, "{label}");
        assert_eq!(
            store.task_token("held").unwrap().unwrap().status,
            TokenStatus::Waiting,
            "{label}"
        );
        assert_eq!(
            store.take_activity_task("act", "w", t0()).unwrap(),
            None,
            "{label}"
        );
    }

    // The same transition without the bad part goes through.
    assert_eq!(store.commit(good()).unwrap().event_count, 4);
    assert_eq!(store.inbox(&arn).unwrap(), vec![]);
    assert_eq!(store.inbox(&other).unwrap(), vec![foreign]);
}

fn history_pages(store: &dyn Store) {
    let arn = started(store, "run");
    store.commit(step(&arn, 1..=10)).unwrap();
    let ids = |query: HistoryQuery| -> Vec<u64> {
        store
            .history(&arn, &query)
            .unwrap()
            .into_iter()
            .map(|e| e.id)
            .collect()
    };
    let page = |after_id, limit, reverse| HistoryQuery {
        after_id,
        limit,
        reverse,
    };
    assert_eq!(ids(page(None, 3, false)), [1, 2, 3]);
    assert_eq!(ids(page(Some(3), 3, false)), [4, 5, 6]);
    assert_eq!(ids(page(Some(9), 3, false)), [10]);
    assert_eq!(ids(page(Some(10), 3, false)), Vec::<u64>::new());
    assert_eq!(ids(page(Some(99), 3, false)), Vec::<u64>::new());
    assert_eq!(ids(page(None, 3, true)), [10, 9, 8]);
    assert_eq!(ids(page(Some(8), 3, true)), [7, 6, 5]);
    assert_eq!(ids(page(Some(2), 3, true)), [1]);
    assert_eq!(ids(page(Some(1), 3, true)), Vec::<u64>::new());
    assert_eq!(ids(page(Some(99), 2, true)), [10, 9]);
    assert_eq!(ids(page(None, 0, false)), Vec::<u64>::new());
    assert_eq!(ids(HistoryQuery::default()).len(), 10);

    let err = store
        .history(&execution_arn("nope"), &HistoryQuery::default())
        .unwrap_err();
    assert!(matches!(err, StoreError::ExecutionNotFound { .. }), "{err}");
}

fn executions_list_by_filter_and_page(store: &dyn Store) {
    store.put_state_machine(machine("m")).unwrap();
    let other_machine = machine("other");
    store.put_state_machine(other_machine.clone()).unwrap();
    for i in 0..5 {
        let (machine_arn, name) = if i == 2 {
            (other_machine.arn.as_str(), "x2".to_owned())
        } else {
            (MACHINE, format!("e{i}"))
        };
        let arn = execution_arn(&name);
        store
            .start_execution(NewExecution::new(&arn, &name, machine_arn, "{}", at(i)))
            .unwrap();
        if i % 2 == 1 {
            store
                .commit(Transition {
                    end: Some(ExecutionEnd::succeeded("null", at(10))),
                    ..Transition::new(&arn)
                })
                .unwrap();
        }
    }
    let names = |filter: &ExecutionFilter| -> Vec<String> {
        let page = store.list_executions(filter).unwrap();
        page.items.into_iter().map(|e| e.name).collect()
    };
    assert_eq!(
        names(&ExecutionFilter::default()),
        ["e4", "e3", "x2", "e1", "e0"]
    );
    assert_eq!(
        names(&ExecutionFilter {
            state_machine_arn: Some(MACHINE.into()),
            ..ExecutionFilter::default()
        }),
        ["e4", "e3", "e1", "e0"]
    );
    assert_eq!(
        names(&ExecutionFilter {
            status: Some(ExecutionStatus::Succeeded),
            ..ExecutionFilter::default()
        }),
        ["e3", "e1"]
    );
    assert_eq!(
        names(&ExecutionFilter {
            state_machine_arn: Some(MACHINE.into()),
            status: Some(ExecutionStatus::Running),
            ..ExecutionFilter::default()
        }),
        ["e4", "e0"]
    );

    // Paging through everything, two at a time.
    let mut filter = ExecutionFilter {
        limit: 2,
        ..ExecutionFilter::default()
    };
    let mut pages = Vec::new();
    loop {
        let page = store.list_executions(&filter).unwrap();
        pages.push(
            page.items
                .iter()
                .map(|e| e.name.clone())
                .collect::<Vec<_>>(),
        );
        match page.next_token {
            Some(token) => filter.next_token = Some(token),
            None => break,
        }
    }
    assert_eq!(pages, [vec!["e4", "e3"], vec!["x2", "e1"], vec!["e0"]]);

    // An exact fit has no further page.
    let page = store
        .list_executions(&ExecutionFilter {
            status: Some(ExecutionStatus::Succeeded),
            limit: 2,
            ..ExecutionFilter::default()
        })
        .unwrap();
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.next_token, None);

    let summary = &store
        .list_executions(&ExecutionFilter::default())
        .unwrap()
        .items[1];
    assert_eq!(summary.execution_arn, execution_arn("e3"));
    assert_eq!(summary.state_machine_arn, MACHINE);
    assert_eq!(summary.status, ExecutionStatus::Succeeded);
    assert_eq!(summary.start_date, at(3));
    assert_eq!(summary.stop_date, Some(at(10)));

    let err = store
        .list_executions(&ExecutionFilter {
            next_token: Some("not a token".into()),
            ..ExecutionFilter::default()
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidPageToken { .. }), "{err}");
}

fn inbox_messages_apply_exactly_once(store: &dyn Store) {
    let arn = started(store, "run");
    let other = started(store, "other");
    store
        .commit(Transition {
            tokens_waiting: vec![NewTaskToken {
                token: "tok".into(),
                state_name: "Wait".into(),
            }],
            ..step(&arn, 1..=1)
        })
        .unwrap();
    assert_eq!(store.inbox_executions().unwrap(), Vec::<String>::new());

    let success = Message::TaskSuccess {
        token: "tok".into(),
        output: r#"{"ok":1}"#.into(),
    };
    let first = store.post_message(&arn, success.clone(), at(1)).unwrap();
    let to_other = store
        .post_message(
            &other,
            Message::Stop {
                error: None,
                cause: None,
            },
            at(2),
        )
        .unwrap();
    let heartbeat = Message::TaskHeartbeat {
        token: "tok".into(),
    };
    let second = store.post_message(&arn, heartbeat.clone(), at(3)).unwrap();
    assert!(first.id < to_other.id && to_other.id < second.id);
    assert_eq!(first.message, success);
    assert_eq!(first.posted, at(1));
    assert_eq!(
        store.inbox(&arn).unwrap(),
        vec![first.clone(), second.clone()]
    );
    assert_eq!(
        store.inbox_executions().unwrap(),
        vec![arn.clone(), other.clone()]
    );

    // Applying the first message consumes it in the same commit.
    store
        .commit(Transition {
            consumed_messages: vec![first.id],
            tokens_completed: vec!["tok".into()],
            ..step(&arn, 2..=3)
        })
        .unwrap();
    assert_eq!(store.inbox(&arn).unwrap(), vec![second.clone()]);

    // A second host that read the same message cannot apply it again.
    let err = store
        .commit(Transition {
            consumed_messages: vec![first.id],
            ..step(&arn, 4..=5)
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::MessageNotFound { .. }), "{err}");
    assert_eq!(store.execution(&arn).unwrap().unwrap().event_count, 3);

    store
        .commit(Transition {
            consumed_messages: vec![second.id],
            ..Transition::new(&arn)
        })
        .unwrap();
    assert_eq!(store.inbox(&arn).unwrap(), vec![]);
    assert_eq!(store.inbox_executions().unwrap(), vec![other.clone()]);

    let err = store.inbox(&execution_arn("nope")).unwrap_err();
    assert!(matches!(err, StoreError::ExecutionNotFound { .. }), "{err}");
    let err = store
        .post_message(&execution_arn("nope"), Message::Redrive, t0())
        .unwrap_err();
    assert!(matches!(err, StoreError::ExecutionNotFound { .. }), "{err}");
}

fn task_token_lifecycle(store: &dyn Store) {
    let arn = started(store, "run");
    let other = started(store, "other");
    assert_eq!(store.task_token("a").unwrap(), None);
    store
        .commit(Transition {
            tokens_waiting: vec![
                NewTaskToken {
                    token: "a".into(),
                    state_name: "CallA".into(),
                },
                NewTaskToken {
                    token: "b".into(),
                    state_name: "CallB".into(),
                },
            ],
            ..step(&arn, 1..=2)
        })
        .unwrap();
    let a = store.task_token("a").unwrap().unwrap();
    assert_eq!(a.token, "a");
    assert_eq!(a.execution_arn, arn);
    assert_eq!(a.state_name, "CallA");
    assert_eq!(a.status, TokenStatus::Waiting);

    let failure = Message::TaskFailure {
        token: "a".into(),
        error: Some("E".into()),
        cause: None,
    };
    store.post_message(&arn, failure.clone(), t0()).unwrap();
    // A token is only accepted by its own execution.
    let err = store
        .post_message(&other, failure.clone(), t0())
        .unwrap_err();
    assert!(matches!(err, StoreError::TaskTokenNotFound { .. }), "{err}");
    let unknown = Message::TaskSuccess {
        token: "zzz".into(),
        output: "1".into(),
    };
    let err = store.post_message(&arn, unknown, t0()).unwrap_err();
    assert!(matches!(err, StoreError::TaskTokenNotFound { .. }), "{err}");
    // Another execution cannot complete the token either.
    let err = store
        .commit(Transition {
            tokens_completed: vec!["a".into()],
            ..Transition::new(&other)
        })
        .unwrap_err();
    assert!(matches!(err, StoreError::TaskTokenNotFound { .. }), "{err}");

    store
        .commit(Transition {
            tokens_completed: vec!["a".into()],
            ..step(&arn, 3..=3)
        })
        .unwrap();
    assert_eq!(
        store.task_token("a").unwrap().unwrap().status,
        TokenStatus::Completed
    );
    let err = store.post_message(&arn, failure, t0()).unwrap_err();
    assert!(
        matches!(err, StoreError::TaskTokenNotWaiting { .. }),
        "{err}"
    );
    assert_eq!(
        store.task_token("b").unwrap().unwrap().status,
        TokenStatus::Waiting
    );

    // Ending the execution completes the tokens still waiting.
    store
        .commit(Transition {
            end: Some(ExecutionEnd::failed(
                ExecutionStatus::Aborted,
                None,
                None,
                at(4),
            )),
            ..step(&arn, 4..=4)
        })
        .unwrap();
    assert_eq!(
        store.task_token("b").unwrap().unwrap().status,
        TokenStatus::Completed
    );
    let err = store
        .post_message(&arn, Message::TaskHeartbeat { token: "b".into() }, t0())
        .unwrap_err();
    assert!(matches!(err, StoreError::ExecutionClosed { .. }), "{err}");
    let err = store
        .post_message(
            &arn,
            Message::Stop {
                error: None,
                cause: None,
            },
            t0(),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::ExecutionClosed { .. }), "{err}");
}

fn running_and_due_executions_for_recovery(store: &dyn Store) {
    let a = started(store, "a");
    let b = started(store, "b");
    let c = started(store, "c");
    let d = started(store, "d");
    let wake = |arn: &str, seconds: i64, snapshot: &str| Transition {
        wake_at: Some(at(seconds)),
        snapshot: Some(snapshot.as_bytes().to_vec()),
        ..Transition::new(arn)
    };
    store.commit(wake(&a, 30, "a1")).unwrap();
    store.commit(wake(&b, 10, "b1")).unwrap();
    store.commit(wake(&c, 20, "c1")).unwrap();
    store
        .commit(Transition {
            end: Some(ExecutionEnd::succeeded("{}", at(1))),
            ..wake(&d, 5, "d1")
        })
        .unwrap();

    let running = store.running_executions().unwrap();
    let listed: Vec<(&str, Option<&[u8]>)> = running
        .iter()
        .map(|e| (e.name.as_str(), e.snapshot.as_deref()))
        .collect();
    assert_eq!(
        listed,
        [
            ("a", Some(&b"a1"[..])),
            ("b", Some(&b"b1"[..])),
            ("c", Some(&b"c1"[..]))
        ]
    );

    assert_eq!(store.next_wake_at().unwrap(), Some(at(10)));
    assert_eq!(store.due_executions(at(9), 10).unwrap(), vec![]);
    let due: Vec<(String, _)> = store
        .due_executions(at(25), 10)
        .unwrap()
        .into_iter()
        .map(|d| (d.execution_arn, d.wake_at))
        .collect();
    assert_eq!(due, [(b.clone(), at(10)), (c.clone(), at(20))]);
    assert_eq!(store.due_executions(at(100), 1).unwrap().len(), 1);

    // Waking b clears its timer.
    store.commit(Transition::new(&b)).unwrap();
    assert_eq!(store.next_wake_at().unwrap(), Some(at(20)));
    assert_eq!(store.due_executions(at(100), 10).unwrap().len(), 2);
}

fn redrive_reopens_a_closed_execution(store: &dyn Store) {
    let arn = started(store, "run");
    store
        .commit(Transition {
            end: Some(ExecutionEnd::failed(
                ExecutionStatus::Failed,
                Some("E".into()),
                Some("C".into()),
                at(1),
            )),
            ..step(&arn, 1..=2)
        })
        .unwrap();
    let request = store.post_message(&arn, Message::Redrive, at(2)).unwrap();
    store
        .commit(Transition {
            redrive: Some(at(3)),
            consumed_messages: vec![request.id],
            ..step(&arn, 3..=3)
        })
        .unwrap();
    let record = store.execution(&arn).unwrap().unwrap();
    assert_eq!(record.status, ExecutionStatus::Running);
    assert_eq!(record.redrive_count, 1);
    assert_eq!(record.redrive_date, Some(at(3)));
    assert_eq!(
        (record.error, record.cause, record.stop_date),
        (None, None, None)
    );
    assert_eq!(record.event_count, 3);

    store
        .commit(Transition {
            end: Some(ExecutionEnd::succeeded("{}", at(4))),
            ..step(&arn, 4..=4)
        })
        .unwrap();
    let err = store
        .commit(Transition {
            redrive: Some(at(5)),
            ..Transition::new(&arn)
        })
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NotRedrivable {
                status: ExecutionStatus::Succeeded,
                ..
            }
        ),
        "{err}"
    );
}

fn activity_tasks_queue(store: &dyn Store) {
    let arn = started(store, "run");
    let ended = started(store, "ended");
    let task = |activity: &str, token: &str| NewActivityTask {
        activity_arn: activity.into(),
        task_token: token.into(),
        input: format!(r#"{{"token":"{token}"}}"#),
        created: at(1),
    };
    let tokens = |names: &[&str]| -> Vec<NewTaskToken> {
        names
            .iter()
            .map(|name| NewTaskToken {
                token: (*name).into(),
                state_name: "Work".into(),
            })
            .collect()
    };
    store
        .commit(Transition {
            activity_tasks: vec![task("act", "t1"), task("other", "t2"), task("act", "t3")],
            tokens_waiting: tokens(&["t1", "t2", "t3"]),
            ..Transition::new(&arn)
        })
        .unwrap();
    store
        .commit(Transition {
            activity_tasks: vec![task("act", "t4")],
            tokens_waiting: tokens(&["t4"]),
            ..Transition::new(&ended)
        })
        .unwrap();
    // Ending an execution withdraws its activity tasks.
    store
        .commit(Transition {
            end: Some(ExecutionEnd::failed(
                ExecutionStatus::Aborted,
                None,
                None,
                at(2),
            )),
            ..Transition::new(&ended)
        })
        .unwrap();

    let first = store
        .take_activity_task("act", "w1", at(3))
        .unwrap()
        .unwrap();
    assert_eq!(first.task_token, "t1");
    assert_eq!(first.activity_arn, "act");
    assert_eq!(first.execution_arn, arn);
    assert_eq!(first.input, r#"{"token":"t1"}"#);
    assert_eq!(first.created, at(1));
    let second = store
        .take_activity_task("act", "w2", at(3))
        .unwrap()
        .unwrap();
    assert_eq!(second.task_token, "t3");
    assert_eq!(store.take_activity_task("act", "w1", at(4)).unwrap(), None);
    assert_eq!(
        store
            .take_activity_task("other", "w1", at(4))
            .unwrap()
            .unwrap()
            .task_token,
        "t2"
    );
    assert_eq!(store.take_activity_task("none", "w1", at(4)).unwrap(), None);
    // Each take tells the execution which worker started the task.
    let started: Vec<Message> = store
        .inbox(&arn)
        .unwrap()
        .into_iter()
        .map(|m| m.message)
        .collect();
    let expected: Vec<Message> = [("t1", "w1"), ("t3", "w2"), ("t2", "w1")]
        .iter()
        .map(|(token, worker)| Message::ActivityStarted {
            token: (*token).into(),
            worker: (*worker).into(),
        })
        .collect();
    assert_eq!(started, expected);
}

fn concurrent_commits_keep_each_execution_in_order(store: &dyn Store) {
    let arns: Vec<String> = (0..8).map(|i| started(store, &format!("e{i}"))).collect();
    std::thread::scope(|scope| {
        for arn in &arns {
            scope.spawn(move || {
                for n in 0..40u64 {
                    let first = n * 3 + 1;
                    store
                        .commit(Transition {
                            snapshot: Some(n.to_string().into_bytes()),
                            ..step(arn, first..=first + 2)
                        })
                        .unwrap();
                }
            });
        }
    });
    for arn in &arns {
        let record = store.execution(arn).unwrap().unwrap();
        assert_eq!(record.event_count, 120);
        assert_eq!(record.snapshot.as_deref(), Some(&b"39"[..]));
        assert_eq!(
            store.history(arn, &HistoryQuery::default()).unwrap(),
            events(1..=120)
        );
    }
}

fn a_bad_commit_among_concurrent_ones_fails_alone(store: &dyn Store) {
    // With SQLite, concurrent commits share transactions; a bad one must not take the others
    // with it, nor leave a trace.
    let arns: Vec<String> = (0..8).map(|i| started(store, &format!("e{i}"))).collect();
    std::thread::scope(|scope| {
        for arn in &arns {
            scope.spawn(move || {
                for n in 0..30u64 {
                    let mut bad = step(arn, n + 1..=n + 1);
                    bad.events.push(event(n + 3));
                    let err = store.commit(bad).unwrap_err();
                    assert!(matches!(err, StoreError::EventOutOfOrder { .. }), "{err}");
                    store.commit(step(arn, n + 1..=n + 1)).unwrap();
                }
            });
        }
    });
    for arn in &arns {
        assert_eq!(store.execution(arn).unwrap().unwrap().event_count, 30);
        assert_eq!(
            store.history(arn, &HistoryQuery::default()).unwrap(),
            events(1..=30)
        );
    }
}

fn engine_events_round_trip(store: &dyn Store) {
    let arn = started(store, "run");
    let history_event = HistoryEvent {
        id: 1,
        previous_event_id: 0,
        timestamp: at(1),
        event_type: EventType::ExecutionStarted,
        details: Details::ExecutionStarted {
            input: Arc::new(serde_json::json!({"a": [1, 2.5, "x"]})),
            role_arn: "role".into(),
            state_machine_arn: MACHINE.into(),
        },
    };
    let record = EventRecord::from_event(&history_event).unwrap();
    assert_eq!(record.event_type, "ExecutionStarted");
    store
        .commit(Transition {
            events: vec![record],
            ..Transition::new(&arn)
        })
        .unwrap();
    let stored = store.history(&arn, &HistoryQuery::default()).unwrap();
    assert_eq!(stored[0].to_event().unwrap(), history_event);
}

fn state_machines_update_delete_and_revive(store: &dyn Store) {
    store.put_state_machine(machine("m")).unwrap();
    // An execution keeps the definition it started with, whatever happens to its machine.
    let first = started(store, "before-update");
    let first_hash = definition_hash(&machine("m").definition);
    let record = store.execution(&first).unwrap().unwrap();
    assert_eq!(record.definition_hash.as_deref(), Some(first_hash.as_str()));
    let update = MachineUpdate {
        definition: Some(r#"{"StartAt":"Q","States":{"Q":{"Type":"Succeed"}}}"#.into()),
        role_arn: None,
        update_date: at(5),
    };
    let updated = store.update_state_machine(MACHINE, update.clone()).unwrap();
    assert!(updated.definition.contains("\"Q\""));
    assert_eq!(updated.role_arn, machine("m").role_arn);
    assert_eq!(updated.update_date, Some(at(5)));
    assert_eq!(store.state_machine(MACHINE).unwrap(), Some(updated.clone()));
    assert_eq!(
        store.definition(&first_hash).unwrap(),
        Some(machine("m").definition)
    );
    assert_eq!(
        store
            .definition(&definition_hash(&updated.definition))
            .unwrap(),
        Some(updated.definition.clone())
    );
    let second = execution_arn("after-update");
    store
        .start_execution(NewExecution::new(
            &second,
            "after-update",
            MACHINE,
            "{}",
            t0(),
        ))
        .unwrap();
    assert_eq!(
        store.execution(&second).unwrap().unwrap().definition_hash,
        Some(definition_hash(&updated.definition))
    );

    // Deleting keeps the record for its executions, marked; an update then fails.
    assert!(store.delete_state_machine(MACHINE).unwrap());
    assert!(!store.delete_state_machine(MACHINE).unwrap());
    assert!(store.state_machine(MACHINE).unwrap().unwrap().deleted);
    let err = store.update_state_machine(MACHINE, update).unwrap_err();
    assert!(
        matches!(err, StoreError::StateMachineNotFound { .. }),
        "{err}"
    );

    // Creating it again revives it with the new definition.
    let mut again = machine("m");
    again.definition = r#"{"StartAt":"R","States":{"R":{"Type":"Succeed"}}}"#.into();
    let revived = store.put_state_machine(again.clone()).unwrap();
    assert!(!revived.deleted);
    assert_eq!(store.state_machine(MACHINE).unwrap(), Some(again));
}

fn activities_and_tags(store: &dyn Store) {
    let activity = |name: &str, t: i64| ActivityRecord {
        arn: format!("arn:aws:states:us-east-1:123456789012:activity:{name}"),
        name: name.into(),
        creation_date: at(t),
    };
    assert_eq!(
        store.put_activity(activity("a", 1)).unwrap(),
        activity("a", 1)
    );
    // Creating it again returns the first one.
    assert_eq!(
        store.put_activity(activity("a", 9)).unwrap(),
        activity("a", 1)
    );
    store.put_activity(activity("b", 2)).unwrap();
    assert_eq!(
        store.list_activities().unwrap(),
        [activity("a", 1), activity("b", 2)]
    );
    let arn = activity("a", 1).arn;
    assert_eq!(store.activity(&arn).unwrap(), Some(activity("a", 1)));

    store
        .change_tags(
            &arn,
            vec![("k".into(), "1".into()), ("j".into(), "2".into())],
            vec![],
        )
        .unwrap();
    store
        .change_tags(
            &arn,
            vec![("k".into(), "3".into())],
            vec!["j".into(), "none".into()],
        )
        .unwrap();
    assert_eq!(
        store.tags(&arn).unwrap(),
        [("k".to_string(), "3".to_string())]
    );

    assert!(store.delete_activity(&arn).unwrap());
    assert!(!store.delete_activity(&arn).unwrap());
    assert_eq!(store.activity(&arn).unwrap(), None);
    assert_eq!(store.tags(&arn).unwrap(), []);
}

fn waiting_tasks_of_an_execution(store: &dyn Store) {
    let arn = started(store, "run");
    let other = started(store, "other");
    let token = |t: &str| NewTaskToken {
        token: t.into(),
        state_name: "Wait".into(),
    };
    store
        .commit(Transition {
            tokens_waiting: vec![token("b"), token("a")],
            ..step(&arn, 1..=1)
        })
        .unwrap();
    store
        .commit(Transition {
            tokens_waiting: vec![token("c")],
            ..step(&other, 1..=1)
        })
        .unwrap();
    store
        .commit(Transition {
            tokens_completed: vec!["b".into()],
            ..step(&arn, 2..=2)
        })
        .unwrap();
    let waiting: Vec<String> = store
        .waiting_tasks(&arn)
        .unwrap()
        .into_iter()
        .map(|t| t.token)
        .collect();
    assert_eq!(waiting, ["a"]);
}
