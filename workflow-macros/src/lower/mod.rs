//! Lower: a checked workflow body to the state graph (DESIGN.md section 3, the mapping table).
//!
//! Statements are lowered in order into the current [`Program`]. A lowered statement leaves
//! "holes": transitions that point to whatever comes next (a state's `Next`, a Choice rule or
//! default, a catcher). Emitting the next state patches them. Loops patch their body's holes
//! back to their Choice.
//!
//! Every Rust binding gets its own JSONata variable (`x`, then `x2` for a binding that shadows
//! it), so Rust's block scoping survives ASL's flat variables.

use proc_macro2::Span;
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::{Expr, Pat, Stmt};

use crate::attr::{TaskAttr, WorkflowAttr};
use crate::expr::{self, Env, MOVE_TO_TASK};
use crate::graph::{
    Assign, Catcher, Kind, Machine, Next, Program, Resource, Setting, State, Task, TaskRef, Value,
};
use crate::names::{Names, Vars, pascal};

mod control;
mod steps;

/// How a workflow's parameters arrive: their Rust names.
pub(crate) struct Signature {
    pub name: String,
    pub params: Vec<String>,
    pub span: Span,
}

#[derive(Clone, Debug)]
enum Binding {
    /// A JSONata variable; `depth` is the program (top level 0, nested Map/Parallel deeper).
    Var { asl: String, depth: usize },
    /// A caught error (`$states.errorOutput` saved in a variable): `{Error, Cause}`.
    Error { asl: String },
    /// A value only visible inside one state's fields, such as `$states.result.Payload`.
    Expr(String),
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Hole {
    Next(usize),
    Rule(usize, usize),
    Default(usize),
    Catch(usize, usize),
}

#[derive(Default)]
struct Builder {
    states: Vec<State>,
    holes: Vec<Hole>,
    /// The Pass state that consecutive pure `let`s may still join.
    open_pass: Option<usize>,
}

/// What a block's tail expression does.
#[derive(Clone, Debug)]
enum Tail {
    /// Ends the workflow, a Parallel branch or a Map iteration: `Ok(v)` or `Err(..)`.
    Return,
    /// Its value goes into this JSONata variable.
    Assign(String),
    /// No value.
    Unit,
}

/// Settings that a statement's attributes give its first state.
#[derive(Default, Clone)]
struct StmtAttrs {
    state_name: Option<String>,
    task: Option<(TaskAttr, proc_macro2::TokenStream)>,
}

pub(crate) struct Lowering {
    names: Names,
    vars: Vars,
    scopes: Vec<Vec<(String, Binding)>>,
    programs: Vec<Builder>,
    pub errors: Vec<syn::Error>,
    file: String,
    pub express: bool,
    /// The attributes of the statement being lowered, taken by its first state.
    pending: StmtAttrs,
}

impl Env for Lowering {
    fn var(&self, name: &str) -> Option<String> {
        for scope in self.scopes.iter().rev() {
            if let Some((_, binding)) = scope.iter().rev().find(|(n, _)| n == name) {
                return Some(match binding {
                    Binding::Var { asl, .. } | Binding::Error { asl, .. } => format!("${asl}"),
                    Binding::Expr(text) => text.clone(),
                });
            }
        }
        None
    }
}

/// The file name of a span, for `Comment`s.
fn file_of(span: Span) -> String {
    let file = span.file();
    std::path::Path::new(&file)
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or(file)
}

/// Lowers a workflow body. `reserved` are the names given with `#[state("..")]`.
pub(crate) fn workflow(
    sig: &Signature,
    attr: &WorkflowAttr,
    block: &syn::Block,
    reserved: &[String],
) -> Result<Machine, Vec<syn::Error>> {
    let mut lowering = Lowering::new(sig.span, attr.express);
    for name in reserved {
        lowering.names.reserve(name);
    }
    lowering.start(&sig.params, sig.span);
    lowering.block(&block.stmts, &Tail::Return, block.span());
    let builder = lowering.programs.pop().unwrap_or_default();
    if !builder.holes.is_empty() {
        lowering.errors.push(syn::Error::new(
            sig.span,
            "every path through a workflow must end with `Ok(value)`, `return` or `fail!`",
        ));
    }
    if !lowering.errors.is_empty() {
        return Err(lowering.errors);
    }
    Ok(Machine {
        name: attr
            .name
            .as_ref()
            .map(|n| n.value())
            .unwrap_or_else(|| pascal(&sig.name)),
        comment: attr.comment.clone(),
        express: attr.express,
        program: Program {
            states: builder.states,
        },
    })
}

fn single_ident(pat: &Pat) -> Option<(String, bool)> {
    match pat {
        Pat::Ident(ident) if ident.subpat.is_none() && ident.by_ref.is_none() => {
            Some((ident.ident.to_string(), ident.mutability.is_some()))
        }
        Pat::Type(typed) => single_ident(&typed.pat),
        _ => None,
    }
}

/// Whether `expr` is a call of the free function `name`: `name(..)`.
fn call_of<'e>(expr: &'e Expr, name: &str) -> Option<&'e syn::ExprCall> {
    match expr {
        Expr::Call(call) => match &*call.func {
            Expr::Path(path) if path.path.is_ident(name) => Some(call),
            _ => None,
        },
        _ => None,
    }
}

