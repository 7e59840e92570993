//! The filesystem API: write, read, list, stat, rename, copy, remove, and typed errors.

mod common;

use sprites::{Error, FsErrorCode};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let backend = common::Backend::start().await?;
    let sprite = backend.client.create(common::unique_name("files")).await?;
    let result = async {
        let fs = sprite.filesystem_at("/home/sprite");
        fs.mkdir_all("project/src").await?;
        fs.write_file("project/src/main.rs", b"fn main() {}\n")
            .await?;
        fs.write_file_with_mode("project/run.sh", b"#!/bin/sh\necho hi\n", 0o755)
            .await?;
        fs.copy("project/src/main.rs", "project/src/lib.rs").await?;
        fs.rename("project/src/lib.rs", "project/src/util.rs")
            .await?;

        for entry in fs.read_dir("project/src").await? {
            println!("{:>6} {}", entry.size, entry.name);
        }
        let info = fs.stat("project/run.sh").await?;
        println!("run.sh: mode {:o}, {} bytes", info.mode, info.size);

        match fs.read_file("does/not/exist").await {
            Err(Error::Filesystem(e)) if e.code == FsErrorCode::NotFound => {
                println!("missing file: {e}");
            }
            other => println!("unexpected: {other:?}"),
        }
        fs.remove_all("project").await?;
        Ok::<_, sprites::Error>(())
    }
    .await;
    sprite.destroy().await?;
    backend.stop().await;
    Ok(result?)
}
