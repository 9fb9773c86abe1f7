//! `serve`: the AWS Step Functions API and the web console on a store (see [`crate::serve`]).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, anyhow, bail};

use super::durable::{Hold, StoreArg, engine, host, runtime};
use super::{Exit, Io, source};
use crate::exec::{Engine, LoadedMachine, Mocks};
use crate::serve::{Api, Credentials, ServeConfig};

/// The environment variables that give the server one access key, like the AWS CLI's.
const ENV_KEY_ID: &str = "WORKFLOW_ACCESS_KEY_ID";
const ENV_SECRET: &str = "WORKFLOW_SECRET_ACCESS_KEY";

#[derive(Debug, clap::Args)]
#[command(
    long_about = "Serve the AWS Step Functions API (awsJson1_0: the AWS CLI, boto3 and the \
AWS SDKs work against it) and a web console at http://ADDR/, on a store whose executions this \
process hosts, as `worker` does.\n\n\
Without credentials, any request is accepted, so the server only listens on loopback. With \
--credentials FILE (JSON: [{\"accessKeyId\": \"...\", \"secretAccessKey\": \"...\"}]) or the \
environment variables WORKFLOW_ACCESS_KEY_ID and WORKFLOW_SECRET_ACCESS_KEY, every API request \
must be signed with SigV4 (service `states`) and the console asks for a key id and secret.\n\n\
Examples:\n  \
workflow serve --store .workflow/state.db\n  \
aws stepfunctions list-state-machines --endpoint-url http://127.0.0.1:8083"
)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArg,
    /// The address to listen on; port 0 picks a free one
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:8083")]
    pub addr: SocketAddr,
    /// The access keys that may call the API (JSON list of {accessKeyId, secretAccessKey})
    #[arg(long, value_name = "FILE")]
    pub credentials: Option<PathBuf>,
    /// Mocked responses for the Task states of the state machines (AWS Step Functions Local's
    /// mock file; each state machine by its name)
    #[arg(long, short, value_name = "FILE")]
    pub mocks: Option<PathBuf>,
    /// The test case of the mock file to use
    #[arg(long, value_name = "NAME", requires = "mocks")]
    pub test_case: Option<String>,
}

fn credentials(args: &ServeArgs) -> anyhow::Result<Credentials> {
    let mut credentials = match &args.credentials {
        Some(path) => {
            let text = std::fs::read_to_string(path).with_context(|| {
                format!("cannot read the credentials file '{}'", path.display())
            })?;
            Credentials::from_json(&text)
                .map_err(|e| anyhow!("bad credentials file '{}': {e}", path.display()))?
        }
        None => Credentials::default(),
    };
    match (std::env::var(ENV_KEY_ID), std::env::var(ENV_SECRET)) {
        (Ok(id), Ok(secret)) if !id.is_empty() && !secret.is_empty() => {
            credentials.insert(id, secret);
        }
        (Ok(_), Err(_)) | (Err(_), Ok(_)) => {
            bail!("set both {ENV_KEY_ID} and {ENV_SECRET}, or neither")
        }
        _ => {}
    }
    Ok(credentials)
}

/// The mocks of a mock file, for every state machine it names.
fn mocks(args: &ServeArgs, engine: &Engine) -> anyhow::Result<HashMap<String, Mocks>> {
    let mut out = HashMap::new();
    let Some(path) = &args.mocks else {
        return Ok(out);
    };
    super::durable::register_mocks(engine, path, args.test_case.as_deref())?;
    let value = source::read_json(path)?;
    if let Some(machines) = value.get("StateMachines").and_then(|m| m.as_object()) {
        for name in machines.keys() {
            let mocks = Mocks::from_json(&value, Some(name), args.test_case.as_deref())
                .map_err(|e| anyhow!("bad mock file '{}': {}", path.display(), e.0))?;
            out.insert(name.clone(), mocks);
        }
    }
    Ok(out)
}

/// `serve`.
pub(crate) fn serve(
    args: &ServeArgs,
    prepare: &dyn Fn(&Engine) -> anyhow::Result<Vec<LoadedMachine>>,
    io: &mut Io<'_>,
) -> anyhow::Result<Exit> {
    let credentials = credentials(args)?;
    crate::serve::check_bind(&args.addr, &credentials).map_err(|e| anyhow!(e))?;
    let held = args.store.hold(Hold::Worker)?;
    let engine = engine(held.store.clone());
    engine.forget_finished();
    let mocks = mocks(args, &engine)?;
    let machines = prepare(&engine)?;
    let api = Arc::new(Api::new(engine.clone(), held.store.clone(), mocks));
    for machine in &machines {
        api.adopt(machine).map_err(|e| {
            anyhow!(
                "cannot save the state machine '{}': {}",
                machine.name(),
                e.message
            )
        })?;
    }
    let rt = runtime()?;
    let listener = rt
        .block_on(tokio::net::TcpListener::bind(args.addr))
        .with_context(|| format!("cannot listen on {}", args.addr))?;
    let local = listener.local_addr()?;
    let config = ServeConfig {
        credentials: credentials.clone(),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = rt.spawn(crate::serve::serve(api, config, listener, async move {
        let _ = stopped.await;
    }));
    writeln!(
        io.stderr,
        "serve: hosting the executions of '{}'; {} (Ctrl-C to stop)",
        args.store.store.display(),
        if credentials.is_empty() {
            "requests are not authenticated".to_string()
        } else {
            format!("{} access key(s) may call, with SigV4", credentials.len())
        },
    )?;
    writeln!(io.stderr, "serve: listening on http://{local}")?;
    rt.block_on(host(&engine, "serve", None, false, io));
    let _ = stop.send(());
    let served = rt.block_on(server);
    writeln!(io.stderr, "serve: stopped")?;
    match served {
        Ok(Ok(())) => Ok(Exit::Success),
        Ok(Err(e)) => Err(anyhow!("the server failed: {e}")),
        Err(e) => Err(anyhow!("the server failed: {e}")),
    }
}