fn macro_name(mac: &syn::Macro) -> String {
    mac.path
        .segments
        .last()
        .map(|s| s.ident.to_string())
        .unwrap_or_default()
}

fn strip_parens(mut expr: &Expr) -> &Expr {
    loop {
        match expr {
            Expr::Paren(p) => expr = &p.expr,
            Expr::Group(g) => expr = &g.expr,
            _ => return expr,
        }
    }
}

/// Whether an expression has no step in it (no `.await`, `?`, `return`, `fail!`, `join!`,
/// loops or statements), so it lowers to JSONata.
pub(crate) fn is_pure(expr: &Expr) -> bool {
    struct Finder(bool);
    impl<'ast> syn::visit::Visit<'ast> for Finder {
        fn visit_expr(&mut self, expr: &'ast Expr) {
            match expr {
                Expr::Await(_)
                | Expr::Try(_)
                | Expr::Return(_)
                | Expr::While(_)
                | Expr::ForLoop(_)
                | Expr::Loop(_)
                | Expr::Assign(_)
                | Expr::Async(_)
                | Expr::Break(_)
                | Expr::Continue(_) => self.0 = true,
                Expr::Macro(m) if matches!(macro_name(&m.mac).as_str(), "fail" | "join") => {
                    self.0 = true
                }
                Expr::Block(block) if block.block.stmts.len() != 1 => self.0 = true,
                Expr::Block(block)
                    if !matches!(block.block.stmts.first(), Some(Stmt::Expr(_, None))) =>
                {
                    self.0 = true
                }
                Expr::Match(_) => self.0 = true,
                Expr::If(expr_if) if expr_if.else_branch.is_none() => self.0 = true,
                _ => syn::visit::visit_expr(self, expr),
            }
        }
    }
    let mut finder = Finder(false);
    syn::visit::Visit::visit_expr(&mut finder, expr);
    !finder.0
}

