//! The error collector: checks push every problem they find, then `check` combines them.

use std::cell::RefCell;

/// Collects errors; panics on drop if `check` was never called, so a forgotten check shows up
/// in tests.
pub(crate) struct Ctxt {
    errors: RefCell<Option<Vec<syn::Error>>>,
}

impl Ctxt {
    pub(crate) fn new() -> Self {
        Ctxt {
            errors: RefCell::new(Some(Vec::new())),
        }
    }

    pub(crate) fn error(&self, err: syn::Error) {
        if let Some(errors) = self.errors.borrow_mut().as_mut() {
            errors.push(err);
        }
    }

    pub(crate) fn error_spanned(
        &self,
        tokens: impl quote::ToTokens,
        message: impl std::fmt::Display,
    ) {
        self.error(syn::Error::new_spanned(tokens, message));
    }

    /// All the errors, combined into one.
    pub(crate) fn check(self) -> syn::Result<()> {
        let errors = self.errors.borrow_mut().take().unwrap_or_default();
        let mut iter = errors.into_iter();
        let Some(mut first) = iter.next() else {
            return Ok(());
        };
        for err in iter {
            first.combine(err);
        }
        Err(first)
    }
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        if !std::thread::panicking() && self.errors.borrow().is_some() {
            panic!("Ctxt dropped without calling check()");
        }
    }
}
