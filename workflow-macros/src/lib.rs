//! Procedural macros of `workflow-core`. Use them through `workflow_core::prelude`; the user
//! documentation lives on their re-exports there.
//!
//! Each macro is a small compiler: parse (`ast`, `attr`) -> check (`check`) -> lower
//! (`lower`, into the `graph` IR) -> expand (`expand`).

mod ast;
mod attr;
mod check;
mod ctxt;
mod derive;
mod expand;
mod expr;
mod graph;
mod lower;
mod names;
#[cfg(test)]
mod tests;

use proc_macro::TokenStream;

/// See `workflow_core::task`.
#[proc_macro_attribute]
pub fn task(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::output(expand::task(args.into(), item.into()))
}

/// See `workflow_core::workflow`.
#[proc_macro_attribute]
pub fn workflow(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::output(expand::workflow(args.into(), item.into()))
}

/// See `workflow_core::TaskError`.
#[proc_macro_derive(TaskError)]
pub fn derive_task_error(item: TokenStream) -> TokenStream {
    expand::output(derive::task_error(item.into()).map_err(Into::into))
}

/// See `workflow_core::WorkflowType`.
#[proc_macro_derive(WorkflowType)]
pub fn derive_workflow_type(item: TokenStream) -> TokenStream {
    expand::output(derive::workflow_type(item.into()).map_err(Into::into))
}
