//! The real AWS clients against the `workflow serve` command: `tests/clients/sfn_clients.py`
//! drives every operation with boto3 and the AWS CLI (installed by `scripts/test-deps`), every
//! request signed with SigV4 and checked by the server.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A `workflow serve` process, killed when dropped (a failed assertion included).
pub(crate) struct ServeProcess {
    child: Child,
    pub(crate) url: String,
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Set in the child process: the `workflow` arguments it runs (JSON list).
const ARGS_ENV: &str = "WORKFLOW_TEST_SERVE_ARGS";

/// The child: this test binary, run again as `workflow serve ...` (the command, parsed and run
/// as the `workflow` binary does), until it is killed. Does nothing in a normal test run.
#[test]
fn serve_process() {
    let Ok(args) = std::env::var(ARGS_ENV) else {
        return;
    };
    let args: Vec<String> = serde_json::from_str(&args).expect("a JSON list of arguments");
    let cli = <workflow_cli::Cli as clap::Parser>::parse_from(
        std::iter::once("workflow".to_string()).chain(args),
    );
    let (mut stdout, mut stderr) = (std::io::stdout(), std::io::stderr());
    let mut io = workflow_core::cli::Io {
        stdout: &mut stdout,
        stderr: &mut stderr,
    };
    if let Err(e) = workflow_cli::run(cli, &mut io) {
        eprintln!("error: {e:#}");
        std::process::exit(2);
    }
}

/// Starts `workflow serve --store DIR/state.db --addr 127.0.0.1:0 ARGS...` in a child process
/// and waits for the address it listens on.
pub(crate) fn serve(dir: &Path, args: &[&str]) -> ServeProcess {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let mut all: Vec<String> = vec!["serve".into(), "--store".into()];
    all.push(dir.join("state.db").display().to_string());
    all.extend(["--addr".to_string(), "127.0.0.1:0".to_string()]);
    all.extend(args.iter().map(|a| a.to_string()));
    serve_child("serve_clients::serve_process", ARGS_ENV, &all)
}

/// Runs the test `test` of this binary in a child process, with `env` set to `args` as JSON: a
/// test that then serves, printing `serve: listening on URL` on stderr. Waits for that line.
pub(crate) fn serve_child(test: &str, env: &str, args: &[String]) -> ServeProcess {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--nocapture", "--test-threads", "1"])
        .env(env, serde_json::to_string(args).unwrap())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the server process starts");
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    let mut seen = Vec::new();
    let url = loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(url) = line.strip_prefix("serve: listening on ") {
                    break url.trim_end_matches('/').to_string();
                }
                seen.push(line);
            }
            _ => panic!("workflow serve stopped before listening: {seen:?}"),
        }
    };
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.by_ref() {});
    ServeProcess { child, url }
}

#[test]
fn boto3_and_the_aws_cli_drive_every_operation() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let venv = root.join("target/test-deps/venv/bin");
    assert!(
        venv.join("aws").exists() && venv.join("python").exists(),
        "boto3 and the AWS CLI are missing: run scripts/test-deps"
    );
    let dir = std::env::temp_dir().join(format!("workflow-serve-clients-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let credentials = dir.with_extension("credentials.json");
    std::fs::write(
        &credentials,
        r#"[{"accessKeyId": "AKIDCLIENTS", "secretAccessKey": "clients-secret"}]"#,
    )
    .unwrap();
    let server = serve(&dir, &["--credentials", credentials.to_str().unwrap()]);
    let path = format!(
        "{}:{}",
        venv.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new(venv.join("python"))
        .arg(root.join("tests/clients/sfn_clients.py"))
        .arg(&server.url)
        .env("PATH", path)
        .env("AWS_ACCESS_KEY_ID", "AKIDCLIENTS")
        .env("AWS_SECRET_ACCESS_KEY", "clients-secret")
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "the client suite failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
    let _ = std::fs::remove_file(credentials);
}
