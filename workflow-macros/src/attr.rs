//! Attribute arguments: `#[workflow(name = "..", kind = "..", comment = "..")]`,
//! `#[task(retry(..), timeout = .., heartbeat = ..)]` (on a task or on one call), and
//! `#[state("Name")]` on a statement.

use proc_macro2::{Span, TokenStream};
use syn::parse::{ParseStream, Parser};
use syn::{LitFloat, LitInt, LitStr, Token};

mod kw {
    syn::custom_keyword!(name);
    syn::custom_keyword!(kind);
    syn::custom_keyword!(comment);
    syn::custom_keyword!(retry);
    syn::custom_keyword!(timeout);
    syn::custom_keyword!(heartbeat);
    syn::custom_keyword!(on);
    syn::custom_keyword!(interval);
    syn::custom_keyword!(max_attempts);
    syn::custom_keyword!(backoff);
    syn::custom_keyword!(max_delay);
    syn::custom_keyword!(jitter);
}

/// `#[workflow(..)]`.
#[derive(Default)]
pub(crate) struct WorkflowAttr {
    pub name: Option<LitStr>,
    pub express: bool,
    pub kind_span: Option<Span>,
    pub comment: Option<String>,
}

/// One `retry(..)` rule.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Retry {
    pub on: Vec<String>,
    pub interval: Option<u64>,
    pub max_attempts: Option<u64>,
    pub backoff: Option<f64>,
    pub max_delay: Option<u64>,
    pub jitter: Option<String>,
}

/// `#[task(..)]`, on a task function or on a statement that calls one.
#[derive(Debug, Default, Clone)]
pub(crate) struct TaskAttr {
    /// `None` when no `retry(..)` was given (a call then keeps the task's rules).
    pub retries: Option<Vec<Retry>>,
    pub timeout: Option<u64>,
    pub heartbeat: Option<u64>,
}

