//! Check: the rules of the restricted Rust subset that hold anywhere in a workflow body. Every
//! violation is reported, not just the first. Rules that depend on where a construct sits
//! (which calls are tasks, what a `match` may test) are checked while lowering.

use syn::visit::{self, Visit};
use syn::{Expr, Stmt};

use crate::ctxt::Ctxt;
use crate::expr::{METHODS, MOVE_TO_TASK};

/// Checks a workflow body; returns the names given with `#[state("..")]`.
pub(crate) fn workflow(cx: &Ctxt, block: &syn::Block) -> Vec<String> {
    let mut checker = Checker {
        cx,
        state_names: Vec::new(),
    };
    checker.visit_block(block);
    checker
        .state_names
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

struct Checker<'c> {
    cx: &'c Ctxt,
    state_names: Vec<(String, proc_macro2::Span)>,
}

const MACROS: &[&str] = &["fail", "join", "format", "vec"];

fn stmt_attrs(stmt: &Stmt) -> &[syn::Attribute] {
    match stmt {
        Stmt::Local(local) => &local.attrs,
        Stmt::Macro(mac) => &mac.attrs,
        Stmt::Item(_) => &[],
        Stmt::Expr(expr, _) => expr_attrs(expr),
    }
}

fn expr_attrs(expr: &Expr) -> &[syn::Attribute] {
    match expr {
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
        _ => &[],
    }
}

impl Checker<'_> {
    fn attrs(&mut self, attrs: &[syn::Attribute]) {
        for attr in attrs {
            if attr.path().is_ident("state") {
                match crate::attr::parse_state_name(attr) {
                    Ok(lit) => {
                        let name = lit.value();
                        if self.state_names.iter().any(|(n, _)| *n == name) {
                            self.cx.error_spanned(
                                &lit,
                                format!("duplicate state name \"{name}\"; each `#[state(\"..\")]` names a different state"),
                            );
                        } else {
                            self.state_names.push((name, lit.span()));
                        }
                    }
                    Err(err) => self.cx.error(err),
                }
            } else if attr.path().is_ident("task") {
                // Parsed while lowering, where it applies to the task call.
                let args = match &attr.meta {
                    syn::Meta::List(list) => list.tokens.clone(),
                    _ => proc_macro2::TokenStream::new(),
                };
                if let Err(err) = crate::attr::TaskAttr::parse(args) {
                    self.cx.error(err);
                }
            } else {
                let name = quote::ToTokens::to_token_stream(attr.path()).to_string();
                self.cx.error_spanned(
                    attr,
                    format!("unknown attribute `#[{name}]` on a workflow statement; expected `#[state(\"Name\")]` or `#[task(..)]`"),
                );
            }
        }
    }

    /// The arguments of a macro we know, parsed as expressions and checked.
    fn macro_args(&mut self, mac: &syn::Macro) {
        let name = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        if mac.path.segments.len() != 1 || !MACROS.contains(&name.as_str()) {
            self.cx.error_spanned(
                &mac.path,
                format!("the macro `{}!` is not supported in a workflow; the supported macros are `fail!`, `join!`, `format!` and `vec!`; {MOVE_TO_TASK}", quote::ToTokens::to_token_stream(&mac.path).to_string().replace(' ', "")),
            );
            return;
        }
        let parser = syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated;
        let Ok(args) = mac.parse_body_with(parser) else {
            if name != "vec" {
                self.cx
                    .error_spanned(mac, format!("cannot read the arguments of `{name}!`"));
            }
            return;
        };
        for arg in &args {
            if name == "join" {
                match arg {
                    Expr::Async(block) => self.visit_block(&block.block),
                    other => self.cx.error_spanned(
                        other,
                        "each branch of `join!` is an `async { .. }` block ending in `Ok(value)`",
                    ),
                }
            } else {
                self.visit_expr(arg);
            }
        }
    }

    /// A closure where one is allowed: check its body only.
    fn allowed_closure(&mut self, expr: &Expr) {
        match expr {
            Expr::Closure(closure) => {
                if let Some(asyncness) = &closure.asyncness {
                    self.cx.error_spanned(
                        asyncness,
                        "write `|x| async move { .. }`, not an async closure",
                    );
                }
                match &*closure.body {
                    Expr::Async(block) => self.visit_block(&block.block),
                    body => self.visit_expr(body),
                }
            }
            other => self.visit_expr(other),
        }
    }
}

