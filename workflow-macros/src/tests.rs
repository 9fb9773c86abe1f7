//! Data-driven tests of parse, check and lower: each case is a workflow (or task) written with
//! `parse_quote!` and what must come out: fragments of the ASL text (comments removed, task
//! constants shown as `«path::NAME»`), or fragments of the error messages.

use proc_macro2::TokenStream;
use quote::quote;

use crate::ast::AsyncFn;
use crate::attr::WorkflowAttr;
use crate::ctxt::Ctxt;
use crate::graph::{Writer, render};
use crate::{check, lower};

enum Expect<'a> {
    /// Fragments of the ASL text, in order.
    Asl(&'a [&'a str]),
    /// Fragments of the error messages.
    Errors(&'a [&'a str]),
}

/// Removes `"Comment":"file:line",` (spans in tests have no file).
fn without_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(pos) = rest.find(",\"Comment\":\"") {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + ",\"Comment\":\"".len()..];
        let end = after.find('"').map_or(after.len(), |e| e + 1);
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// Runs the workflow pipeline: the ASL text, or every error message.
fn run(args: TokenStream, item: TokenStream) -> Result<String, Vec<String>> {
    let messages = |err: syn::Error| err.into_iter().map(|e| e.to_string()).collect::<Vec<_>>();
    let item: syn::ItemFn = syn::parse2(item).map_err(messages)?;
    let attr = WorkflowAttr::parse(args).map_err(messages)?;
    let ast = AsyncFn::from_syn(&item, "`#[workflow]`").map_err(messages)?;
    let cx = Ctxt::new();
    let reserved = check::workflow(&cx, &item.block);
    cx.check().map_err(messages)?;
    let sig = lower::Signature {
        name: ast.name().to_string(),
        params: ast.params.iter().map(|p| p.name.to_string()).collect(),
        span: ast.name().span(),
    };
    let machine = lower::workflow(&sig, &attr, &item.block, &reserved)
        .map_err(|errors| errors.into_iter().flat_map(messages).collect::<Vec<_>>())?;
    let mut writer = Writer::new();
    writer.machine(&machine);
    Ok(without_comments(&render(&writer.pieces)))
}

fn check(name: &str, args: TokenStream, item: TokenStream, expect: Expect<'_>) {
    match (run(args, item), expect) {
        (Ok(asl), Expect::Asl(fragments)) => {
            let mut at = 0;
            for fragment in fragments {
                match asl[at..].find(fragment) {
                    Some(pos) => at += pos + fragment.len(),
                    None => panic!("{name}: missing (in order) {fragment}\nASL: {asl}"),
                }
            }
        }
        (Err(errors), Expect::Errors(fragments)) => {
            for fragment in fragments {
                assert!(
                    errors.iter().any(|e| e.contains(fragment)),
                    "{name}: no error contains {fragment:?}; errors: {errors:#?}"
                );
            }
        }
        (Ok(asl), Expect::Errors(_)) => panic!("{name}: expected errors, got ASL {asl}"),
        (Err(errors), Expect::Asl(_)) => panic!("{name}: expected ASL, got {errors:#?}"),
    }
}