/// What a call in a workflow turns into.
enum Step<'e> {
    /// `task(args)`: a `lambda:invoke` Task.
    Task(&'e syn::ExprCall),
    /// `callback(|token| task(token, ..))`.
    Callback(&'e syn::ExprCall, String),
    /// `child_workflow(child(args))`.
    Child(&'e syn::ExprCall),
}

impl Lowering {
    fn new(span: Span, express: bool) -> Self {
        Lowering {
            names: Names::default(),
            vars: Vars::default(),
            scopes: vec![Vec::new()],
            programs: vec![Builder::default()],
            errors: Vec::new(),
            file: file_of(span),
            express,
            pending: StmtAttrs::default(),
        }
    }

    fn depth(&self) -> usize {
        self.programs.len() - 1
    }

    fn builder(&mut self) -> &mut Builder {
        // `programs` always holds the top level.
        let last = self.programs.len() - 1;
        &mut self.programs[last]
    }

    fn error(&mut self, node: impl ToTokens, message: impl std::fmt::Display) {
        self.errors.push(syn::Error::new_spanned(node, message));
    }

    fn comment(&self, span: Span) -> String {
        format!("{}:{}", self.file, span.start().line)
    }

    fn jsonata(&mut self, expr: &Expr) -> String {
        let mut lowerer = expr::Lowerer::new(self);
        let text = lowerer.expr(expr);
        let errors = std::mem::take(&mut lowerer.errors);
        self.errors.extend(errors);
        text
    }

    /// A literal as literal JSON, anything else as JSONata.
    fn value(&mut self, expr: &Expr) -> Value {
        if let Expr::Lit(lit) = strip_parens(expr) {
            match &lit.lit {
                syn::Lit::Str(s) => return Value::Json(crate::graph::json_str(&s.value())),
                syn::Lit::Int(i) => return Value::Json(i.base10_digits().to_string()),
                syn::Lit::Bool(b) => return Value::Json(b.value.to_string()),
                _ => {}
            }
        }
        Value::Jsonata(self.jsonata(expr))
    }

    fn bind(&mut self, rust: &str, binding: Binding) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.push((rust.to_string(), binding));
        }
    }

    /// A new JSONata variable for a Rust binding.
    fn new_var(&mut self, rust: &str) -> String {
        let asl = self.vars.fresh(rust);
        let depth = self.depth();
        self.bind(
            rust,
            Binding::Var {
                asl: asl.clone(),
                depth,
            },
        );
        asl
    }

    fn lookup(&self, name: &str) -> Option<Binding> {
        for scope in self.scopes.iter().rev() {
            if let Some((_, binding)) = scope.iter().rev().find(|(n, _)| n == name) {
                return Some(binding.clone());
            }
        }
        None
    }

    /// The state name: the statement's `#[state("..")]`, else a fresh one from `base`.
    fn state_name(&mut self, base: &str) -> String {
        match self.pending.state_name.take() {
            Some(name) => self.names.explicit(&name),
            None => self.names.fresh(base),
        }
    }

    /// Adds a state to the current program: the pending holes now lead to it.
    fn emit(&mut self, state: State) -> usize {
        let name = state.name.clone();
        let holes = std::mem::take(&mut self.builder().holes);
        self.patch(&holes, &name);
        let builder = self.builder();
        builder.states.push(state);
        builder.open_pass = None;
        builder.states.len() - 1
    }

    fn patch(&mut self, holes: &[Hole], target: &str) {
        let builder = self.builder();
        for hole in holes {
            let next = Next::To(target.to_string());
            match *hole {
                Hole::Next(i) => builder.states[i].next = next,
                Hole::Rule(i, r) => {
                    if let Kind::Choice { rules, .. } = &mut builder.states[i].kind {
                        rules[r].1 = next;
                    }
                }
                Hole::Default(i) => {
                    if let Kind::Choice { default, .. } = &mut builder.states[i].kind {
                        *default = next;
                    }
                }
                Hole::Catch(i, c) => {
                    if let Kind::Task(task) = &mut builder.states[i].kind {
                        task.catch[c].next = next;
                    }
                }
            }
        }
    }

    fn set_holes(&mut self, holes: Vec<Hole>) {
        let builder = self.builder();
        builder.holes = holes;
        builder.open_pass = None;
    }

    fn take_holes(&mut self) -> Vec<Hole> {
        let builder = self.builder();
        builder.open_pass = None;
        std::mem::take(&mut builder.holes)
    }

    /// Assigns variables: joins the open Pass state when it can (consecutive pure `let`s),
    /// else emits a new one.
    fn assign(&mut self, base: &str, span: Span, assign: Assign) {
        if self.pending.state_name.is_none()
            && let Some(i) = self.builder().open_pass
            && self.builder().holes == [Hole::Next(i)]
            && let Kind::Pass { assign: open, .. } = &self.builder().states[i].kind
            && !assign.iter().any(|(name, value)| {
                open.iter().any(|(n, _)| {
                    n == name
                        || match value {
                            Value::Jsonata(text) => mentions(text, n),
                            Value::Json(_) => false,
                        }
                })
            })
        {
            if let Kind::Pass { assign: open, .. } = &mut self.builder().states[i].kind {
                open.extend(assign);
            }
            return;
        }
        let name = self.state_name(base);
        let comment = self.comment(span);
        let i = self.emit(State {
            name,
            comment,
            kind: Kind::Pass {
                assign,
                output: None,
            },
            next: Next::Unset,
        });
        let builder = self.builder();
        builder.holes = vec![Hole::Next(i)];
        builder.open_pass = Some(i);
    }

    /// The first state: the workflow's parameters become variables.
    fn start(&mut self, params: &[String], span: Span) {
        if params.is_empty() {
            return;
        }
        let mut assign = Assign::new();
        for param in params {
            let source = if params.len() == 1 {
                "$states.input".to_string()
            } else {
                format!("$states.input.{param}")
            };
            let asl = self.new_var(param);
            assign.push((asl, Value::Jsonata(source)));
        }
        let name = self.names.fresh("Start");
        let comment = self.comment(span);
        let i = self.emit(State {
            name,
            comment,
            kind: Kind::Pass {
                assign,
                output: None,
            },
            next: Next::Unset,
        });
        let builder = self.builder();
        builder.holes = vec![Hole::Next(i)];
        builder.open_pass = Some(i);
    }

    fn block(&mut self, stmts: &[Stmt], tail: &Tail, span: Span) {
        self.scopes.push(Vec::new());
        let n = stmts.len();
        let mut ended = false;
        for (i, stmt) in stmts.iter().enumerate() {
            if ended {
                self.error(stmt, "this statement is never reached");
                break;
            }
            let last = i + 1 == n;
            self.pending = self.stmt_attrs(stmt);
            match stmt {
                Stmt::Local(local) => self.local(local),
                Stmt::Expr(expr, semi) => {
                    if last && semi.is_none() {
                        self.tail(expr, tail);
                    } else {
                        self.expr_stmt(expr, &Tail::Unit);
                    }
                }
                Stmt::Macro(mac) => {
                    let expr = Expr::Macro(syn::ExprMacro {
                        attrs: Vec::new(),
                        mac: mac.mac.clone(),
                    });
                    if last && mac.semi_token.is_none() {
                        self.tail(&expr, tail);
                    } else {
                        self.expr_stmt(&expr, &Tail::Unit);
                    }
                }
                Stmt::Item(item) => self.error(
                    item,
                    "items (functions, structs, `use`, ...) are not supported inside a workflow body; declare them outside",
                ),
            }
            if let Some((_, tokens)) = self.pending.task.take() {
                self.errors.push(syn::Error::new_spanned(
                    tokens,
                    "`#[task(..)]` on a statement sets the retry, timeout or heartbeat of a task call; this statement calls no task",
                ));
            }
            self.pending = StmtAttrs::default();
            ended = self.builder().holes.is_empty() && !self.builder().states.is_empty();
        }
        if n == 0
            || !matches!(
                stmts.last(),
                Some(Stmt::Expr(_, None)) | Some(Stmt::Macro(_))
            )
        {
            if let Tail::Return = tail
                && !ended
            {
                self.errors.push(syn::Error::new(
                    span,
                    "this block must end with `Ok(value)`, `return` or `fail!`",
                ));
            }
            if let Tail::Assign(_) = tail
                && !ended
            {
                self.errors
                    .push(syn::Error::new(span, "this block must end with a value"));
            }
        }
        self.scopes.pop();
    }

    fn stmt_attrs(&mut self, stmt: &Stmt) -> StmtAttrs {
        let attrs = match stmt {
            Stmt::Local(local) => &local.attrs,
            Stmt::Expr(expr, _) => match expr_attrs(expr) {
                Some(attrs) => attrs,
                None => return StmtAttrs::default(),
            },
            Stmt::Macro(mac) => &mac.attrs,
            Stmt::Item(_) => return StmtAttrs::default(),
        };
        let mut out = StmtAttrs::default();
        for attr in attrs {
            if attr.path().is_ident("state") {
                if let Ok(lit) = crate::attr::parse_state_name(attr) {
                    out.state_name = Some(lit.value());
                }
            } else if attr.path().is_ident("task") {
                let args = match &attr.meta {
                    syn::Meta::List(list) => list.tokens.clone(),
                    _ => proc_macro2::TokenStream::new(),
                };
                match TaskAttr::parse(args) {
                    Ok(task) => out.task = Some((task, attr.to_token_stream())),
                    Err(err) => self.errors.push(err),
                }
            }
        }
        out
    }

    fn local(&mut self, local: &syn::Local) {
        let Some(init) = &local.init else {
            self.error(local, "a `let` in a workflow needs a value: `let x = ..;`");
            return;
        };
        if let Some((_, diverge)) = &init.diverge {
            self.error(
                diverge,
                "`let .. else` is not supported in a workflow; use `match`",
            );
            return;
        }
        let expr = strip_parens(&init.expr);
        // `let (a, b) = join!(..)?;`
        if let Pat::Tuple(tuple) = strip_type(&local.pat) {
            let mut names = Vec::new();
            for elem in &tuple.elems {
                match single_ident(elem) {
                    Some((name, _)) => names.push(Some(name)),
                    None if matches!(elem, Pat::Wild(_)) => names.push(None),
                    None => {
                        self.error(
                            elem,
                            "a tuple pattern in a workflow holds plain names or `_`",
                        );
                        return;
                    }
                }
            }
            if let Some(join) = join_call(expr) {
                self.join(join, Dest::Tuple(names), local.span());
                return;
            }
            if is_pure(expr) {
                let value = self.jsonata(expr);
                let mut assign = Assign::new();
                for (i, name) in names.iter().enumerate() {
                    if let Some(name) = name {
                        let asl = self.new_var(name);
                        assign.push((asl, Value::Jsonata(format!("{value}[{i}]"))));
                    }
                }
                self.assign("Set", local.span(), assign);
                return;
            }
            self.error(
                &local.pat,
                "a tuple pattern in a workflow takes `join!(..)?` or a pure expression",
            );
            return;
        }
        let dest = match strip_type(&local.pat) {
            Pat::Wild(_) => None,
            pat => match single_ident(pat) {
                Some((name, _)) => Some(name),
                None => {
                    self.error(
                        pat,
                        "a `let` in a workflow binds a plain name, a tuple of names, or `_`",
                    );
                    return;
                }
            },
        };
        if is_pure(expr) {
            let value = self.value(expr);
            let Some(dest) = dest else {
                return;
            };
            let asl = self.new_var(&dest);
            self.assign(
                &format!("Set{}", pascal(&dest)),
                local.span(),
                vec![(asl, value)],
            );
            return;
        }
        // A step whose value goes into a new variable; the variable is bound after the step
        // is lowered, so the step still reads an outer binding of the same name.
        let tmp_tail = match &dest {
            Some(dest) => Tail::Assign(self.vars.fresh(dest)),
            None => Tail::Unit,
        };
        self.expr_stmt(expr, &tmp_tail);
        if let (Some(dest), Tail::Assign(asl)) = (dest, tmp_tail) {
            let depth = self.depth();
            self.bind(&dest, Binding::Var { asl, depth });
        }
    }

    /// A block's tail expression.
    fn tail(&mut self, expr: &Expr, tail: &Tail) {
        let expr = strip_parens(expr);
        match tail {
            Tail::Return => {
                if let Some(value) = ok_arg(expr) {
                    self.succeed(value, expr.span());
                } else if let Some(err) = err_arg(expr) {
                    self.fail_from_err(err, expr);
                } else if matches!(expr, Expr::If(_) | Expr::Match(_) | Expr::Block(_))
                    || diverges(expr)
                {
                    self.expr_stmt(expr, tail);
                } else {
                    self.error(expr, "a workflow (and each `map` closure and `join!` branch) ends with `Ok(value)`, `return` or `fail!`");
                }
            }
            Tail::Assign(dest) => {
                if is_pure(expr) {
                    let value = self.value(expr);
                    self.assign(
                        &format!("Set{}", pascal(dest)),
                        expr.span(),
                        vec![(dest.clone(), value)],
                    );
                } else {
                    self.expr_stmt(expr, tail);
                }
            }
            Tail::Unit => self.expr_stmt(expr, tail),
        }
    }

    fn succeed(&mut self, value: &Expr, span: Span) {
        let output = match value {
            Expr::Tuple(t) if t.elems.is_empty() => None,
            _ => Some(self.value(value)),
        };
        let name = self.state_name("Done");
        let comment = self.comment(span);
        self.emit(State {
            name,
            comment,
            kind: Kind::Succeed { output },
            next: Next::Unset,
        });
    }

    fn fail(&mut self, error: Value, cause: Option<Value>, span: Span) {
        let base = match &error {
            Value::Json(text) => {
                let raw = text.trim_matches('"');
                let base: String = raw.chars().filter(|c| c.is_ascii_alphanumeric()).collect();
                if base.is_empty() {
                    "Fail".to_string()
                } else {
                    base
                }
            }
            Value::Jsonata(_) => "Fail".to_string(),
        };
        let name = self.state_name(&base);
        let comment = self.comment(span);
        self.emit(State {
            name,
            comment,
            kind: Kind::Fail { error, cause },
            next: Next::Unset,
        });
    }

    /// `Err(..)` as a Fail state.
    fn fail_from_err(&mut self, err: &Expr, whole: &Expr) {
        let err = strip_parens(err);
        // `WorkflowError::new(error, cause)`
        if let Expr::Call(call) = err
            && let Expr::Path(path) = &*call.func
            && path.path.segments.last().is_some_and(|s| s.ident == "new")
            && call.args.len() == 2
        {
            let error = self.value(&call.args[0]);
            let cause = self.value(&call.args[1]);
            self.fail(error, Some(cause), whole.span());
            return;
        }
        // `e`, `e.into()`, `WorkflowError::from(e)` for a caught error `e`.
        let inner = match err {
            Expr::MethodCall(call) if call.method == "into" && call.args.is_empty() => {
                &*call.receiver
            }
            Expr::Call(call) if call.args.len() == 1 => &call.args[0],
            other => other,
        };
        if let Expr::Path(path) = strip_parens(inner)
            && let Some(ident) = path.path.get_ident()
            && let Some(Binding::Error { asl }) = self.lookup(&ident.to_string())
        {
            self.fail(
                Value::Jsonata(format!("${asl}.Error")),
                Some(Value::Jsonata(format!("${asl}.Cause"))),
                whole.span(),
            );
            return;
        }
        self.error(err, "a workflow fails with `Err(WorkflowError::new(\"Name\", \"cause\"))`, `fail!(\"Name\", \"cause\")`, or `Err(e.into())` for an error `e` caught from a task");
    }

    /// A statement (or a tail whose value goes to `tail`).
    fn expr_stmt(&mut self, expr: &Expr, tail: &Tail) {
        let expr = strip_parens(expr);
        match expr {
            Expr::If(expr_if) => self.if_stmt(expr_if, tail),
            Expr::Match(expr_match) => self.match_stmt(expr_match, tail),
            Expr::While(expr_while) => self.while_stmt(expr_while),
            Expr::ForLoop(expr_for) => self.for_stmt(expr_for),
            Expr::Block(block) if block.label.is_none() => {
                self.block(&block.block.stmts, tail, block.span())
            }
            Expr::Return(ret) => match &ret.expr {
                Some(value) => {
                    let value = strip_parens(value);
                    if let Some(ok) = ok_arg(value) {
                        self.succeed(ok, ret.span());
                    } else if let Some(err) = err_arg(value) {
                        self.fail_from_err(err, expr);
                    } else {
                        self.error(
                            value,
                            "`return` in a workflow takes `Ok(value)` or `Err(..)`",
                        );
                    }
                }
                None => self.error(ret, "a workflow returns `Ok(value)` or `Err(..)`"),
            },
            Expr::Macro(mac) if macro_name(&mac.mac) == "fail" => self.fail_macro(&mac.mac),
            Expr::Assign(assign) => self.reassign(&assign.left, &assign.right, None, expr.span()),
            Expr::Binary(binary) if compound_op(&binary.op).is_some() => self.reassign(
                &binary.left,
                &binary.right,
                compound_op(&binary.op),
                expr.span(),
            ),
            Expr::Try(try_expr) => {
                let inner = strip_parens(&try_expr.expr);
                if let Some(join) = join_call(expr) {
                    let dest = match tail {
                        Tail::Assign(asl) => Dest::Var(asl.clone()),
                        _ => Dest::None,
                    };
                    self.join(join, dest, expr.span());
                    return;
                }
                let Expr::Await(await_expr) = inner else {
                    self.error(
                        expr,
                        "`?` in a workflow goes on an awaited task call: `task(..).await?`",
                    );
                    return;
                };
                let awaited = strip_parens(&await_expr.base);
                if let Some(map) = map_call(awaited) {
                    self.map(map, tail, expr.span());
                    return;
                }
                match self.step(awaited) {
                    Some(step) => {
                        let assign = self.result_assign(&step, tail);
                        self.task_state(step, assign, Vec::new(), expr.span());
                        self.set_holes_after_task();
                    }
                    None => self.error(awaited, "`.await?` in a workflow goes on a call of a `#[task]`, `callback(..)`, `child_workflow(..)` or `map(..)`"),
                }
            }
            Expr::Await(await_expr) => {
                let awaited = strip_parens(&await_expr.base);
                if let Some(call) = call_of(awaited, "sleep") {
                    self.wait(call, false, expr.span());
                } else if let Some(call) = call_of(awaited, "sleep_until") {
                    self.wait(call, true, expr.span());
                } else if self.step(awaited).is_some() || map_call(awaited).is_some() {
                    self.error(expr, "a task call's `Result` must be handled: add `?`, or `match` on it to catch its errors");
                } else {
                    self.error(awaited, "`.await` in a workflow goes on a task call, `sleep(..)` or `sleep_until(..)`");
                }
            }
            Expr::Macro(mac) if macro_name(&mac.mac) == "join" => {
                self.error(expr, "`join!(..)` returns a `Result`: add `?`");
            }
            other if is_pure(other) => match tail {
                Tail::Assign(dest) => {
                    let value = self.value(other);
                    self.assign(
                        &format!("Set{}", pascal(dest)),
                        other.span(),
                        vec![(dest.clone(), value)],
                    );
                }
                Tail::Unit => {
                    if !matches!(other, Expr::Tuple(t) if t.elems.is_empty()) {
                        self.error(
                            other,
                            "this expression's value is unused; bind it with `let`",
                        );
                    }
                }
                Tail::Return => self.tail(other, tail),
            },
            other => self.error(
                other,
                format!("this is not supported in a workflow body; {MOVE_TO_TASK}"),
            ),
        }
    }

    fn set_holes_after_task(&mut self) {
        let i = self.builder().states.len() - 1;
        self.set_holes(vec![Hole::Next(i)]);
    }

    fn fail_macro(&mut self, mac: &syn::Macro) {
        let parser = syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated;
        match mac.parse_body_with(parser) {
            Ok(args) if args.len() == 2 => {
                let error = self.value(&args[0]);
                let cause = self.value(&args[1]);
                self.fail(error, Some(cause), mac.span());
            }
            _ => self.error(
                mac,
                "`fail!` takes an error name and a cause: `fail!(\"OutOfStock\", \"no stock\")`",
            ),
        }
    }

    /// `x = e;` or `x += e;`.
    fn reassign(&mut self, left: &Expr, right: &Expr, op: Option<&str>, span: Span) {
        let Expr::Path(path) = strip_parens(left) else {
            self.error(left, "a workflow can only assign a whole variable; build a new value with a struct literal");
            return;
        };
        let Some(ident) = path.path.get_ident() else {
            self.error(left, "a workflow can only assign its own variables");
            return;
        };
        let name = ident.to_string();
        let asl = match self.lookup(&name) {
            Some(Binding::Var { asl, depth }) if depth == self.depth() => asl,
            Some(Binding::Var { .. }) => {
                self.error(left, format!("a `map` closure or `join!` branch cannot change `{name}`, a variable outside it; return a value instead"));
                return;
            }
            _ => {
                self.error(
                    left,
                    format!("`{name}` is not a variable this workflow can assign"),
                );
                return;
            }
        };
        if !is_pure(right) {
            if op.is_some() {
                self.error(right, "`+=` and friends take a pure expression; bind a task's result with `let` first");
            } else {
                self.expr_stmt(right, &Tail::Assign(asl));
            }
            return;
        }
        let value = self.jsonata(right);
        let value = match op {
            Some(op) => format!("${asl} {op} {value}"),
            None => value,
        };
        self.assign(
            &format!("Update{}", pascal(&name)),
            span,
            vec![(asl, Value::Jsonata(value))],
        );
    }

    fn wait(&mut self, call: &syn::ExprCall, until: bool, span: Span) {
        if call.args.len() != 1 {
            self.error(call, "`sleep` and `sleep_until` take one argument");
            return;
        }
        let value = self.value(&call.args[0]);
        let (base, kind) = if until {
            (
                "SleepUntil",
                Kind::Wait {
                    seconds: None,
                    timestamp: Some(value),
                },
            )
        } else {
            (
                "Sleep",
                Kind::Wait {
                    seconds: Some(value),
                    timestamp: None,
                },
            )
        };
        let name = self.state_name(base);
        let comment = self.comment(span);
        let i = self.emit(State {
            name,
            comment,
            kind,
            next: Next::Unset,
        });
        self.set_holes(vec![Hole::Next(i)]);
    }
}

