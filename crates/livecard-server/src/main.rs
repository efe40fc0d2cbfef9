//! `livecard-server`: flags and env vars in `livecard_server::Cli` (docs/PROTOCOL.md §6).

use anyhow::Context;
use clap::Parser;
use livecard_server::Cli;

/// glibc's malloc/free were ~20 % of the server's CPU answering 304s (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let cli = Cli::parse();
    let (mut config, data_dir) = cli.to_config();
    if let Some(dir) = data_dir {
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create data directory {}", dir.display()))?;
    }
    let listener = tokio::net::TcpListener::bind(cli.listen)
        .await
        .with_context(|| format!("cannot listen on {}", cli.listen))?;
    let addr = listener.local_addr()?;
    if cli.public_url.is_none() {
        // `--listen 127.0.0.1:0`: links must name the port actually bound, not port 0.
        config.public_url = format!("http://{addr}");
    }
    let backend = config
        .database_url
        .split(':')
        .next()
        .unwrap_or_default()
        .to_string();
    tracing::info!(%addr, %backend, public_url = %config.public_url, "starting");
    let store = livecard_server::connect(&config.database_url)
        .await
        .with_context(|| format!("cannot open database {}", redact(&config.database_url)))?;
    let state = livecard_server::AppState::new(store, config)?;
    let shutdown = livecard_server::shutdown_signal();
    // A line on stdout once the database is ready and the port bound (port 0 → real port),
    // for scripts and tests.
    println!("livecard-server listening on http://{addr}");
    livecard_server::serve_state(state, listener, shutdown)
        .await
        .context("livecard-server failed")?;
    tracing::info!("stopped");
    Ok(())
}

/// The URL without a password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}
