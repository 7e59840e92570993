//! Streaming a long command: spawn it and print its output as it arrives.

mod common;

use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let backend = common::Backend::start().await?;
    let sprite = backend.client.create(common::unique_name("stream")).await?;
    let result = async {
        let mut child = sprite
            .command("sh")
            .arg("-c")
            .arg("for i in 1 2 3 4 5; do echo \"step $i\"; sleep 1; done; echo done >&2")
            .spawn()
            .await?;
        let stdout = child.take_stdout().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let started = std::time::Instant::now();
        while let Some(line) = lines.next_line().await? {
            println!("[{:>5.2}s] {line}", started.elapsed().as_secs_f64());
        }
        if let Some(mut stderr) = child.take_stderr() {
            eprint!("stderr: {}", stderr.read_to_string().await?);
        }
        let status = child.wait().await?;
        println!("exited with {}", status.code());
        Ok::<_, Box<dyn std::error::Error>>(())
    }
    .await;
    sprite.destroy().await?;
    backend.stop().await;
    result
}