/// Where `join!`'s results go.
enum Dest {
    Tuple(Vec<Option<String>>),
    Var(String),
    None,
}

struct MapCall<'e> {
    items: &'e Expr,
    closure: &'e Expr,
    max_concurrency: Option<u64>,
}

/// `map(items, f)` or `map(items, f).max_concurrency(n)`.
fn map_call(expr: &Expr) -> Option<MapCall<'_>> {
    match strip_parens(expr) {
        Expr::MethodCall(call) if call.method == "max_concurrency" && call.args.len() == 1 => {
            let mut inner = map_call(&call.receiver)?;
            if let Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Int(n),
                ..
            }) = &call.args[0]
            {
                inner.max_concurrency = n.base10_parse().ok();
            }
            Some(inner)
        }
        other => {
            let call = call_of(other, "map")?;
            if call.args.len() != 2 {
                return None;
            }
            Some(MapCall {
                items: &call.args[0],
                closure: &call.args[1],
                max_concurrency: None,
            })
        }
    }
}

/// `join!(..)?` -> the macro.
fn join_call(expr: &Expr) -> Option<&syn::Macro> {
    match strip_parens(expr) {
        Expr::Try(t) => match strip_parens(&t.expr) {
            Expr::Macro(m) if macro_name(&m.mac) == "join" => Some(&m.mac),
            _ => None,
        },
        _ => None,
    }
}