/// The closest of `candidates` to `word`, if it is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (distance(word, c), *c))
        .filter(|(d, c)| {
            *d <= 2.max(c.len().div_ceil(2)) || word.starts_with(c) || c.starts_with(word)
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(row[j]).min(row[j + 1])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

/// The error for an unknown argument: what was written, what is allowed, and the likely typo.
fn unknown(input: ParseStream<'_>, what: &str, allowed: &[&str]) -> syn::Error {
    let list = allowed
        .iter()
        .map(|a| format!("`{a}`"))
        .collect::<Vec<_>>()
        .join(", ");
    match input.fork().parse::<syn::Ident>() {
        Ok(ident) => {
            let word = ident.to_string();
            let hint = match did_you_mean(&word, allowed) {
                Some(close) => format!("; did you mean `{close}`?"),
                None => String::new(),
            };
            syn::Error::new(
                ident.span(),
                format!("unknown {what} argument `{word}`; expected one of {list}{hint}"),
            )
        }
        Err(_) => input.error(format!("expected one of {list}")),
    }
}

fn duplicate(span: Span, key: &str) -> syn::Error {
    syn::Error::new(span, format!("duplicate argument `{key}`"))
}

fn parse_u64(input: ParseStream<'_>, key: &str, min: u64) -> syn::Result<u64> {
    let lit: LitInt = input.parse().map_err(|err| {
        syn::Error::new(
            err.span(),
            format!("`{key}` takes a whole number of seconds or attempts"),
        )
    })?;
    let value: u64 = lit.base10_parse()?;
    if value < min {
        return Err(syn::Error::new(
            lit.span(),
            format!("`{key}` must be at least {min}"),
        ));
    }
    Ok(value)
}

impl WorkflowAttr {
    pub(crate) fn parse(args: TokenStream) -> syn::Result<WorkflowAttr> {
        let parser = |input: ParseStream<'_>| {
            let mut attr = WorkflowAttr::default();
            let mut seen_kind = false;
            while !input.is_empty() {
                let lookahead = input.lookahead1();
                if lookahead.peek(kw::name) {
                    let key: kw::name = input.parse()?;
                    if attr.name.is_some() {
                        return Err(duplicate(key.span, "name"));
                    }
                    input.parse::<Token![=]>()?;
                    let lit: LitStr = input.parse()?;
                    if !valid_machine_name(&lit.value()) {
                        return Err(syn::Error::new(
                            lit.span(),
                            "a state machine name has 1 to 80 letters, digits, `-` or `_`",
                        ));
                    }
                    attr.name = Some(lit);
                } else if lookahead.peek(kw::kind) {
                    let key: kw::kind = input.parse()?;
                    if seen_kind {
                        return Err(duplicate(key.span, "kind"));
                    }
                    seen_kind = true;
                    input.parse::<Token![=]>()?;
                    let lit: LitStr = input.parse()?;
                    attr.express = match lit.value().as_str() {
                        "standard" => false,
                        "express" => true,
                        other => {
                            return Err(syn::Error::new(
                                lit.span(),
                                format!(
                                    "unknown workflow kind \"{other}\"; expected \"standard\" or \"express\""
                                ),
                            ));
                        }
                    };
                    attr.kind_span = Some(lit.span());
                } else if lookahead.peek(kw::comment) {
                    let key: kw::comment = input.parse()?;
                    if attr.comment.is_some() {
                        return Err(duplicate(key.span, "comment"));
                    }
                    input.parse::<Token![=]>()?;
                    attr.comment = Some(input.parse::<LitStr>()?.value());
                } else {
                    return Err(unknown(
                        input,
                        "`#[workflow]`",
                        &["name", "kind", "comment"],
                    ));
                }
                if !input.is_empty() {
                    input.parse::<Token![,]>()?;
                }
            }
            Ok(attr)
        };
        parser.parse2(args)
    }
}

fn valid_machine_name(name: &str) -> bool {
    (1..=80).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl TaskAttr {
    pub(crate) fn parse(args: TokenStream) -> syn::Result<TaskAttr> {
        let parser = |input: ParseStream<'_>| {
            let mut attr = TaskAttr::default();
            let mut heartbeat_span = None;
            while !input.is_empty() {
                let lookahead = input.lookahead1();
                if lookahead.peek(kw::retry) {
                    input.parse::<kw::retry>()?;
                    let content;
                    syn::parenthesized!(content in input);
                    attr.retries
                        .get_or_insert_with(Vec::new)
                        .push(Retry::parse(&content)?);
                } else if lookahead.peek(kw::timeout) {
                    let key: kw::timeout = input.parse()?;
                    if attr.timeout.is_some() {
                        return Err(duplicate(key.span, "timeout"));
                    }
                    input.parse::<Token![=]>()?;
                    attr.timeout = Some(parse_u64(input, "timeout", 1)?);
                } else if lookahead.peek(kw::heartbeat) {
                    let key: kw::heartbeat = input.parse()?;
                    if attr.heartbeat.is_some() {
                        return Err(duplicate(key.span, "heartbeat"));
                    }
                    heartbeat_span = Some(key.span);
                    input.parse::<Token![=]>()?;
                    attr.heartbeat = Some(parse_u64(input, "heartbeat", 1)?);
                } else {
                    return Err(unknown(
                        input,
                        "`#[task]`",
                        &["retry", "timeout", "heartbeat"],
                    ));
                }
                if !input.is_empty() {
                    input.parse::<Token![,]>()?;
                }
            }
            if let (Some(timeout), Some(heartbeat)) = (attr.timeout, attr.heartbeat)
                && heartbeat >= timeout
            {
                return Err(syn::Error::new(
                    heartbeat_span.unwrap_or_else(Span::call_site),
                    format!(
                        "`heartbeat` ({heartbeat}) must be shorter than `timeout` ({timeout}): the engine fails a task that has not reported for `heartbeat` seconds"
                    ),
                ));
            }
            Ok(attr)
        };
        parser.parse2(args)
    }
}

impl Retry {
    fn parse(input: ParseStream<'_>) -> syn::Result<Retry> {
        let mut retry = Retry {
            on: Vec::new(),
            interval: None,
            max_attempts: None,
            backoff: None,
            max_delay: None,
            jitter: None,
        };
        let mut seen_on = false;
        while !input.is_empty() {
            let lookahead = input.lookahead1();
            if lookahead.peek(kw::on) {
                let key: kw::on = input.parse()?;
                if seen_on {
                    return Err(duplicate(key.span, "on"));
                }
                seen_on = true;
                input.parse::<Token![=]>()?;
                let content;
                syn::bracketed!(content in input);
                let names = content.parse_terminated(|i| i.parse::<LitStr>(), Token![,])?;
                for name in names {
                    if name.value().is_empty() {
                        return Err(syn::Error::new(
                            name.span(),
                            "an error name cannot be empty",
                        ));
                    }
                    retry.on.push(name.value());
                }
                if retry.on.is_empty() {
                    return Err(syn::Error::new(
                        key.span,
                        "`on` lists at least one error name, such as \"States.ALL\"",
                    ));
                }
            } else if lookahead.peek(kw::interval) {
                let key: kw::interval = input.parse()?;
                if retry.interval.is_some() {
                    return Err(duplicate(key.span, "interval"));
                }
                input.parse::<Token![=]>()?;
                retry.interval = Some(parse_u64(input, "interval", 1)?);
            } else if lookahead.peek(kw::max_attempts) {
                let key: kw::max_attempts = input.parse()?;
                if retry.max_attempts.is_some() {
                    return Err(duplicate(key.span, "max_attempts"));
                }
                input.parse::<Token![=]>()?;
                retry.max_attempts = Some(parse_u64(input, "max_attempts", 0)?);
            } else if lookahead.peek(kw::backoff) {
                let key: kw::backoff = input.parse()?;
                if retry.backoff.is_some() {
                    return Err(duplicate(key.span, "backoff"));
                }
                input.parse::<Token![=]>()?;
                let (value, span) = if input.peek(LitFloat) {
                    let lit: LitFloat = input.parse()?;
                    (lit.base10_parse::<f64>()?, lit.span())
                } else {
                    let lit: LitInt = input.parse()?;
                    (lit.base10_parse::<u64>()? as f64, lit.span())
                };
                if value < 1.0 {
                    return Err(syn::Error::new(span, "`backoff` must be at least 1.0"));
                }
                retry.backoff = Some(value);
            } else if lookahead.peek(kw::max_delay) {
                let key: kw::max_delay = input.parse()?;
                if retry.max_delay.is_some() {
                    return Err(duplicate(key.span, "max_delay"));
                }
                input.parse::<Token![=]>()?;
                retry.max_delay = Some(parse_u64(input, "max_delay", 1)?);
            } else if lookahead.peek(kw::jitter) {
                let key: kw::jitter = input.parse()?;
                if retry.jitter.is_some() {
                    return Err(duplicate(key.span, "jitter"));
                }
                input.parse::<Token![=]>()?;
                let lit: LitStr = input.parse()?;
                match lit.value().as_str() {
                    "FULL" | "NONE" => retry.jitter = Some(lit.value()),
                    _ => {
                        return Err(syn::Error::new(
                            lit.span(),
                            "`jitter` is \"FULL\" or \"NONE\"",
                        ));
                    }
                }
            } else {
                return Err(unknown(
                    input,
                    "`retry(..)`",
                    &[
                        "on",
                        "interval",
                        "max_attempts",
                        "backoff",
                        "max_delay",
                        "jitter",
                    ],
                ));
            }
            if !input.is_empty() {
                input.parse::<Token![,]>()?;
            }
        }
        if retry.on.is_empty() {
            retry.on.push("States.ALL".to_string());
        }
        Ok(retry)
    }
}

/// `#[state("Name")]`.
pub(crate) fn parse_state_name(attr: &syn::Attribute) -> syn::Result<LitStr> {
    let lit: LitStr = attr.parse_args().map_err(|err| {
        syn::Error::new(
            err.span(),
            "`#[state]` takes the state's name: `#[state(\"Name\")]`",
        )
    })?;
    let name = lit.value();
    if name.is_empty() || name.chars().count() > 80 {
        return Err(syn::Error::new(
            lit.span(),
            "a state name has 1 to 80 characters",
        ));
    }
    Ok(lit)
}
