//! Expand: tokens from what the earlier stages produced. Each macro emits, in order, the user's
//! function (the direct form) and a module of the same name holding what the engine and the
//! exported ASL need. When a macro fails it still emits the user's function and a placeholder
//! module, so that rust-analyzer keeps working and callers see no second wave of errors.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::visit::Visit;
use syn::visit_mut::{self, VisitMut};
use syn::{Expr, ItemFn, Member, Pat, Stmt};

use crate::ast::AsyncFn;
use crate::attr::{TaskAttr, WorkflowAttr};
use crate::ctxt::Ctxt;
use crate::graph::{Kind, Machine, Piece, Program, Resource, TaskRef, Writer};
use crate::{check, lower};

/// A macro's tokens; on failure, the errors next to what can still be emitted.
pub(crate) struct Failure {
    error: syn::Error,
    fallback: TokenStream,
}

impl From<syn::Error> for Failure {
    fn from(error: syn::Error) -> Self {
        Failure {
            error,
            fallback: TokenStream::new(),
        }
    }
}

pub(crate) type Output = Result<TokenStream, Failure>;

/// The one place that turns a stage's result into the macro's output.
pub(crate) fn output(result: Output) -> proc_macro::TokenStream {
    match result {
        Ok(tokens) => tokens.into(),
        Err(failure) => {
            let mut tokens = failure.error.to_compile_error();
            tokens.extend(failure.fallback);
            tokens.into()
        }
    }
}

fn combine(errors: impl IntoIterator<Item = syn::Error>) -> Option<syn::Error> {
    let mut iter = errors.into_iter();
    let mut first = iter.next()?;
    for err in iter {
        first.combine(err);
    }
    Some(first)
}

// ---------------------------------------------------------------------------------------------
// #[task]

