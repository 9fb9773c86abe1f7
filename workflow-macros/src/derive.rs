//! `#[derive(TaskError)]` and `#[derive(WorkflowType)]`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Data, DeriveInput, Fields};

/// `impl TaskError`: each variant is named `Enum.Variant`; a struct is named after its type.
pub(crate) fn task_error(item: TokenStream) -> syn::Result<TokenStream> {
    let input: DeriveInput = syn::parse2(item)?;
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let name_body = match &input.data {
        Data::Enum(data) => {
            if data.variants.is_empty() {
                return Err(syn::Error::new_spanned(
                    ident,
                    "`TaskError` needs at least one variant: each variant is an error name",
                ));
            }
            let arms = data.variants.iter().map(|variant| {
                let v = &variant.ident;
                let name = format!("{ident}.{v}");
                let pattern = match &variant.fields {
                    Fields::Unit => quote!(Self::#v),
                    Fields::Unnamed(_) => quote!(Self::#v(..)),
                    Fields::Named(_) => quote!(Self::#v { .. }),
                };
                quote!(#pattern => #name,)
            });
            quote!(match self { #(#arms)* })
        }
        Data::Struct(_) => {
            let name = ident.to_string();
            quote!(#name)
        }
        Data::Union(data) => {
            return Err(syn::Error::new_spanned(
                data.union_token,
                "`TaskError` is derived for an enum (or a struct), not a union",
            ));
        }
    };
    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics ::workflow_core::__private::TaskError for #ident #ty_generics #where_clause {
            fn name(&self) -> &'static str {
                #name_body
            }
            fn cause(&self) -> ::std::string::String {
                ::std::format!("{:?}", self)
            }
        }
    })
}

/// Serde attributes that change a type's JSON shape, which the workflow macro cannot follow.
const SHAPE_CHANGING: &[&str] = &[
    "rename",
    "rename_all",
    "rename_all_fields",
    "flatten",
    "tag",
    "content",
    "untagged",
    "transparent",
    "remote",
    "with",
    "serialize_with",
    "deserialize_with",
    "into",
    "from",
    "try_from",
];

fn check_serde_attrs(attrs: &[syn::Attribute], errors: &mut Vec<syn::Error>) {
    for attr in attrs {
        if !attr.path().is_ident("serde") {
            continue;
        }
        let _ = attr.parse_nested_meta(|meta| {
            if let Some(ident) = meta.path.get_ident() {
                let key = ident.to_string();
                if SHAPE_CHANGING.contains(&key.as_str()) {
                    errors.push(syn::Error::new_spanned(
                        &meta.path,
                        format!("`#[serde({key})]` changes this type's JSON shape, which a workflow body cannot follow: its JSONata paths use Rust field and variant names; remove it, or read this type only inside `#[task]`s (and do not derive `WorkflowType`)"),
                    ));
                }
            }
            // Skip the value of `key = value` and the contents of `key(..)`.
            if meta.input.peek(syn::Token![=]) {
                let _: syn::Token![=] = meta.input.parse()?;
                let _: syn::Expr = meta.input.parse()?;
            } else if meta.input.peek(syn::token::Paren) {
                let _content;
                syn::parenthesized!(_content in meta.input);
            }
            Ok(())
        });
    }
}

/// `impl WorkflowType`, after checking that serde keeps Rust's names.
pub(crate) fn workflow_type(item: TokenStream) -> syn::Result<TokenStream> {
    let input: DeriveInput = syn::parse2(item)?;
    let mut errors = Vec::new();
    check_serde_attrs(&input.attrs, &mut errors);
    match &input.data {
        Data::Struct(data) => {
            for field in &data.fields {
                check_serde_attrs(&field.attrs, &mut errors);
            }
            if matches!(data.fields, Fields::Unnamed(_)) {
                errors.push(syn::Error::new_spanned(
                    &input.ident,
                    "`WorkflowType` is for structs with named fields and enums; a tuple struct's JSON shape depends on its field count",
                ));
            }
        }
        Data::Enum(data) => {
            for variant in &data.variants {
                check_serde_attrs(&variant.attrs, &mut errors);
                for field in &variant.fields {
                    check_serde_attrs(&field.attrs, &mut errors);
                }
            }
        }
        Data::Union(data) => errors.push(syn::Error::new_spanned(
            data.union_token,
            "`WorkflowType` is derived for structs and enums, not unions",
        )),
    }
    if let Some(mut first) = errors.pop() {
        for err in errors {
            first.combine(err);
        }
        return Err(first);
    }
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics ::workflow_core::__private::WorkflowType for #ident #ty_generics #where_clause {}
    })
}
