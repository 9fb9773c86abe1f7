//! Parse: the shapes of functions the macros accept, borrowed from the syn tree.

use syn::{FnArg, GenericArgument, Ident, ItemFn, Pat, PathArguments, ReturnType, Type};

/// A parameter: a plain name and its type.
pub(crate) struct Param<'a> {
    pub name: &'a Ident,
    pub ty: &'a Type,
}

/// An `async fn` with plain parameters that returns `Result<T, E>`.
pub(crate) struct AsyncFn<'a> {
    pub item: &'a ItemFn,
    pub params: Vec<Param<'a>>,
    pub ok_ty: &'a Type,
}

impl<'a> AsyncFn<'a> {
    /// `what` is `#[task]` or `#[workflow]`, for messages.
    pub(crate) fn from_syn(item: &'a ItemFn, what: &str) -> syn::Result<AsyncFn<'a>> {
        let sig = &item.sig;
        let mut errors: Vec<syn::Error> = Vec::new();
        if sig.asyncness.is_none() {
            errors.push(syn::Error::new_spanned(
                sig.fn_token,
                format!(
                    "a {what} must be an `async fn`; write `async fn {}`",
                    sig.ident
                ),
            ));
        }
        if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
            errors.push(syn::Error::new_spanned(
                &sig.generics,
                format!(
                    "a {what} cannot be generic; its JSON input and output need concrete types"
                ),
            ));
        }
        if let Some(variadic) = &sig.variadic {
            errors.push(syn::Error::new_spanned(
                variadic,
                format!("a {what} cannot be variadic"),
            ));
        }
        let mut params = Vec::new();
        for input in &sig.inputs {
            match input {
                FnArg::Receiver(receiver) => errors.push(syn::Error::new_spanned(
                    receiver,
                    format!("a {what} cannot take `self`; make it a free function"),
                )),
                FnArg::Typed(typed) => match &*typed.pat {
                    Pat::Ident(ident) if ident.by_ref.is_none() && ident.subpat.is_none() => {
                        if let Type::Reference(reference) = &*typed.ty {
                            errors.push(syn::Error::new_spanned(
                                reference,
                                format!("a {what} takes its parameters by value, since they arrive as JSON; remove the `&`"),
                            ));
                        }
                        params.push(Param {
                            name: &ident.ident,
                            ty: &typed.ty,
                        });
                    }
                    other => errors.push(syn::Error::new_spanned(
                        other,
                        format!("a {what} parameter must be a plain name, such as `order: Order`"),
                    )),
                },
            }
        }
        let ok_ty = match result_types(&sig.output) {
            Some((ok, _)) => Some(ok),
            None => {
                let message = format!(
                    "a {what} must return `Result<T, E>`, so that its failures have names; for example `-> Result<Receipt, {}>`",
                    if what == "`#[task]`" {
                        "PaymentError"
                    } else {
                        "WorkflowError"
                    }
                );
                errors.push(match &sig.output {
                    ReturnType::Default => syn::Error::new_spanned(&sig.ident, message),
                    ReturnType::Type(_, ty) => syn::Error::new_spanned(ty, message),
                });
                None
            }
        };
        let mut iter = errors.into_iter();
        if let Some(mut first) = iter.next() {
            for err in iter {
                first.combine(err);
            }
            return Err(first);
        }
        match ok_ty {
            Some(ok_ty) => Ok(AsyncFn {
                item,
                params,
                ok_ty,
            }),
            None => Err(syn::Error::new_spanned(
                &sig.output,
                "expected `Result<T, E>`",
            )),
        }
    }

    pub(crate) fn name(&self) -> &'a Ident {
        &self.item.sig.ident
    }
}

/// `T` and `E` of a `Result<T, E>` return type.
fn result_types(output: &ReturnType) -> Option<(&Type, &Type)> {
    let ReturnType::Type(_, ty) = output else {
        return None;
    };
    let Type::Path(path) = &**ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Result" {
        return None;
    }
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let mut types = args.args.iter().filter_map(|arg| match arg {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    });
    let ok = types.next()?;
    let err = types.next()?;
    Some((ok, err))
}
