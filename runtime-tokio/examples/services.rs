//! Services: a long-running process the sprite keeps alive, with its logs.

mod common;

use sprites::ServiceRequest;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let backend = common::Backend::start().await?;
    let sprite = backend
        .client
        .create(common::unique_name("services"))
        .await?;
    let result = async {
        let request = ServiceRequest {
            cmd: "sh".into(),
            args: vec![
                "-c".into(),
                "while true; do echo tick; sleep 1; done".into(),
            ],
            ..ServiceRequest::default()
        };
        let state = sprite.create_service("ticker", request).await?;
        println!("ticker: {:?} (pid {:?})", state.status, state.pid);

        for service in sprite.list_services().await? {
            println!("service {}: {:?}", service.name, service.status);
        }

        let logs = sprite.service_logs("ticker").await?;
        logs.process_all(|entry| println!("log: {entry:?}")).await?;

        sprite.stop_service("ticker").await?;
        sprite.delete_service("ticker").await?;
        Ok::<_, sprites::Error>(())
    }
    .await;
    sprite.destroy().await?;
    backend.stop().await;
    Ok(result?)
}
