//! Shared by the examples: a client for the real API when `SPRITES_TOKEN` is set, else for
//! the emulator started in-process.

use sprites::SpritesClient;
use sprites_emulator::{Emulator, EmulatorHandle};

/// Where the examples run.
pub struct Backend {
    pub client: SpritesClient,
    emulator: Option<EmulatorHandle>,
}

impl Backend {
    /// The real API with `SPRITES_TOKEN` (and `SPRITES_API_URL` if set), else a local
    /// emulator; says which.
    pub async fn start() -> Result<Self, Box<dyn std::error::Error>> {
        if std::env::var_os("SPRITES_TOKEN").is_some() {
            let client = SpritesClient::from_env()?;
            println!("Using the Sprites API at {}", client.base_url());
            return Ok(Backend {
                client,
                emulator: None,
            });
        }
        let emulator = Emulator::builder().start().await?;
        println!(
            "SPRITES_TOKEN is not set: using the local emulator at {}",
            emulator.base_url()
        );
        let client = SpritesClient::with_base_url(emulator.token(), emulator.base_url());
        Ok(Backend {
            client,
            emulator: Some(emulator),
        })
    }

    /// Stops the emulator, if one was started.
    pub async fn stop(self) {
        if let Some(emulator) = self.emulator {
            emulator.shutdown().await;
        }
    }
}

/// A sprite name unlikely to collide with an existing one.
pub fn unique_name(prefix: &str) -> String {
    format!("{prefix}-{}", fastrand_suffix())
}

fn fastrand_suffix() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("{:x}{:x}", std::process::id(), nanos)
}
