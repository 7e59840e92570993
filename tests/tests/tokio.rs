//! The behavioural suite on tokio, against an in-process emulator.
//!
//! One emulator serves every test of this binary: it runs on its own thread and runtime, so
//! it outlives each test's runtime, and tests talk to it over loopback like any client.

use std::sync::OnceLock;
use std::time::Duration;

use sprites::{SpritesClient, Tokio};
use sprites_core::client::SpritesClientBuilder;
use sprites_tests::{self as suite, Ctx};

struct Server {
    base_url: String,
    token: String,
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("emulator runtime");
            rt.block_on(async move {
                let handle = sprites_emulator::Emulator::builder()
                    .start()
                    .await
                    .expect("start the emulator");
                tx.send(Server {
                    base_url: handle.base_url().to_string(),
                    token: handle.token().to_string(),
                })
                .expect("hand over the address");
                handle.wait().await;
            });
        });
        rx.recv_timeout(Duration::from_secs(60))
            .expect("the emulator started within 60 s")
    })
}

fn client() -> SpritesClient {
    let s = server();
    SpritesClientBuilder::<Tokio>::new(s.token.clone())
        .base_url(s.base_url.clone())
        .build()
}

fn ctx(test: &str) -> Ctx<Tokio> {
    Ctx::new(client(), &format!("tk-{test}"))
}

macro_rules! scenario {
    ($name:ident) => {
        #[tokio::test]
        async fn $name() {
            suite::$name(&ctx(stringify!($name))).await;
        }
    };
}

scenario!(sprites_crud_and_listing);
scenario!(exit_codes);
scenario!(output_and_stderr);
scenario!(stdin_round_trip);
scenario!(env_and_working_dir);
scenario!(tty_and_resize);
scenario!(sessions_attach_and_kill);
scenario!(checkpoints);
scenario!(filesystem);
scenario!(services);
scenario!(policy);

#[tokio::test]
async fn large_output_integrity() {
    let mib: u64 = std::env::var("SPRITES_TEST_BIG_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    suite::large_output_integrity(&ctx("large_output_integrity"), mib << 20).await;
}

#[tokio::test]
async fn proxy_to_a_port_in_the_sprite() {
    // A port that was free a moment ago; sprites share the host's network namespace.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    suite::proxy_to_a_port_in_the_sprite(&ctx("proxy"), port).await;
}

#[tokio::test]
async fn error_cases() {
    let s = server();
    let bad = SpritesClientBuilder::<Tokio>::new("not-the-token")
        .base_url(s.base_url.clone())
        .build();
    suite::error_cases(&ctx("error_cases"), &bad).await;
}

#[tokio::test]
async fn quiet_command_survives_keepalive() {
    let s = server();
    let keepalive = sprites_core::exec::Keepalive {
        interval: Duration::from_millis(100),
        idle_limit: Duration::from_millis(400),
    };
    let client = SpritesClientBuilder::<Tokio>::new(s.token.clone())
        .base_url(s.base_url.clone())
        .keepalive(Some(keepalive))
        .build();
    suite::quiet_command_survives_keepalive(&Ctx::new(client, "tk-quiet")).await;
}

/// A socket that closes before the exit status arrives is an error, never exit 0: a private
/// emulator's runtime is dropped under a running command, so its sockets end without any
/// exit frame.
#[tokio::test]
async fn closed_before_exit_is_an_error() {
    let emulator_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("emulator runtime");
    let handle = emulator_rt
        .spawn(async { sprites_emulator::Emulator::builder().start().await })
        .await
        .expect("join")
        .expect("start a private emulator");
    let client = SpritesClientBuilder::<Tokio>::new(handle.token().to_string())
        .base_url(handle.base_url().to_string())
        .build();
    let sprite = client.create("closing").await.expect("create");
    let mut child = sprite
        .command("sleep")
        .arg("5")
        .spawn()
        .await
        .expect("spawn");
    assert!(child.session_id().is_some(), "spawn waits for session_info");
    std::mem::forget(handle);
    emulator_rt.shutdown_background();
    let err = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("wait returns")
        .expect_err("no exit status arrived");
    assert!(
        matches!(err, sprites::Error::ClosedBeforeExit { .. }),
        "{err:?}"
    );
}
