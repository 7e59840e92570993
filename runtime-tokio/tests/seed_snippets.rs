//! Every snippet of the 0.1 crate's documentation, as written, must keep compiling.
//!
//! Each snippet sits in a function that is never called (they need a real server); the
//! quick start keeps its `#[tokio::main]` inside a module. The test below only makes the
//! file a test target; the check is that it compiles.
#![allow(dead_code)]

mod quick_start {
    use sprites::SpritesClient;

    #[tokio::main]
    async fn main() -> sprites::Result<()> {
        // Create a client with your API token
        let client = SpritesClient::new(std::env::var("SPRITES_TOKEN").unwrap());

        // Create a sprite
        let sprite = client.create("my-sprite").await?;

        // Run a command
        let output = sprite.command("uname").arg("-a").output().await?;
        println!("{}", output.stdout_str());

        // Create a checkpoint
        let checkpoint = sprite.checkpoint("Initial state").await?;
        println!("Checkpoint: {}", checkpoint.id);

        // Clean up
        sprite.destroy().await?;
        Ok(())
    }
}

async fn command_execution() -> sprites::Result<()> {
    use sprites::SpritesClient;

    let client = SpritesClient::new("token");
    let sprite = client.sprite("my-sprite");

    let output = sprite
        .command("npm")
        .arg("install")
        .current_dir("/app")
        .env("NODE_ENV", "production")
        .output()
        .await?;

    if output.success() {
        println!("stdout: {}", output.stdout_str());
    }
    Ok(())
}

async fn spawn_long_running() -> sprites::Result<()> {
    use sprites::SpritesClient;

    let client = SpritesClient::new("token");
    let sprite = client.sprite("my-sprite");

    let mut child = sprite.command("npm").arg("run").arg("dev").spawn().await?;

    // Wait for completion and get output
    let status = child.wait().await?;
    println!("Process exited with: {:?}", status);
    Ok(())
}

async fn checkpoints() -> sprites::Result<()> {
    use sprites::SpritesClient;

    let client = SpritesClient::new("token");
    let sprite = client.sprite("my-sprite");

    // Create a checkpoint before risky operations
    let checkpoint = sprite.checkpoint("Before migration").await?;

    // Run migrations...
    sprite
        .command("npm")
        .arg("run")
        .arg("migrate")
        .output()
        .await?;

    // If something goes wrong, restore instantly
    sprite.restore(&checkpoint.id).await?;
    Ok(())
}

async fn network_policies() -> sprites::Result<()> {
    use sprites::{NetworkPolicy, NetworkPolicyRule, PolicyAction, SpritesClient};

    let client = SpritesClient::new("token");
    let sprite = client.sprite("my-sprite");

    let policy = NetworkPolicy {
        rules: vec![
            NetworkPolicyRule {
                domain: "api.anthropic.com".into(),
                action: PolicyAction::Allow,
            },
            NetworkPolicyRule {
                domain: "*.example.org".into(),
                action: PolicyAction::Allow,
            },
            NetworkPolicyRule {
                domain: "*".into(),
                action: PolicyAction::Deny,
            },
        ],
        include: vec![],
    };

    sprite.set_policy(policy).await?;
    Ok(())
}

/// Every name the 0.1 crate exported from its root still resolves.
fn seed_exports() {
    #[allow(unused_imports)]
    use sprites::{
        AttachCommand, Checkpoint, Child, ChildStderr, ChildStdin, ChildStdout, Command, DirEntry,
        Error, ExecOptions, ExitStatus, FileInfo, Filesystem, ListCheckpointsOptions,
        ListCheckpointsResponse, ListOptions, ListSpritesResponse, NetworkPolicy,
        NetworkPolicyRule, Output, PolicyAction, PortMapping, ProxySession, Result,
        ServiceLogEntry, ServiceLogStream, ServiceRequest, ServiceState, ServiceStatus, Session,
        SessionInfo, Signal, Sprite, SpriteConfig, SpriteInfo, SpriteStatus, SpritesClient,
        SpritesClientBuilder, StreamMessage, UrlAuth, UrlSettings, Version,
    };
}

#[test]
fn seed_snippets_compile() {
    // The futures are built, never polled: constructing them needs no server.
    drop(command_execution());
    drop(spawn_long_running());
    drop(checkpoints());
    drop(network_policies());
    seed_exports();
}

#[test]
fn client_from_token_needs_no_runtime() {
    let client = sprites::SpritesClient::new("secret-token");
    assert!(!format!("{client:?}").contains("secret-token"));
}
