//! What expressions see while a state runs: variables through the scope chain, the context
//! object and, in JSONata, `$states`.

use std::cell::OnceCell;

use serde_json::{Map, Value};

use super::clock::format_timestamp;
use super::run::{Execution, FrameId};
use crate::expr::{self, jsonata};

/// The scope of one evaluation inside a frame.
pub(crate) struct EvalScope<'a> {
    pub exec: &'a Execution,
    pub frame: FrameId,
    /// `$$.Map.Item` while an item selector runs.
    pub map_item: Option<(usize, &'a Value)>,
    /// `$$.Task.Token` for callback tasks.
    pub task_token: Option<&'a str>,
    context: OnceCell<Value>,
    /// `$states` for JSONata.
    pub states_input: Option<&'a Value>,
    pub states_result: Option<&'a Value>,
    pub states_error_output: Option<&'a Value>,
    states: OnceCell<Value>,
}

impl<'a> EvalScope<'a> {
    pub fn new(exec: &'a Execution, frame: FrameId) -> Self {
        EvalScope {
            exec,
            frame,
            map_item: None,
            task_token: None,
            context: OnceCell::new(),
            states_input: None,
            states_result: None,
            states_error_output: None,
            states: OnceCell::new(),
        }
    }

    fn build_context(&self) -> Value {
        let exec = self.exec;
        let frame = exec.frame(self.frame);
        let state = exec.machine().state(frame.program, frame.state);
        let meta = &exec.meta;
        let mut execution = Map::new();
        execution.insert("Id".into(), Value::String(meta.execution_arn.clone()));
        execution.insert("Input".into(), (*meta.input).clone());
        if meta.express {
            execution.insert("Name".into(), Value::String(meta.name.clone()));
            execution.insert("RoleArn".into(), Value::String(meta.role_arn.clone()));
            execution.insert(
                "StartTime".into(),
                Value::String(format_timestamp(meta.start_time)),
            );
        } else {
            execution.insert(
                "StartTime".into(),
                Value::String(format_timestamp(meta.start_time)),
            );
            execution.insert("Name".into(), Value::String(meta.name.clone()));
            execution.insert("RoleArn".into(), Value::String(meta.role_arn.clone()));
            execution.insert("RedriveCount".into(), Value::from(meta.redrive_count));
        }
        let mut out = Map::new();
        out.insert("Execution".into(), Value::Object(execution));
        let mut machine = Map::new();
        machine.insert("Id".into(), Value::String(meta.state_machine_arn.clone()));
        machine.insert(
            "Name".into(),
            Value::String(meta.state_machine_name.clone()),
        );
        out.insert("StateMachine".into(), Value::Object(machine));
        let mut st = Map::new();
        st.insert("Name".into(), Value::String(state.name.to_string()));
        st.insert(
            "EnteredTime".into(),
            Value::String(format_timestamp(frame.entered_time)),
        );
        if !state.retriers.is_empty() {
            st.insert("RetryCount".into(), Value::from(frame.retry_count));
        }
        out.insert("State".into(), Value::Object(st));
        if let Some(token) = self.task_token {
            let mut task = Map::new();
            task.insert("Token".into(), Value::String(token.to_string()));
            out.insert("Task".into(), Value::Object(task));
        }
        if let Some((index, value)) = self.map_item {
            let mut item = Map::new();
            item.insert("Index".into(), Value::from(index));
            item.insert("Value".into(), value.clone());
            let mut map = Map::new();
            map.insert("Item".into(), Value::Object(item));
            out.insert("Map".into(), Value::Object(map));
        }
        Value::Object(out)
    }

    fn lookup_variable(&self, name: &str) -> Option<&'a Value> {
        self.exec.variable(self.frame, name)
    }
}

impl expr::Scope for EvalScope<'_> {
    fn variable(&self, name: &str) -> Option<&Value> {
        self.lookup_variable(name)
    }

    fn context(&self) -> &Value {
        self.context.get_or_init(|| self.build_context())
    }
}

impl jsonata::Bindings for EvalScope<'_> {
    fn lookup(&self, name: &str) -> Option<&Value> {
        if name == "states" {
            return Some(self.states.get_or_init(|| {
                let mut m = Map::new();
                if let Some(input) = self.states_input {
                    m.insert("input".into(), input.clone());
                }
                if let Some(result) = self.states_result {
                    m.insert("result".into(), result.clone());
                }
                if let Some(error_output) = self.states_error_output {
                    m.insert("errorOutput".into(), error_output.clone());
                }
                m.insert("context".into(), expr::Scope::context(self).clone());
                Value::Object(m)
            }));
        }
        self.lookup_variable(name)
    }
}