fn strip_type(pat: &Pat) -> &Pat {
    match pat {
        Pat::Type(typed) => strip_type(&typed.pat),
        other => other,
    }
}

fn expr_attrs(expr: &Expr) -> Option<&Vec<syn::Attribute>> {
    Some(match expr {
        Expr::If(e) => &e.attrs,
        Expr::Match(e) => &e.attrs,
        Expr::While(e) => &e.attrs,
        Expr::ForLoop(e) => &e.attrs,
        Expr::Try(e) => &e.attrs,
        Expr::Await(e) => &e.attrs,
        Expr::Return(e) => &e.attrs,
        Expr::Macro(e) => &e.attrs,
        Expr::Assign(e) => &e.attrs,
        Expr::Binary(e) => &e.attrs,
        Expr::Call(e) => &e.attrs,
        Expr::Block(e) => &e.attrs,
        _ => return None,
    })
}

/// `Ok(v)` -> `v`.
fn ok_arg(expr: &Expr) -> Option<&Expr> {
    match strip_parens(expr) {
        Expr::Call(call) if call.args.len() == 1 => match &*call.func {
            Expr::Path(p) if p.path.is_ident("Ok") => Some(&call.args[0]),
            _ => None,
        },
        _ => None,
    }
}

/// `Err(e)` -> `e`.
fn err_arg(expr: &Expr) -> Option<&Expr> {
    match strip_parens(expr) {
        Expr::Call(call) if call.args.len() == 1 => match &*call.func {
            Expr::Path(p) if p.path.is_ident("Err") => Some(&call.args[0]),
            _ => None,
        },
        _ => None,
    }
}

/// Whether an expression never completes normally (`return`, `fail!`).
fn diverges(expr: &Expr) -> bool {
    match strip_parens(expr) {
        Expr::Return(_) => true,
        Expr::Macro(m) => macro_name(&m.mac) == "fail",
        _ => false,
    }
}

fn compound_op(op: &syn::BinOp) -> Option<&'static str> {
    match op {
        syn::BinOp::AddAssign(_) => Some("+"),
        syn::BinOp::SubAssign(_) => Some("-"),
        syn::BinOp::MulAssign(_) => Some("*"),
        syn::BinOp::DivAssign(_) => Some("/"),
        _ => None,
    }
}

/// Whether JSONata `text` reads the variable `$name`.
fn mentions(text: &str, name: &str) -> bool {
    let needle = format!("${name}");
    let mut rest = text;
    while let Some(pos) = rest.find(&needle) {
        let after = &rest[pos + needle.len()..];
        if !after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_') {
            return true;
        }
        rest = after;
    }
    false
}