impl<'ast> Visit<'ast> for Checker<'_> {
    fn visit_stmt(&mut self, stmt: &'ast Stmt) {
        self.attrs(stmt_attrs(stmt));
        match stmt {
            Stmt::Item(item) => self.cx.error_spanned(
                item,
                "items (functions, structs, `use`, ...) are not supported inside a workflow body; declare them outside",
            ),
            Stmt::Macro(mac) => self.macro_args(&mac.mac),
            Stmt::Local(local) => {
                if let Some(init) = &local.init
                    && let Some((else_token, _)) = &init.diverge
                {
                    self.cx.error_spanned(else_token, "`let .. else` is not supported in a workflow; use `match`");
                }
                visit::visit_local(self, local);
            }
            Stmt::Expr(..) => visit::visit_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'ast Expr) {
        match expr {
            Expr::Loop(e) => self.cx.error_spanned(
                e.loop_token,
                "`loop` is not supported in a `#[workflow]` body; use `while` with a condition",
            ),
            Expr::Unsafe(e) => self.cx.error_spanned(
                e.unsafe_token,
                format!("`unsafe` is not supported in a `#[workflow]` body; {MOVE_TO_TASK}"),
            ),
            Expr::Break(e) => self.cx.error_spanned(
                e,
                "`break` is not supported in a `#[workflow]` body; end the loop with its `while` condition",
            ),
            Expr::Continue(e) => self.cx.error_spanned(
                e,
                "`continue` is not supported in a `#[workflow]` body; use `if` inside the loop",
            ),
            Expr::Let(e) => self.cx.error_spanned(
                e,
                "`if let` and `while let` are not supported in a `#[workflow]` body; use `match` or an `Option` test such as `x.is_some()`",
            ),
            Expr::Range(e) => self.cx.error_spanned(
                e,
                format!("ranges are not supported in a `#[workflow]` body; loop with `while`, or {MOVE_TO_TASK}"),
            ),
            Expr::TryBlock(e) => self.cx.error_spanned(e, "`try` blocks are not supported in a `#[workflow]` body"),
            Expr::Yield(e) => self.cx.error_spanned(e, "`yield` is not supported in a `#[workflow]` body"),
            Expr::Const(e) => self.cx.error_spanned(e, "`const` blocks are not supported in a `#[workflow]` body"),
            Expr::RawAddr(e) => self.cx.error_spanned(e, "raw pointers are not supported in a `#[workflow]` body"),
            Expr::Closure(e) => self.cx.error_spanned(
                e,
                format!("closures are only supported as the argument of `map`, `callback` and `iter().map/filter/any/all` in a `#[workflow]` body; {MOVE_TO_TASK}"),
            ),
            Expr::Async(e) => self.cx.error_spanned(
                e.async_token,
                "`async` blocks are only supported as the branches of `join!` and the body of a `map` closure",
            ),
            Expr::Macro(e) => self.macro_args(&e.mac),
            Expr::Call(call) => {
                let allowed = match &*call.func {
                    Expr::Path(p) => p.path.is_ident("map") || p.path.is_ident("callback"),
                    _ => false,
                };
                self.visit_expr(&call.func);
                for (i, arg) in call.args.iter().enumerate() {
                    if allowed && (i == 1 || matches!(&*call.func, Expr::Path(p) if p.path.is_ident("callback"))) {
                        self.allowed_closure(arg);
                    } else {
                        self.visit_expr(arg);
                    }
                }
            }
            Expr::MethodCall(call) => {
                let method = call.method.to_string();
                if !METHODS.contains(&method.as_str()) && method != "max_concurrency" {
                    let hint = match crate::attr::did_you_mean(&method, METHODS) {
                        Some(close) => format!(" (did you mean `{close}`?)"),
                        None => String::new(),
                    };
                    self.cx.error_spanned(
                        &call.method,
                        format!("the method `{method}` is not supported in a `#[workflow]` body{hint}; the supported methods are `{}`; {MOVE_TO_TASK}", METHODS.join("`, `")),
                    );
                }
                if let Some(turbofish) = &call.turbofish
                    && method != "collect"
                {
                    self.cx.error_spanned(turbofish, "turbofish type arguments are only supported on `collect`");
                }
                self.visit_expr(&call.receiver);
                for arg in &call.args {
                    if matches!(method.as_str(), "map" | "filter" | "any" | "all") {
                        self.allowed_closure(arg);
                    } else {
                        self.visit_expr(arg);
                    }
                }
            }
            _ => visit::visit_expr(self, expr),
        }
    }

    fn visit_item(&mut self, item: &'ast syn::Item) {
        self.cx
            .error_spanned(item, "items are not supported inside a workflow body");
    }

    fn visit_arm(&mut self, arm: &'ast syn::Arm) {
        self.attrs(&arm.attrs);
        visit::visit_arm(self, arm);
    }
}
