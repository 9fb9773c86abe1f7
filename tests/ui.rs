//! Compile-fail cases of `#[task]` and `#[workflow]`: one mistake per file in `ui/`, its
//! rendered errors in the `.stderr` next to it. Refresh them with
//! `TRYBUILD=overwrite cargo test -p workflow-tests --test ui` and read the diff like code.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/*.rs");
}
