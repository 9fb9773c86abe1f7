//! Steps: task calls (Task), `callback` (`.waitForTaskToken`), `child_workflow`
//! (`startExecution.sync:2`), `match` on a task's `Result` (Catch), `map` (Map) and `join!`
//! (Parallel).

use super::*;

impl Lowering {
    /// Recognises a call that becomes a Task state.
    pub(super) fn step<'e>(&mut self, expr: &'e Expr) -> Option<Step<'e>> {
        let Expr::Call(call) = expr else {
            return None;
        };
        let Expr::Path(path) = &*call.func else {
            return None;
        };
        if path.path.is_ident("callback") {
            let Some(Expr::Closure(closure)) = call.args.first() else {
                self.error(
                    call,
                    "`callback` takes a closure: `callback(|token| task(token, ..))`",
                );
                return None;
            };
            let token = match closure.inputs.first().and_then(single_ident) {
                Some((name, _)) if closure.inputs.len() == 1 => name,
                _ => {
                    self.error(
                        &closure.inputs,
                        "the closure of `callback` takes one parameter, the task token",
                    );
                    return None;
                }
            };
            let body = match strip_parens(&closure.body) {
                Expr::Call(inner) => inner,
                other => {
                    self.error(
                        other,
                        "the closure of `callback` calls a task: `|token| task(token, ..)`",
                    );
                    return None;
                }
            };
            if self.express {
                self.error(call, "an express workflow cannot wait for a callback (`.waitForTaskToken`); make it `kind = \"standard\"`");
            }
            return Some(Step::Callback(body, token));
        }
        if path.path.is_ident("child_workflow") {
            let Some(Expr::Call(child)) = call.args.first().map(strip_parens) else {
                self.error(call, "`child_workflow` takes a call of a `#[workflow]`: `child_workflow(other(input))`");
                return None;
            };
            if self.express {
                self.error(call, "an express workflow cannot start a child workflow and wait for it (`startExecution.sync:2`); make it `kind = \"standard\"`");
            }
            return Some(Step::Child(child));
        }
        if ["map", "sleep", "sleep_until"]
            .iter()
            .any(|n| path.path.is_ident(n))
        {
            return None;
        }
        Some(Step::Task(call))
    }

    pub(super) fn task_ref(&mut self, call: &syn::ExprCall) -> Option<TaskRef> {
        match &*call.func {
            Expr::Path(path) if path.qself.is_none() => Some(TaskRef {
                segments: path
                    .path
                    .segments
                    .iter()
                    .map(|s| s.ident.to_string())
                    .collect(),
                span: path.span(),
            }),
            other => {
                self.error(other, "call a `#[task]` by its name");
                None
            }
        }
    }

    /// The Assign of a step whose result goes to `tail`.
    pub(super) fn result_assign(&mut self, step: &Step<'_>, tail: &Tail) -> Assign {
        let source = match step {
            Step::Task(_) => "$states.result.Payload",
            Step::Callback(..) => "$states.result",
            Step::Child(_) => "$states.result.Output",
        };
        match tail {
            Tail::Assign(dest) => vec![(dest.clone(), Value::Jsonata(source.to_string()))],
            _ => Assign::new(),
        }
    }

    pub(super) fn task_state(
        &mut self,
        step: Step<'_>,
        assign: Assign,
        catch: Vec<Catcher>,
        span: Span,
    ) -> usize {
        let (resource, call, token) = match step {
            Step::Task(call) => (Resource::LambdaInvoke, call, None),
            Step::Callback(call, token) => (Resource::WaitForTaskToken, call, Some(token)),
            Step::Child(call) => (Resource::StartExecutionSync2, call, None),
        };
        let target = self.task_ref(call).unwrap_or(TaskRef {
            segments: vec!["__unknown".into()],
            span,
        });
        if let Some(token) = &token {
            self.scopes.push(vec![(
                token.clone(),
                Binding::Expr("$states.context.Task.Token".into()),
            )]);
        }
        let mut args = Vec::new();
        for arg in &call.args {
            if is_pure(arg) {
                args.push(self.value(arg));
            } else {
                self.error(arg, "a task's arguments must be pure expressions; bind a task's result with `let` first");
            }
        }
        if token.is_some() {
            self.scopes.pop();
        }
        let (retry, timeout, heartbeat) = match self.pending.task.take() {
            Some((attr, _)) => (
                match attr.retries {
                    Some(r) => Setting::Given(r),
                    None => Setting::FromTask,
                },
                match attr.timeout {
                    Some(t) => Setting::Given(Some(t)),
                    None => Setting::FromTask,
                },
                match attr.heartbeat {
                    Some(h) => Setting::Given(Some(h)),
                    None => Setting::FromTask,
                },
            ),
            None => (Setting::FromTask, Setting::FromTask, Setting::FromTask),
        };
        let (retry, timeout, heartbeat) = if resource == Resource::StartExecutionSync2 {
            // A child workflow is not a task: it has no task settings of its own.
            (
                match retry {
                    Setting::FromTask => Setting::Given(Vec::new()),
                    given => given,
                },
                match timeout {
                    Setting::FromTask => Setting::Given(None),
                    given => given,
                },
                match heartbeat {
                    Setting::FromTask => Setting::Given(None),
                    given => given,
                },
            )
        } else {
            (retry, timeout, heartbeat)
        };
        let base = pascal(target.name());
        let name = self.state_name(&base);
        let comment = self.comment(span);
        self.emit(State {
            name,
            comment,
            kind: Kind::Task(Box::new(Task {
                resource,
                target,
                args,
                assign,
                retry,
                timeout,
                heartbeat,
                catch,
            })),
            next: Next::Unset,
        })
    }

    /// `match task(..).await { Ok(v) => .., Err(E::Variant) => .., Err(e) => .. }`.
    pub(super) fn catch_match(&mut self, step: Step<'_>, expr_match: &syn::ExprMatch, tail: &Tail) {
        let result_source = match &step {
            Step::Task(_) => "$states.result.Payload",
            Step::Callback(..) => "$states.result",
            Step::Child(_) => "$states.result.Output",
        };
        let mut ok_arm = None;
        let mut catchers: Vec<(Catcher, usize, Option<String>)> = Vec::new();
        let mut seen_all = false;
        for (i, arm) in expr_match.arms.iter().enumerate() {
            if let Pat::Guard(guard) = &arm.pat {
                self.error(
                    guard,
                    "match guards are not supported in a workflow; use `if` inside the arm",
                );
                continue;
            }
            let Pat::TupleStruct(ts) = &arm.pat else {
                self.error(&arm.pat, "the arms of a `match` on a task call are `Ok(value) => ..` and `Err(Enum::Variant) => ..` (or `Err(e)`, `Err(_)`)");
                continue;
            };
            let ctor = ts
                .path
                .segments
                .last()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            let inner = ts.elems.first();
            if ts.elems.len() != 1 {
                self.error(ts, "`Ok` and `Err` take one pattern");
                continue;
            }
            match ctor.as_str() {
                "Ok" => {
                    if ok_arm.is_some() {
                        self.error(&arm.pat, "a `match` on a task call has one `Ok` arm");
                    }
                    let bind = match inner {
                        Some(Pat::Wild(_)) => None,
                        Some(pat) => match single_ident(pat) {
                            Some((name, _)) => Some(name),
                            None => {
                                self.error(pat, "an `Ok` arm binds a plain name or `_`");
                                None
                            }
                        },
                        None => None,
                    };
                    ok_arm = Some((i, bind));
                }
                "Err" => {
                    if seen_all {
                        self.error(
                            &arm.pat,
                            "this arm is never reached: an earlier arm catches every error",
                        );
                        continue;
                    }
                    let Some(inner) = inner else { continue };
                    let (errors, bind) = self.error_pattern(inner);
                    if errors.iter().any(|e| e == "States.ALL") {
                        seen_all = true;
                    }
                    catchers.push((
                        Catcher {
                            errors,
                            assign: Assign::new(),
                            next: Next::Unset,
                        },
                        i,
                        bind,
                    ));
                }
                _ => self.error(
                    &ts.path,
                    "the arms of a `match` on a task call are `Ok(..)` and `Err(..)`",
                ),
            }
        }
        let Some((ok_index, ok_bind)) = ok_arm else {
            self.error(
                expr_match,
                "a `match` on a task call needs an `Ok(value) =>` arm",
            );
            return;
        };
        // The Ok arm: a pure value goes straight into the Task's Assign.
        let mut task_assign = Assign::new();
        let ok_body = &expr_match.arms[ok_index].body;
        let ok_inline = self.inline_arm(
            ok_body,
            ok_bind.as_deref(),
            result_source,
            tail,
            &mut task_assign,
        );
        let mut arm_plans = Vec::new();
        for (catcher, i, bind) in &mut catchers {
            let body = &expr_match.arms[*i].body;
            let inline = self.inline_arm(
                body,
                bind.as_deref(),
                "$states.errorOutput",
                tail,
                &mut catcher.assign,
            );
            arm_plans.push((*i, inline, bind.clone()));
        }
        let catch: Vec<Catcher> = catchers.into_iter().map(|(c, _, _)| c).collect();
        let span = expr_match.span();
        let task = self.task_state(step, task_assign, catch, span);
        let mut out = Vec::new();
        // The Ok arm.
        self.set_holes(vec![Hole::Next(task)]);
        if !ok_inline {
            self.scopes.push(Vec::new());
            if let Some(bind) = &ok_bind
                && let Some((asl, _)) = self.assigned_binding(task)
            {
                let depth = self.depth();
                self.bind(bind, Binding::Var { asl, depth });
            }
            self.arm_body(ok_body, tail);
            self.scopes.pop();
        }
        out.extend(self.take_holes());
        for (c, (i, inline, bind)) in arm_plans.into_iter().enumerate() {
            self.set_holes(vec![Hole::Catch(task, c)]);
            if !inline {
                self.scopes.push(Vec::new());
                if let Some(bind) = &bind
                    && let Some(asl) = self.catch_binding(task, c)
                {
                    self.bind(bind, Binding::Error { asl });
                }
                self.arm_body(&expr_match.arms[i].body, tail);
                self.scopes.pop();
            }
            out.extend(self.take_holes());
        }
        self.set_holes(out);
    }

    /// Lowers an arm into the Assign of the state that starts it when it is just a value;
    /// otherwise prepares the Assign that binds its variable and returns false.
    pub(super) fn inline_arm(
        &mut self,
        body: &Expr,
        bind: Option<&str>,
        source: &str,
        tail: &Tail,
        assign: &mut Assign,
    ) -> bool {
        let body = strip_parens(body);
        let body_expr = match body {
            Expr::Block(block) if block.block.stmts.len() == 1 => match &block.block.stmts[0] {
                Stmt::Expr(e, None) => e,
                _ => body,
            },
            _ => body,
        };
        let pure_value =
            is_pure(body_expr) && ok_arg(body_expr).is_none() && err_arg(body_expr).is_none();
        if pure_value && let Tail::Assign(dest) = tail {
            self.scopes.push(Vec::new());
            if let Some(bind) = bind {
                self.bind(bind, Binding::Expr(source.to_string()));
            }
            let value = self.value(body_expr);
            self.scopes.pop();
            assign.push((dest.clone(), value));
            return true;
        }
        if pure_value
            && matches!(tail, Tail::Unit)
            && matches!(body_expr, Expr::Tuple(t) if t.elems.is_empty())
        {
            return true;
        }
        if let Some(bind) = bind {
            let asl = self.vars.fresh(bind);
            assign.push((asl, Value::Jsonata(source.to_string())));
        }
        false
    }

    /// The variable the Task's Assign binds for the Ok arm.
    pub(super) fn assigned_binding(&mut self, task: usize) -> Option<(String, Value)> {
        match &self.builder().states[task].kind {
            Kind::Task(t) => t.assign.first().cloned(),
            _ => None,
        }
    }

    pub(super) fn catch_binding(&mut self, task: usize, c: usize) -> Option<String> {
        match &self.builder().states[task].kind {
            Kind::Task(t) => t
                .catch
                .get(c)
                .and_then(|c| c.assign.first())
                .map(|(n, _)| n.clone()),
            _ => None,
        }
    }

    /// The error names an `Err(..)` pattern catches, and the name it binds.
    pub(super) fn error_pattern(&mut self, pat: &Pat) -> (Vec<String>, Option<String>) {
        match pat {
            Pat::Wild(_) => (vec!["States.ALL".into()], None),
            Pat::Ident(ident)
                if ident.subpat.is_none()
                    && ident
                        .ident
                        .to_string()
                        .starts_with(|c: char| c.is_ascii_uppercase()) =>
            {
                self.error(ident, "name the error with its enum, `Enum::Variant`: the ASL error name is `Enum.Variant` (a capitalised name here is a variant, not a binding)");
                (vec!["States.ALL".into()], None)
            }
            Pat::Ident(ident) if ident.subpat.is_none() => {
                (vec!["States.ALL".into()], Some(ident.ident.to_string()))
            }
            Pat::Or(or) => {
                let mut names = Vec::new();
                for case in &or.cases {
                    let (n, bind) = self.error_pattern(case);
                    if bind.is_some() {
                        self.error(case, "an or-pattern of errors cannot bind a name");
                    }
                    names.extend(n);
                }
                (names, None)
            }
            Pat::Path(path) => (self.variant_name(&path.path, pat), None),
            Pat::Struct(s) => (self.variant_name(&s.path, pat), None),
            Pat::TupleStruct(ts) => (self.variant_name(&ts.path, pat), None),
            other => {
                self.error(other, "an `Err` arm matches `Enum::Variant`, `e` or `_`");
                (vec!["States.ALL".into()], None)
            }
        }
    }

    pub(super) fn variant_name(&mut self, path: &syn::Path, pat: &Pat) -> Vec<String> {
        let n = path.segments.len();
        if n < 2 {
            self.error(pat, "name the error with its enum, `Enum::Variant`: the ASL error name is `Enum.Variant`");
            return vec!["States.ALL".into()];
        }
        vec![format!(
            "{}.{}",
            path.segments[n - 2].ident,
            path.segments[n - 1].ident
        )]
    }

    /// `map(items, |x| async move { .. }).max_concurrency(n).await?`.
    pub(super) fn map(&mut self, map: MapCall<'_>, tail: &Tail, span: Span) {
        let items = self.jsonata(map.items);
        let Expr::Closure(closure) = strip_parens(map.closure) else {
            self.error(
                map.closure,
                "`map` takes a closure: `|item| async move { .. Ok(value) }`",
            );
            return;
        };
        let Some((param, _)) = closure.inputs.first().and_then(single_ident) else {
            self.error(
                &closure.inputs,
                "the closure of `map` takes one parameter, the item",
            );
            return;
        };
        let Expr::Async(body) = strip_parens(&closure.body) else {
            self.error(
                &closure.body,
                "the closure of `map` returns an `async move { .. }` block",
            );
            return;
        };
        let base = match tail {
            Tail::Assign(dest) => format!(
                "Map{}",
                pascal(dest.trim_end_matches(|c: char| c.is_ascii_digit()))
            ),
            _ => "Map".to_string(),
        };
        let name = self.state_name(&base);
        let comment = self.comment(span);
        // The iteration: its own program and variable scope.
        self.programs.push(Builder::default());
        self.scopes.push(Vec::new());
        let item_var = self.new_var(&param);
        let item_name = self.names.fresh(&format!("{name}Item"));
        let first = self.emit(State {
            name: item_name,
            comment: comment.clone(),
            kind: Kind::Pass {
                assign: vec![(item_var, Value::Jsonata("$states.input".into()))],
                output: None,
            },
            next: Next::Unset,
        });
        self.set_holes(vec![Hole::Next(first)]);
        self.builder().open_pass = Some(first);
        self.block(&body.block.stmts, &Tail::Return, body.span());
        self.scopes.pop();
        let processor = self.programs.pop().unwrap_or_default();
        let assign = match tail {
            Tail::Assign(dest) => vec![(dest.clone(), Value::Jsonata("$states.result".into()))],
            _ => Assign::new(),
        };
        let i = self.emit(State {
            name,
            comment,
            kind: Kind::Map {
                items,
                max_concurrency: map.max_concurrency,
                processor: Program {
                    states: processor.states,
                },
                assign,
            },
            next: Next::Unset,
        });
        self.set_holes(vec![Hole::Next(i)]);
    }

    /// `join!(async { .. }, ..)?`.
    pub(super) fn join(&mut self, join: &syn::Macro, dest: Dest, span: Span) {
        let parser = syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated;
        let Ok(branches) = join.parse_body_with(parser) else {
            self.error(
                join,
                "`join!` takes `async { .. }` blocks separated by commas",
            );
            return;
        };
        if branches.is_empty() {
            self.error(join, "`join!` takes at least one `async { .. }` block");
            return;
        }
        if let Dest::Tuple(names) = &dest
            && names.len() != branches.len()
        {
            self.error(
                join,
                format!(
                    "`join!` has {} branches but the pattern has {} names",
                    branches.len(),
                    names.len()
                ),
            );
        }
        let base = match &dest {
            Dest::Tuple(names) => match names.iter().flatten().next() {
                Some(first) => format!("Join{}", pascal(first)),
                None => "Join".to_string(),
            },
            Dest::Var(asl) => format!("Join{}", pascal(asl)),
            Dest::None => "Join".to_string(),
        };
        let name = self.state_name(&base);
        let comment = self.comment(span);
        let mut programs = Vec::new();
        for branch in &branches {
            let Expr::Async(block) = strip_parens(branch) else {
                self.error(
                    branch,
                    "each branch of `join!` is an `async { .. }` block ending in `Ok(value)`",
                );
                continue;
            };
            self.programs.push(Builder::default());
            self.scopes.push(Vec::new());
            self.block(&block.block.stmts, &Tail::Return, block.span());
            self.scopes.pop();
            let program = self.programs.pop().unwrap_or_default();
            programs.push(Program {
                states: program.states,
            });
        }
        let mut assign = Assign::new();
        match dest {
            Dest::Tuple(names) => {
                for (i, name) in names.iter().enumerate() {
                    if let Some(name) = name {
                        let asl = self.new_var(name);
                        assign.push((asl, Value::Jsonata(format!("$states.result[{i}]"))));
                    }
                }
            }
            Dest::Var(asl) => assign.push((asl, Value::Jsonata("$states.result".into()))),
            Dest::None => {}
        }
        let i = self.emit(State {
            name,
            comment,
            kind: Kind::Parallel {
                branches: programs,
                assign,
            },
            next: Next::Unset,
        });
        self.set_holes(vec![Hole::Next(i)]);
    }
}
