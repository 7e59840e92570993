//! `sprites-emulator`: a local Sprites server.
//!
//! ```text
//! sprites-emulator [--listen ADDR] [--data-dir DIR | --ephemeral] [--token T]
//!                  [--isolation auto|plain|overlay]
//! ```
//! Prints `SPRITES_EMULATOR_URL=<base url>` and `SPRITES_EMULATOR_TOKEN=<token>` on stdout,
//! serves until Ctrl-C or SIGTERM, then shuts down gracefully.

use std::process::ExitCode;

use sprites_emulator::{Emulator, IsolationChoice};

const USAGE: &str = "usage: sprites-emulator [--listen ADDR] [--data-dir DIR | --ephemeral] [--token T] [--isolation auto|plain|overlay]";

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sprites-emulator: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let mut builder = Emulator::builder();
    let mut args = std::env::args().skip(1);
    let mut data_dir = None;
    let mut ephemeral = false;
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or(format!("{flag} needs a value\n{USAGE}"))
        };
        match flag.as_str() {
            "--listen" => {
                let v = value()?;
                builder = builder.listen(
                    v.parse()
                        .map_err(|e| format!("invalid --listen {v}: {e}"))?,
                );
            }
            "--data-dir" => data_dir = Some(value()?),
            "--ephemeral" => ephemeral = true,
            "--token" => builder = builder.token(value()?),
            "--isolation" => builder = builder.isolation(value()?.parse::<IsolationChoice>()?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    match (data_dir, ephemeral) {
        (Some(_), true) => return Err("--data-dir and --ephemeral exclude each other".into()),
        (Some(dir), false) => builder = builder.data_dir(dir),
        (None, _) => {}
    }
    let emulator = builder.start().await.map_err(|e| e.to_string())?;
    println!("SPRITES_EMULATOR_URL={}", emulator.base_url());
    println!("SPRITES_EMULATOR_TOKEN={}", emulator.token());
    println!(
        "SPRITES_EMULATOR_ISOLATION={}",
        emulator.isolation().as_str()
    );
    println!(
        "SPRITES_EMULATOR_DATA_DIR={}",
        emulator.data_dir().display()
    );
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| e.to_string())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    eprintln!("sprites-emulator: shutting down");
    emulator.shutdown().await;
    Ok(())
}