pub(crate) fn task(args: TokenStream, item: TokenStream) -> Output {
    let item_fn: ItemFn = syn::parse2(item.clone()).map_err(|error| Failure {
        error,
        fallback: item.clone(),
    })?;
    let attr = TaskAttr::parse(args);
    let ast = AsyncFn::from_syn(&item_fn, "`#[task]`");
    let mut errors = Vec::new();
    let attr = match attr {
        Ok(attr) => Some(attr),
        Err(err) => {
            errors.push(err);
            None
        }
    };
    let ast = match ast {
        Ok(ast) => Some(ast),
        Err(err) => {
            errors.push(err);
            None
        }
    };
    let module = expand_task_module(&item_fn, attr.as_ref(), ast.as_ref());
    let tokens = quote!(#item_fn #module);
    match combine(errors) {
        Some(error) => Err(Failure {
            error,
            fallback: tokens,
        }),
        None => Ok(tokens),
    }
}

fn param_consts(item_fn: &ItemFn) -> TokenStream {
    let names: Vec<String> = item_fn
        .sig
        .inputs
        .iter()
        .filter_map(|input| match input {
            syn::FnArg::Typed(typed) => match &*typed.pat {
                Pat::Ident(ident) => Some(ident.ident.to_string()),
                _ => None,
            },
            syn::FnArg::Receiver(_) => None,
        })
        .collect();
    let consts = names.iter().enumerate().map(|(i, name)| {
        let ident = format_ident!("__PARAM_{}", i);
        quote!(pub const #ident: &str = #name;)
    });
    quote!(#(#consts)*)
}

/// The task's module: its settings as JSON fragments, its parameter names, and `__register`.
fn expand_task_module(
    item_fn: &ItemFn,
    attr: Option<&TaskAttr>,
    ast: Option<&AsyncFn<'_>>,
) -> TokenStream {
    let name = &item_fn.sig.ident;
    let vis = &item_fn.vis;
    let name_str = name.to_string();
    let retry = attr
        .and_then(|a| a.retries.as_ref())
        .map(|r| crate::graph::retry_json(r))
        .unwrap_or_default();
    let timeout = attr
        .and_then(|a| a.timeout)
        .map(|t| format!(",\"TimeoutSeconds\":{t}"))
        .unwrap_or_default();
    let heartbeat = attr
        .and_then(|a| a.heartbeat)
        .map(|h| format!(",\"HeartbeatSeconds\":{h}"))
        .unwrap_or_default();
    let params = param_consts(item_fn);
    let register = match ast {
        Some(ast) => {
            let several = ast.params.len() > 1;
            let decode = ast.params.iter().map(|param| {
                let p = param.name;
                let ty = param.ty;
                let key = if several {
                    let key = p.to_string();
                    quote!(::core::option::Option::Some(#key))
                } else {
                    quote!(::core::option::Option::None)
                };
                quote!(let #p: #ty = ::workflow_core::__private::arg(&request.payload, #key)?;)
            });
            let args = ast.params.iter().map(|param| param.name);
            quote! {
                ::workflow_core::__private::register_task(
                    engine,
                    #name_str,
                    |request: ::workflow_core::__private::TaskRequest| async move {
                        #(#decode)*
                        ::workflow_core::__private::output(super::#name(#(#args),*).await)
                    },
                );
            }
        }
        None => quote!(let _ = engine;),
    };
    let doc = format!(
        "The task [`{name_str}`](fn@{name_str}) as a workflow sees it (generated by `#[task]`)."
    );
    quote! {
        #[doc = #doc]
        #[doc(hidden)]
        #[allow(non_snake_case, unused_imports, clippy::all)]
        #vis mod #name {
            use super::*;
            pub const __RETRY: &str = #retry;
            pub const __TIMEOUT: &str = #timeout;
            pub const __HEARTBEAT: &str = #heartbeat;
            #params
            pub fn __register(engine: &::workflow_core::__private::Engine) {
                #register
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// #[workflow]

pub(crate) fn workflow(args: TokenStream, item: TokenStream) -> Output {
    let item_fn: ItemFn = syn::parse2(item.clone()).map_err(|error| Failure {
        error,
        fallback: item.clone(),
    })?;
    let mut direct = item_fn.clone();
    StripAttrs.visit_block_mut(&mut direct.block);
    let fail = |error: syn::Error, direct: &ItemFn, ast: Option<&AsyncFn<'_>>| {
        let module = expand_workflow_module(direct, ast, None, &[], quote!(&["{}"]), false);
        Failure {
            error,
            fallback: quote!(#direct #module),
        }
    };
    let attr = WorkflowAttr::parse(args);
    let ast = AsyncFn::from_syn(&item_fn, "`#[workflow]`");
    let (attr, ast) = match (attr, ast) {
        (Ok(attr), Ok(ast)) => (attr, ast),
        (attr, ast) => {
            let errors = [attr.err(), ast.as_ref().err().cloned()]
                .into_iter()
                .flatten();
            let error = combine(errors)
                .unwrap_or_else(|| syn::Error::new(Span::call_site(), "invalid workflow"));
            return Err(fail(error, &direct, ast.as_ref().ok()));
        }
    };
    let cx = Ctxt::new();
    let reserved = check::workflow(&cx, &item_fn.block);
    if let Err(error) = cx.check() {
        return Err(fail(error, &direct, Some(&ast)));
    }
    let sig = lower::Signature {
        name: ast.name().to_string(),
        params: ast.params.iter().map(|p| p.name.to_string()).collect(),
        span: ast.name().span(),
    };
    let machine = match lower::workflow(&sig, &attr, &item_fn.block, &reserved) {
        Ok(machine) => machine,
        Err(errors) => {
            let error = combine(errors)
                .unwrap_or_else(|| syn::Error::new(Span::call_site(), "invalid workflow"));
            return Err(fail(error, &direct, Some(&ast)));
        }
    };
    let mut writer = Writer::new();
    writer.machine(&machine);
    let asl = expand_asl(&writer);
    let callees = callees(&machine);
    FieldChecks.visit_block_mut(&mut direct.block);
    // Clippy's rewrites of these patterns (`.ok()`, `matches!`, ..) leave the workflow subset.
    direct.attrs.push(syn::parse_quote!(#[allow(
        clippy::manual_ok_err,
        clippy::manual_map,
        clippy::useless_vec,
        clippy::question_mark,
        clippy::needless_return,
        clippy::match_like_matches_macro,
        clippy::single_match,
        clippy::manual_is_multiple_of,
        clippy::collapsible_else_if,
        clippy::collapsible_if,
        clippy::needless_late_init
    )]));
    let module = expand_workflow_module(
        &direct,
        Some(&ast),
        Some(&machine),
        &callees,
        asl,
        machine.express,
    );
    Ok(quote!(#direct #module))
}

/// The path of a task (or child workflow) from inside the generated module.
fn callee_path(target: &TaskRef) -> TokenStream {
    let span = target.span;
    let mut segments: Vec<TokenStream> = Vec::new();
    match target.segments.first().map(String::as_str) {
        Some("crate") => {}
        Some("self") => {}
        _ => segments.push(quote_spanned!(span=> super)),
    }
    for (i, segment) in target.segments.iter().enumerate() {
        if i == 0 && segment == "self" {
            segments.push(quote_spanned!(span=> super));
            continue;
        }
        let ident = syn::Ident::new(segment, span);
        segments.push(quote!(#ident));
    }
    quote!(#(#segments)::*)
}

/// The ASL text as a compile-time concatenation of literal pieces and task constants.
fn expand_asl(writer: &Writer<'_>) -> TokenStream {
    let parts = writer.pieces.iter().map(|piece| match piece {
        Piece::Lit(text) => quote!(#text),
        Piece::Const { span_of, name, .. } => {
            let target = writer.targets[*span_of];
            let path = callee_path(target);
            let ident = syn::Ident::new(name, target.span);
            quote_spanned!(target.span=> #path::#ident)
        }
    });
    quote!(&[#(#parts),*])
}

/// Everything the machine calls: tasks, and child workflows (`true`).
fn callees(machine: &Machine) -> Vec<(TaskRef, bool)> {
    fn walk(program: &Program, out: &mut Vec<(TaskRef, bool)>) {
        for state in &program.states {
            match &state.kind {
                Kind::Task(task) => {
                    let child = task.resource == Resource::StartExecutionSync2;
                    if !out.iter().any(|(t, _)| t.segments == task.target.segments) {
                        out.push((task.target.clone(), child));
                    }
                }
                Kind::Map { processor, .. } => walk(processor, out),
                Kind::Parallel { branches, .. } => {
                    for branch in branches {
                        walk(branch, out);
                    }
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(&machine.program, &mut out);
    out
}

fn expand_workflow_module(
    direct: &ItemFn,
    ast: Option<&AsyncFn<'_>>,
    machine: Option<&Machine>,
    callees: &[(TaskRef, bool)],
    asl: TokenStream,
    express: bool,
) -> TokenStream {
    let name = &direct.sig.ident;
    let vis = &direct.vis;
    let machine_name = machine
        .map(|m| m.name.clone())
        .unwrap_or_else(|| crate::names::pascal(&name.to_string()));
    let params = param_consts(direct);
    let registers = callees.iter().map(|(target, child)| {
        let path = callee_path(target);
        if *child {
            quote!(::workflow_core::__private::register_child(engine, #path::workflow());)
        } else {
            quote!(#path::__register(engine);)
        }
    });
    let start = ast.map(|ast| {
        let ok_ty = ast.ok_ty;
        let params = ast.params.iter().map(|p| {
            let n = p.name;
            let ty = p.ty;
            quote!(#n: #ty)
        });
        let fields = ast.params.iter().map(|p| {
            let n = p.name;
            let key = n.to_string();
            quote!((#key, ::workflow_core::__private::to_value(&#n)))
        });
        quote! {
            /// Starts an execution on `engine` (registering the tasks first); `.result().await`
            /// gives the output or the ASL error name and cause.
            pub fn start(
                engine: &::workflow_core::__private::Engine,
                #(#params),*
            ) -> ::core::result::Result<
                ::workflow_core::__private::WorkflowExecution<#ok_ty>,
                ::workflow_core::__private::StartWorkflowError,
            > {
                let input = ::workflow_core::__private::input(::std::vec![#(#fields),*])?;
                workflow().start(engine, input)
            }
        }
    });
    // The direct form counts as used: a workflow binary may only run the ASL. (Only for a
    // checked workflow: a generic one would need type annotations here.)
    let uses_direct = machine.map(|_| {
        quote! {
            const _: () = {
                let _ = super::#name;
            };
        }
    });
    let doc = format!(
        "The state machine `{machine_name}` compiled from [`{name}`](fn@{name}) by `#[workflow]`."
    );
    quote! {
        #[doc = #doc]
        #[allow(non_snake_case, unused_imports, clippy::all)]
        #vis mod #name {
            use super::*;
            /// The state machine's name.
            pub const NAME: &str = #machine_name;
            #params
            const __PARTS: &[&str] = #asl;
            const __LEN: usize = ::workflow_core::__private::concat_len(__PARTS);
            const __BYTES: [u8; __LEN] = ::workflow_core::__private::concat_bytes::<__LEN>(__PARTS);
            /// The ASL definition (JSONata), as compact JSON text generated at compile time.
            pub const ASL: &str = ::workflow_core::__private::concat_str(&__BYTES);
            /// The ASL definition.
            pub fn asl() -> ::workflow_core::__private::Value {
                workflow().asl()
            }
            /// The workflow's descriptor, for `workflow_core::cli::main` and the engine.
            pub fn workflow() -> ::workflow_core::__private::Workflow {
                ::workflow_core::__private::Workflow::__new(NAME, ASL, #express, __register)
            }
            #uses_direct
            #[doc(hidden)]
            pub fn __register(engine: &::workflow_core::__private::Engine) {
                let _ = engine;
                #(#registers)*
            }
            #start
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The direct form

/// Removes our statement attributes (`#[state]`, `#[task]`), which rustc would reject.
struct StripAttrs;

fn strip(attrs: &mut Vec<syn::Attribute>) {
    attrs.retain(|a| !a.path().is_ident("state") && !a.path().is_ident("task"));
}

impl VisitMut for StripAttrs {
    fn visit_stmt_mut(&mut self, stmt: &mut Stmt) {
        match stmt {
            Stmt::Local(local) => strip(&mut local.attrs),
            Stmt::Macro(mac) => strip(&mut mac.attrs),
            Stmt::Expr(expr, _) => {
                if let Some(attrs) = expr_attrs_mut(expr) {
                    strip(attrs);
                }
            }
            Stmt::Item(_) => {}
        }
        visit_mut::visit_stmt_mut(self, stmt);
    }

    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        edit_join(mac, self);
    }
}

/// Applies `visitor` to the branches of a `join!`, whose tokens syn does not visit.
fn edit_join(mac: &mut syn::Macro, visitor: &mut impl VisitMut) {
    if !mac.path.is_ident("join") {
        return;
    }
    let parser = syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated;
    if let Ok(mut args) = mac.parse_body_with(parser) {
        for arg in args.iter_mut() {
            visitor.visit_expr_mut(arg);
        }
        mac.tokens = args.into_token_stream();
    }
}

fn expr_attrs_mut(expr: &mut Expr) -> Option<&mut Vec<syn::Attribute>> {
    Some(match expr {
        Expr::If(e) => &mut e.attrs,
        Expr::Match(e) => &mut e.attrs,
        Expr::While(e) => &mut e.attrs,
        Expr::ForLoop(e) => &mut e.attrs,
        Expr::Try(e) => &mut e.attrs,
        Expr::Await(e) => &mut e.attrs,
        Expr::Return(e) => &mut e.attrs,
        Expr::Macro(e) => &mut e.attrs,
        Expr::Assign(e) => &mut e.attrs,
        Expr::Binary(e) => &mut e.attrs,
        Expr::Call(e) => &mut e.attrs,
        Expr::Block(e) => &mut e.attrs,
        _ => return None,
    })
}

/// Inserts, before each statement, compile-time proofs that the types whose fields it reads
/// (or builds, or whose variants it names) derive `WorkflowType`. They sit in unreachable
/// code, so they neither run nor borrow.
struct FieldChecks;

/// The proofs one statement (not its nested blocks) needs.
#[derive(Default)]
struct Proofs(Vec<TokenStream>);

impl<'ast> Visit<'ast> for Proofs {
    fn visit_expr(&mut self, expr: &'ast Expr) {
        match expr {
            Expr::Field(field) => {
                let base = &field.base;
                match field.member {
                    Member::Named(_) => self.0.push(
                        quote_spanned!(base.span()=> ::workflow_core::__private::fields(&#base)),
                    ),
                    Member::Unnamed(_) => self.0.push(
                        quote_spanned!(base.span()=> ::workflow_core::__private::positions(&#base)),
                    ),
                }
                self.visit_expr(&field.base);
            }
            Expr::Struct(strukt) => {
                let path = &strukt.path;
                self.0.push(
                    quote_spanned!(path.span()=> ::workflow_core::__private::fields_of::<#path>()),
                );
                for field in &strukt.fields {
                    self.visit_expr(&field.expr);
                }
            }
            Expr::Path(path) if path.qself.is_none() && path.path.segments.len() >= 2 => {
                self.enum_path(&path.path);
            }
            Expr::Call(call) => {
                if !matches!(&*call.func, Expr::Path(_)) {
                    self.visit_expr(&call.func);
                }
                for arg in &call.args {
                    self.visit_expr(arg);
                }
            }
            Expr::Macro(mac) => {
                let name = mac
                    .mac
                    .path
                    .segments
                    .last()
                    .map(|s| s.ident.to_string())
                    .unwrap_or_default();
                if matches!(name.as_str(), "format" | "vec" | "fail") {
                    let parser =
                        syn::punctuated::Punctuated::<Expr, syn::Token![,]>::parse_terminated;
                    if let Ok(args) = mac.mac.parse_body_with(parser) {
                        for arg in &args {
                            self.visit_expr(arg);
                        }
                    }
                }
            }
            // Nested blocks, closures and arms get their own proofs.
            Expr::Block(_)
            | Expr::Closure(_)
            | Expr::Async(_)
            | Expr::Loop(_)
            | Expr::Unsafe(_) => {}
            Expr::If(expr_if) => self.visit_expr(&expr_if.cond),
            Expr::While(expr_while) => self.visit_expr(&expr_while.cond),
            Expr::ForLoop(expr_for) => self.visit_expr(&expr_for.expr),
            Expr::Match(expr_match) => self.visit_expr(&expr_match.expr),
            _ => syn::visit::visit_expr(self, expr),
        }
    }

    fn visit_stmt(&mut self, stmt: &'ast Stmt) {
        match stmt {
            Stmt::Local(local) => {
                if let Some(init) = &local.init {
                    self.visit_expr(&init.expr);
                }
            }
            Stmt::Expr(expr, _) => self.visit_expr(expr),
            Stmt::Macro(mac) => {
                let expr = Expr::Macro(syn::ExprMacro {
                    attrs: Vec::new(),
                    mac: mac.mac.clone(),
                });
                self.visit_expr(&expr);
            }
            Stmt::Item(_) => {}
        }
    }
}

impl Proofs {
    fn enum_path(&mut self, path: &syn::Path) {
        let mut ty = path.clone();
        let n = path.segments.len();
        ty.segments = path.segments.iter().take(n - 1).cloned().collect();
        self.0
            .push(quote_spanned!(path.span()=> ::workflow_core::__private::fields_of::<#ty>()));
    }

    fn pattern(&mut self, pat: &Pat) {
        match pat {
            Pat::Path(path) if path.path.segments.len() >= 2 => self.enum_path(&path.path),
            Pat::Or(or) => {
                for case in &or.cases {
                    self.pattern(case);
                }
            }
            _ => {}
        }
    }

    fn into_stmt(self) -> Option<Stmt> {
        if self.0.is_empty() {
            return None;
        }
        let proofs = self.0;
        Some(syn::parse_quote! {
            #[allow(unreachable_code, clippy::never_loop, clippy::diverging_sub_expression)]
            let () = loop {
                break;
                #(#proofs;)*
            };
        })
    }
}

impl VisitMut for FieldChecks {
    fn visit_block_mut(&mut self, block: &mut syn::Block) {
        let stmts = std::mem::take(&mut block.stmts);
        for mut stmt in stmts {
            let mut proofs = Proofs::default();
            proofs.visit_stmt(&stmt);
            self.visit_stmt_mut(&mut stmt);
            if let Some(check) = proofs.into_stmt() {
                block.stmts.push(check);
            }
            block.stmts.push(stmt);
        }
    }

    fn visit_arm_mut(&mut self, arm: &mut syn::Arm) {
        let mut proofs = Proofs::default();
        // Patterns inside `Ok(..)`/`Err(..)` are task results and errors, not workflow types.
        proofs.pattern(&arm.pat);
        if !matches!(&*arm.body, Expr::Block(_)) {
            proofs.visit_expr(&arm.body);
        }
        visit_mut::visit_arm_mut(self, arm);
        if let Some(check) = proofs.into_stmt() {
            let body = &arm.body;
            *arm.body = syn::parse_quote!({ #check #body });
        }
    }

    fn visit_expr_closure_mut(&mut self, closure: &mut syn::ExprClosure) {
        let mut proofs = Proofs::default();
        if !matches!(&*closure.body, Expr::Block(_) | Expr::Async(_)) {
            proofs.visit_expr(&closure.body);
        }
        visit_mut::visit_expr_closure_mut(self, closure);
        if let Some(check) = proofs.into_stmt() {
            let body = &closure.body;
            *closure.body = syn::parse_quote!({ #check #body });
        }
    }

    fn visit_macro_mut(&mut self, mac: &mut syn::Macro) {
        edit_join(mac, self);
    }
}
