//! The quick start: create a sprite, run a command, write a file, take a checkpoint, delete
//! the file, restore the checkpoint, show the file is back, and destroy the sprite.
//!
//! ```text
//! cargo run -p sprites --example quickstart                      # local emulator
//! SPRITES_TOKEN=... cargo run -p sprites --example quickstart    # the real service
//! ```

mod common;

use sprites::Sprite;

const FILE: &str = "/home/sprite/hello.txt";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let backend = common::Backend::start().await?;
    let sprite = backend
        .client
        .create(common::unique_name("quickstart"))
        .await?;
    println!("Created sprite {}", sprite.name());

    let steps = run(&sprite).await;
    // Clean up even when a step failed.
    let destroyed = sprite.destroy().await;
    backend.stop().await;
    steps?;
    destroyed?;
    println!("Destroyed the sprite. Done.");
    Ok(())
}

async fn run(sprite: &Sprite) -> Result<(), Box<dyn std::error::Error>> {
    let output = sprite.command("uname").arg("-a").output().await?;
    print!("uname -a: {}", output.stdout_str());

    let fs = sprite.filesystem();
    fs.write_file(FILE, b"hello from the quick start\n").await?;
    println!("Wrote {FILE}");

    let checkpoint = sprite.checkpoint("with hello.txt").await?;
    println!("Checkpoint: {}", checkpoint.id);

    fs.remove(FILE).await?;
    println!("Deleted {FILE}; exists: {}", fs.exists(FILE).await?);

    sprite.restore(&checkpoint.id).await?;
    let text = fs.read_to_string(FILE).await?;
    print!("Restored {}; {FILE} is back: {text}", checkpoint.id);
    Ok(())
}
