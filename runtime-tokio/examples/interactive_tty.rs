//! An interactive shell with a TTY: the terminal's size, stdin from this terminal, output
//! straight to it. (Input is line-buffered by the local terminal; a real client would put
//! the terminal in raw mode, for example with the `crossterm` crate, and resize on SIGWINCH.)

mod common;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let backend = common::Backend::start().await?;
    let sprite = backend.client.create(common::unique_name("tty")).await?;
    let result = async {
        let (rows, cols) = terminal_size().unwrap_or((24, 80));
        let mut child = sprite
            .command("sh")
            .tty(true)
            .tty_size(rows, cols)
            .stdin(true)
            .spawn()
            .await?;
        // Resizing works at any time; here it repeats the size, as after a SIGWINCH.
        child.resize(rows, cols)?;
        println!("Connected; type `exit` to leave.");

        let mut stdin = child.take_stdin().ok_or("no stdin")?;
        let mut stdout = child.take_stdout().ok_or("no stdout")?;
        let input = tokio::spawn(async move {
            let _ = tokio::io::copy(&mut tokio::io::stdin(), &mut stdin).await;
        });
        tokio::io::copy(&mut stdout, &mut tokio::io::stdout()).await?;
        let status = child.wait().await?;
        input.abort();
        println!("\nshell exited with {}", status.code());
        Ok::<_, Box<dyn std::error::Error>>(())
    }
    .await;
    sprite.destroy().await?;
    backend.stop().await;
    result
}

/// Rows and columns of the controlling terminal, from `stty size`.
fn terminal_size() -> Option<(u16, u16)> {
    let out = std::process::Command::new("stty")
        .arg("size")
        .stdin(std::process::Stdio::inherit())
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let mut parts = text.split_whitespace();
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}