#[test]
fn lowering() {
    let cases: Vec<(&str, TokenStream, TokenStream, Expect<'_>)> = vec![
        (
            "task call with ? binds the result",
            quote!(),
            quote! {
                async fn w(order: Order) -> Result<Stock, WorkflowError> {
                    let stock = check_inventory(order).await?;
                    Ok(stock)
                }
            },
            Expect::Asl(&[
                r#""StartAt":"Start""#,
                r#""Start":{"Type":"Pass","Assign":{"order":"{% $states.input %}"},"Next":"CheckInventory"}"#,
                r#""Resource":"arn:aws:states:::lambda:invoke","Arguments":{"FunctionName":"${check_inventory}","Payload":"{% $order %}"},"Assign":{"stock":"{% $states.result.Payload %}"}«check_inventory::__RETRY»«check_inventory::__TIMEOUT»«check_inventory::__HEARTBEAT»,"Next":"Done""#,
                r#""Done":{"Type":"Succeed","Output":"{% $stock %}"}"#,
            ]),
        ),
        (
            "several arguments are keyed by the task's parameter names",
            quote!(),
            quote! {
                async fn w(a: u32, b: u32) -> Result<u32, WorkflowError> {
                    let c = add(a, b + 1).await?;
                    Ok(c)
                }
            },
            Expect::Asl(&[
                r#""Assign":{"a":"{% $states.input.a %}","b":"{% $states.input.b %}"}"#,
                r#""Payload":{"«add::__PARAM_0»":"{% $a %}","«add::__PARAM_1»":"{% $b + 1 %}"}"#,
            ]),
        ),
        (
            "consecutive pure lets merge into one Pass unless one reads another",
            quote!(),
            quote! {
                async fn w(n: u32) -> Result<u32, WorkflowError> {
                    let a = n + 1;
                    let b = n * 2;
                    let c = a + b;
                    Ok(c)
                }
            },
            Expect::Asl(&[
                r#""SetA":{"Type":"Pass","Assign":{"a":"{% $n + 1 %}","b":"{% $n * 2 %}"},"Next":"SetC"}"#,
                r#""SetC":{"Type":"Pass","Assign":{"c":"{% $a + $b %}"}"#,
            ]),
        ),
        (
            "if/else is a Choice whose branches rejoin",
            quote!(),
            quote! {
                async fn w(n: u32) -> Result<u32, WorkflowError> {
                    let mut x = 0;
                    if n > 10 {
                        x = big(n).await?;
                    } else {
                        x = small(n).await?;
                    }
                    Ok(x)
                }
            },
            Expect::Asl(&[
                r#""IfN":{"Type":"Choice","Choices":[{"Condition":"{% $n > 10 %}","Next":"Big"}],"Default":"Small"}"#,
                r#""Big":"#,
                r#""Next":"Done""#,
                r#""Small":"#,
                r#""Next":"Done""#,
            ]),
        ),
        (
            "shadowing gets a new variable",
            quote!(),
            quote! {
                async fn w(x: u32) -> Result<u32, WorkflowError> {
                    let x = f(x).await?;
                    Ok(x)
                }
            },
            Expect::Asl(&[
                r#""Payload":"{% $x %}"},"Assign":{"x2":"{% $states.result.Payload %}"}"#,
                r#""Output":"{% $x2 %}""#,
            ]),
        ),
        (
            "match on a task's Result becomes Catch by error name",
            quote!(),
            quote! {
                async fn w(o: Order) -> Result<String, WorkflowError> {
                    let r = match charge(o).await {
                        Ok(r) => r,
                        Err(PaymentError::Declined { .. }) => return Err(WorkflowError::new("Declined", "no")),
                        Err(e) => return Err(e.into()),
                    };
                    Ok(r)
                }
            },
            Expect::Asl(&[
                r#""Assign":{"r":"{% $states.result.Payload %}"}"#,
                r#""Catch":[{"ErrorEquals":["PaymentError.Declined"],"Next":"Declined"},{"ErrorEquals":["States.ALL"],"Assign":{"e":"{% $states.errorOutput %}"},"Next":"Fail"}]"#,
                r#""Declined":{"Type":"Fail","Error":"Declined","Cause":"no"}"#,
                r#""Fail":{"Type":"Fail","Error":"{% $e.Error %}","Cause":"{% $e.Cause %}"}"#,
            ]),
        ),
        (
            "a caught error with a value goes into the catcher's Assign",
            quote!(),
            quote! {
                async fn w(i: Image) -> Result<Option<String>, WorkflowError> {
                    let t = match thumbnail(i).await {
                        Ok(t) => Some(t),
                        Err(_) => None,
                    };
                    Ok(t)
                }
            },
            Expect::Asl(&[
                r#""Assign":{"t":"{% $states.result.Payload %}"}"#,
                r#"{"ErrorEquals":["States.ALL"],"Assign":{"t":"{% null %}"},"Next":"Done"}"#,
            ]),
        ),
        (
            "per-call task settings replace the task's",
            quote!(),
            quote! {
                async fn w(n: u32) -> Result<u32, WorkflowError> {
                    #[task(timeout = 5, retry(on = ["X"], max_attempts = 1))]
                    let m = f(n).await?;
                    Ok(m)
                }
            },
            Expect::Asl(&[
                r#","Retry":[{"ErrorEquals":["X"],"MaxAttempts":1}],"TimeoutSeconds":5«f::__HEARTBEAT»"#,
            ]),
        ),
        (
            "#[state] names a state",
            quote!(),
            quote! {
                async fn w(n: u32) -> Result<u32, WorkflowError> {
                    #[state("Reserve stock")]
                    let m = f(n).await?;
                    Ok(m)
                }
            },
            Expect::Asl(&[r#""Reserve stock":{"Type":"Task""#]),
        ),
        (
            "repeated tasks get numbered names",
            quote!(),
            quote! {
                async fn w(n: u32) -> Result<u32, WorkflowError> {
                    let a = f(n).await?;
                    let b = f(a).await?;
                    Ok(b)
                }
            },
            Expect::Asl(&[r#""F":{"#, r#""Next":"F2""#, r#""F2":{"#]),
        ),
        (
            "while loops back to its Choice",
            quote!(),
            quote! {
                async fn w(job: String) -> Result<String, WorkflowError> {
                    let mut status = poll(job.clone()).await?;
                    while status != "done" {
                        sleep(30).await;
                        status = poll(job.clone()).await?;
                    }
                    Ok(status)
                }
            },
            Expect::Asl(&[
                r#""WhileStatus":{"Type":"Choice","Choices":[{"Condition":"{% $status != \"done\" %}","Next":"Sleep"}],"Default":"Done"}"#,
                r#""Sleep":{"Type":"Wait","Seconds":30,"Next":"Poll2"}"#,
                r#""Assign":{"status":"{% $states.result.Payload %}"}"#,
                r#""Next":"WhileStatus""#,
            ]),
        ),
        (
            "for goes over an index",
            quote!(),
            quote! {
                async fn w(xs: Vec<u32>) -> Result<u32, WorkflowError> {
                    let mut total = 0;
                    for x in xs {
                        total += x;
                    }
                    Ok(total)
                }
            },
            Expect::Asl(&[
                r#""ForEachX":{"Type":"Pass","Assign":{"x_items":"{% $xs %}","x_index":0},"Next":"HasNextX"}"#,
                r#""HasNextX":{"Type":"Choice","Choices":[{"Condition":"{% $x_index < $count($x_items) %}","Next":"NextX"}],"Default":"Done"}"#,
                r#""NextX":{"Type":"Pass","Assign":{"x":"{% $x_items[$x_index] %}","x_index":"{% $x_index + 1 %}"},"Next":"UpdateTotal"}"#,
                r#""UpdateTotal":{"Type":"Pass","Assign":{"total":"{% $total + $x %}"},"Next":"HasNextX"}"#,
            ]),
        ),
        (
            "match on literals and variants is a Choice with a Default",
            quote!(),
            quote! {
                async fn w(size: Size) -> Result<u32, WorkflowError> {
                    match size {
                        Size::Small => {
                            let n = small().await?;
                            Ok(n)
                        }
                        _ => Ok(0),
                    }
                }
            },
            Expect::Asl(&[
                r#""MatchSize":{"Type":"Choice","Choices":[{"Condition":"{% $size = \"Small\" %}","Next":"Small"}],"Default":"Done2"}"#,
            ]),
        ),
        (
            "a pure match in a let is a conditional expression",
            quote!(),
            quote! {
                async fn w(n: u32) -> Result<String, WorkflowError> {
                    let s = match n { 1 => "one", 2 | 3 => "few", _ => "many" };
                    Ok(s.to_string())
                }
            },
            Expect::Asl(&[
                r#""{% ($n = 1 ? \"one\" : (($n = 2) or ($n = 3) ? \"few\" : \"many\")) %}""#,
            ]),
        ),
        (
            "map is a Map with an ItemProcessor",
            quote!(),
            quote! {
                async fn w(xs: Vec<u32>, k: u32) -> Result<Vec<u32>, WorkflowError> {
                    let ys = map(xs, |x| async move {
                        let y = f(x, k).await?;
                        Ok(y)
                    }).max_concurrency(4).await?;
                    Ok(ys)
                }
            },
            Expect::Asl(&[
                r#""MapYs":{"Type":"Map","Items":"{% $xs %}","MaxConcurrency":4,"ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"MapYsItem""#,
                r#""Assign":{"x":"{% $states.input %}"}"#,
                r#""«f::__PARAM_1»":"{% $k %}""#,
                r#""Assign":{"ys":"{% $states.result %}"}"#,
            ]),
        ),
        (
            "join! is a Parallel with results by position",
            quote!(),
            quote! {
                async fn w(n: u32) -> Result<u32, WorkflowError> {
                    let (a, b) = join!(
                        async { let a = f(n).await?; Ok(a) },
                        async { let b = g(n).await?; Ok(b) },
                    )?;
                    Ok(a + b)
                }
            },
            Expect::Asl(&[
                r#""JoinA":{"Type":"Parallel","Branches":[{"StartAt":"F""#,
                r#"{"StartAt":"G""#,
                r#""Assign":{"a2":"{% $states.result[0] %}","b2":"{% $states.result[1] %}"}"#,
                r#""Output":"{% $a2 + $b2 %}""#,
            ]),
        ),
        (
            "sleep_until is a Wait with a Timestamp",
            quote!(),
            quote! {
                async fn w(at: String) -> Result<(), WorkflowError> {
                    sleep_until(at).await;
                    Ok(())
                }
            },
            Expect::Asl(&[
                r#""SleepUntil":{"Type":"Wait","Timestamp":"{% $at %}","Next":"Done"}"#,
                r#""Done":{"Type":"Succeed"}"#,
            ]),
        ),
        (
            "callback waits for a task token",
            quote!(),
            quote! {
                async fn w(r: Request) -> Result<bool, WorkflowError> {
                    let ok = callback(|token| ask(token, r.clone())).await?;
                    Ok(ok)
                }
            },
            Expect::Asl(&[
                r#""Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken","Arguments":{"FunctionName":"${ask}","Payload":{"«ask::__PARAM_0»":"{% $states.context.Task.Token %}","«ask::__PARAM_1»":"{% $r %}"}},"Assign":{"ok":"{% $states.result %}"}"#,
            ]),
        ),
        (
            "a child workflow starts an execution and waits for it",
            quote!(),
            quote! {
                async fn w(o: Order) -> Result<Receipt, WorkflowError> {
                    let r = child_workflow(fulfil(o)).await?;
                    Ok(r)
                }
            },
            Expect::Asl(&[
                r#""Resource":"arn:aws:states:::states:startExecution.sync:2","Arguments":{"StateMachineArn":"${«fulfil::NAME»}","Input":"{% $o %}"},"Assign":{"r":"{% $states.result.Output %}"},"Next":"Done""#,
            ]),
        ),
        (
            "fail! and format! and methods",
            quote!(name = "Checks", kind = "express", comment = "c"),
            quote! {
                async fn w(o: Order) -> Result<String, WorkflowError> {
                    if o.lines.is_empty() || !o.id.starts_with("o-") {
                        fail!("Invalid", format!("order {} is invalid", o.id));
                    }
                    let names = o.lines.iter().map(|l| l.sku.to_uppercase()).collect::<Vec<_>>();
                    Ok(format!("{}: {}", o.id, names.len()))
                }
            },
            Expect::Asl(&[
                r#"{"Comment":"c","QueryLanguage":"JSONata""#,
                r#""Condition":"{% (($type($o.lines) = \"string\" ? $length($o.lines) : $count($o.lines)) = 0) or $not(($substring($o.id, 0, $length(\"o-\")) = \"o-\")) %}""#,
                r#""Invalid":{"Type":"Fail","Error":"Invalid","Cause":"{% (\"order \" & $string($o.id) & \" is invalid\") %}"}"#,
                r#""names":"{% [$map($o.lines, function($l) { $uppercase($l.sku) })] %}""#,
            ]),
        ),
    ];
    for (name, args, item, expect) in cases {
        check(name, args, item, expect);
    }
}

#[test]
fn errors() {
    let cases: Vec<(&str, TokenStream, TokenStream, Expect<'_>)> = vec![
        (
            "every unsupported construct is reported at once",
            quote!(),
            quote! {
                async fn w(n: u32) -> Result<u32, WorkflowError> {
                    loop {}
                    unsafe { f() };
                    let c = || 1;
                    println!("x");
                    let s = n.pow(2);
                    Ok(n)
                }
            },
            Expect::Errors(&[
                "`loop` is not supported in a `#[workflow]` body; use `while` with a condition",
                "`unsafe` is not supported",
                "closures are only supported as the argument of `map`",
                "the macro `println!` is not supported",
                "the method `pow` is not supported",
            ]),
        ),
        (
            "a task must be async and return a Result",
            quote!(),
            quote! {
                fn w(n: u32) -> u32 { n }
            },
            Expect::Errors(&["must be an `async fn`", "must return `Result<T, E>`"]),
        ),
        (
            "unknown attribute keys suggest the closest one",
            quote!(nmae = "X"),
            quote! { async fn w() -> Result<(), WorkflowError> { Ok(()) } },
            Expect::Errors(&[
                "unknown `#[workflow]` argument `nmae`; expected one of `name`, `kind`, `comment`; did you mean `name`?",
            ]),
        ),
        (
            "duplicate state names",
            quote!(),
            quote! {
                async fn w(n: u32) -> Result<u32, WorkflowError> {
                    #[state("A")]
                    let a = f(n).await?;
                    #[state("A")]
                    let b = f(a).await?;
                    Ok(b)
                }
            },
            Expect::Errors(&["duplicate state name \"A\""]),
        ),
        (
            "express workflows cannot wait for callbacks or children",
            quote!(kind = "express"),
            quote! {
                async fn w(r: Request) -> Result<bool, WorkflowError> {
                    let ok = callback(|token| ask(token, r)).await?;
                    let c = child_workflow(other(ok)).await?;
                    Ok(c)
                }
            },
            Expect::Errors(&[
                "an express workflow cannot wait for a callback",
                "an express workflow cannot start a child workflow",
            ]),
        ),
        (
            "a map iteration cannot assign an outer variable",
            quote!(),
            quote! {
                async fn w(xs: Vec<u32>) -> Result<u32, WorkflowError> {
                    let mut total = 0;
                    let ys = map(xs, |x| async move {
                        total = x;
                        Ok(x)
                    }).await?;
                    Ok(total)
                }
            },
            Expect::Errors(&["cannot change `total`, a variable outside it"]),
        ),
        (
            "an unhandled task Result",
            quote!(),
            quote! {
                async fn w(n: u32) -> Result<u32, WorkflowError> {
                    let x = f(n).await;
                    Ok(n)
                }
            },
            Expect::Errors(&["must be handled: add `?`"]),
        ),
        (
            "unknown variables and calls in expressions",
            quote!(),
            quote! {
                async fn w(n: u32) -> Result<u32, WorkflowError> {
                    let x = LIMIT + helper(n);
                    Ok(x)
                }
            },
            Expect::Errors(&[
                "`LIMIT` is not a variable of this workflow",
                "function calls are not supported in a workflow expression",
            ]),
        ),
        (
            "retry arguments are checked",
            quote!(),
            quote! {
                async fn w(n: u32) -> Result<u32, WorkflowError> {
                    #[task(retry(max_atempts = 3))]
                    let x = f(n).await?;
                    Ok(x)
                }
            },
            Expect::Errors(&[
                "unknown `retry(..)` argument `max_atempts`",
                "did you mean `max_attempts`?",
            ]),
        ),
    ];
    for (name, args, item, expect) in cases {
        check(name, args, item, expect);
    }
}

#[test]
fn task_attributes() {
    let attr = crate::attr::TaskAttr::parse(quote!(
        retry(
            on = ["A", "B"],
            interval = 2,
            max_attempts = 3,
            backoff = 2,
            max_delay = 10,
            jitter = "FULL"
        ),
        retry(),
        timeout = 30,
        heartbeat = 10
    ))
    .expect("parses");
    let retries = attr.retries.expect("has retries");
    assert_eq!(
        crate::graph::retry_json(&retries),
        r#","Retry":[{"ErrorEquals":["A","B"],"IntervalSeconds":2,"MaxAttempts":3,"BackoffRate":2.0,"MaxDelaySeconds":10,"JitterStrategy":"FULL"},{"ErrorEquals":["States.ALL"]}]"#
    );
    assert_eq!((attr.timeout, attr.heartbeat), (Some(30), Some(10)));
    let err = crate::attr::TaskAttr::parse(quote!(timeout = 5, heartbeat = 5)).expect_err("fails");
    assert!(
        err.to_string().contains("must be shorter than `timeout`"),
        "{err}"
    );
    let err = crate::attr::TaskAttr::parse(quote!(timeout = 5, timeout = 6)).expect_err("fails");
    assert_eq!(err.to_string(), "duplicate argument `timeout`");
    let err = crate::attr::TaskAttr::parse(quote!(retries = 5)).expect_err("fails");
    assert_eq!(
        err.to_string(),
        "unknown `#[task]` argument `retries`; expected one of `retry`, `timeout`, `heartbeat`; did you mean `retry`?"
    );
}
