//! A handle on one sprite: lifecycle, exec, checkpoints, services, policy.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use super::exec::{AttachCommand, Command};
use super::fs::Filesystem;
use super::runtime::Runtime;
use super::stream::EventStream;
use super::SpritesClient;
use crate::error::{Error, Result};
use crate::model::{
    Checkpoint, KillEvent, ListCheckpointsOptions, NetworkPolicy, Service, ServiceLogEntry,
    ServiceRequest, ServiceState, SessionInfo, Signal, SpriteInfo, StreamMessage,
    UpdateSpriteRequest, UrlSettings,
};
use crate::ops::{
    CreateCheckpoint, DeleteCheckpoint, DeleteService, GetCheckpoint, GetNetworkPolicy, GetService,
    JsonPolicy, JsonPolicyAction, KillSession, ListCheckpoints, ListServices, ListSessions,
    PolicyKind, PutService, RestoreCheckpoint, ServiceAction, ServiceControl, ServiceLogs,
    SetNetworkPolicy, SignalService, UpdateSprite, UpgradeSprite,
};

/// A handle on one sprite. Cheap to clone; creating one sends nothing.
///
/// ```no_run
/// # async fn demo(sprite: sprites_core::client::Sprite<impl sprites_core::client::Runtime>) -> sprites_core::Result<()> {
/// let checkpoint = sprite.checkpoint("before upgrade").await?;
/// sprite.command("apt-get").args(["install", "-y", "jq"]).output().await?;
/// sprite.restore(&checkpoint.id).await?;
/// # Ok(()) }
/// ```
pub struct Sprite<R: Runtime> {
    client: SpritesClient<R>,
    name: String,
}

impl<R: Runtime> Clone for Sprite<R> {
    fn clone(&self) -> Self {
        Sprite {
            client: self.client.clone(),
            name: self.name.clone(),
        }
    }
}

impl<R: Runtime> fmt::Debug for Sprite<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sprite").field("name", &self.name).finish()
    }
}

impl<R: Runtime> Sprite<R> {
    pub(super) fn new(client: SpritesClient<R>, name: String) -> Self {
        Sprite { client, name }
    }

    /// The sprite's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The client this handle uses.
    #[must_use]
    pub fn client(&self) -> &SpritesClient<R> {
        &self.client
    }

    // --- lifecycle ---------------------------------------------------------------------

    /// The sprite's current details.
    pub async fn info(&self) -> Result<SpriteInfo> {
        self.client.get(&self.name).await
    }

    /// Deletes the sprite, its disk and its checkpoints. Irreversible.
    pub async fn destroy(&self) -> Result<()> {
        self.client.delete(&self.name).await
    }

    /// Upgrades the in-sprite environment to the latest version.
    pub async fn upgrade(&self) -> Result<()> {
        self.client
            .call(&UpgradeSprite::new(self.name.clone()))
            .await
    }

    /// Changes URL settings and/or labels; fields left `None` stay as they are.
    pub async fn update(&self, update: UpdateSpriteRequest) -> Result<SpriteInfo> {
        let op = UpdateSprite {
            sprite: self.name.clone(),
            update,
        };
        self.client.call(&op).await
    }

    /// Sets who may reach the sprite's URL.
    pub async fn update_url_settings(&self, settings: UrlSettings) -> Result<()> {
        let update = UpdateSpriteRequest {
            url_settings: Some(settings),
            ..UpdateSpriteRequest::default()
        };
        self.update(update).await.map(drop)
    }

    /// Replaces the sprite's labels.
    pub async fn set_labels(&self, labels: Vec<String>) -> Result<SpriteInfo> {
        let update = UpdateSpriteRequest {
            labels: Some(labels),
            ..UpdateSpriteRequest::default()
        };
        self.update(update).await
    }

    // --- exec --------------------------------------------------------------------------

    /// A command to run in the sprite, configured like `std::process::Command`.
    pub fn command(&self, program: &str) -> Command<R> {
        Command::new(self.clone(), program)
    }

    /// A command with a TTY (a detachable session): `command(program).tty(true)`.
    pub fn create_session(&self, program: &str) -> Command<R> {
        self.command(program).tty(true)
    }

    /// Attaches to running session `session_id`.
    pub fn attach_session(&self, session_id: &str) -> AttachCommand<R> {
        AttachCommand::new(self.clone(), session_id)
    }

    /// The sprite's running exec sessions.
    pub async fn list_sessions(&self) -> Result<Vec<SessionInfo>> {
        self.client
            .call(&ListSessions::new(self.name.clone()))
            .await
    }

    /// Signals session `session_id` (SIGTERM by default) and, within `timeout`, escalates to
    /// SIGKILL; streams what happened. A session that already exited gives an empty stream.
    pub async fn kill_session(
        &self,
        session_id: &str,
        signal: Option<Signal>,
        timeout: Option<Duration>,
    ) -> Result<EventStream<R, KillEvent>> {
        let op = KillSession {
            sprite: self.name.clone(),
            session_id: String::from(session_id),
            signal,
            timeout,
        };
        self.client.call_stream(&op).await
    }

    // --- filesystem --------------------------------------------------------------------

    /// The sprite's filesystem; relative paths start at `/`.
    pub fn filesystem(&self) -> Filesystem<R> {
        Filesystem::new(self.clone(), None)
    }

    /// The sprite's filesystem with relative paths starting at `dir`.
    pub fn filesystem_at(&self, dir: &str) -> Filesystem<R> {
        Filesystem::new(self.clone(), Some(String::from(dir)))
    }

    // --- checkpoints -------------------------------------------------------------------

    /// Takes a checkpoint of the sprite's filesystem and returns it once complete. Running
    /// processes are not interrupted. An error line in the progress stream is an `Err`.
    pub async fn checkpoint(&self, comment: &str) -> Result<Checkpoint> {
        let mut stream = self.checkpoint_with_progress(comment).await?;
        let mut id = None;
        let mut finished_at = None;
        while let Some(message) = stream.next().await {
            let message = message?;
            if let Some(found) = message.checkpoint_id() {
                id = Some(String::from(found));
            }
            if let StreamMessage::Complete { time, .. } = &message {
                finished_at = *time;
            }
        }
        let id = match id {
            Some(id) => id,
            None => self.newest_checkpoint_id().await?,
        };
        Ok(Checkpoint {
            id,
            comment: (!comment.is_empty()).then(|| String::from(comment)),
            created_at: finished_at,
            ..Checkpoint::default()
        })
    }

    /// Takes a checkpoint, streaming its progress lines.
    pub async fn checkpoint_with_progress(
        &self,
        comment: &str,
    ) -> Result<EventStream<R, StreamMessage>> {
        let op = CreateCheckpoint {
            sprite: self.name.clone(),
            comment: (!comment.is_empty()).then(|| String::from(comment)),
        };
        self.client.call_stream(&op).await
    }

    /// The id of the newest real checkpoint, for servers whose stream did not name it.
    async fn newest_checkpoint_id(&self) -> Result<String> {
        self.list_checkpoints()
            .await?
            .into_iter()
            .find(|c| !c.is_current())
            .map(|c| c.id)
            .ok_or_else(|| Error::protocol("checkpoint stream ended without naming the checkpoint"))
    }

    /// Checkpoints, newest first, `Current` (the live state) on top.
    pub async fn list_checkpoints(&self) -> Result<Vec<Checkpoint>> {
        self.list_checkpoints_with_options(ListCheckpointsOptions::default())
            .await
    }

    /// Checkpoints with filters (automatic checkpoints, history).
    pub async fn list_checkpoints_with_options(
        &self,
        options: ListCheckpointsOptions,
    ) -> Result<Vec<Checkpoint>> {
        let op = ListCheckpoints {
            sprite: self.name.clone(),
            options,
        };
        self.client.call(&op).await
    }

    /// One checkpoint.
    pub async fn get_checkpoint(&self, id: &str) -> Result<Checkpoint> {
        self.client
            .call(&GetCheckpoint::new(self.name.clone(), id))
            .await
    }

    /// Restores checkpoint `id`: every process of the sprite ends, the filesystem goes back,
    /// services restart. Returns when the restore is complete; an error line is an `Err`.
    pub async fn restore(&self, id: &str) -> Result<()> {
        self.restore_with_progress(id).await?.collect_all().await?;
        Ok(())
    }

    /// Restores checkpoint `id`, streaming its progress lines.
    pub async fn restore_with_progress(&self, id: &str) -> Result<EventStream<R, StreamMessage>> {
        self.client
            .call_stream(&RestoreCheckpoint::new(self.name.clone(), id))
            .await
    }

    /// Deletes checkpoint `id` (not the one the sprite is on).
    pub async fn delete_checkpoint(&self, id: &str) -> Result<()> {
        self.client
            .call(&DeleteCheckpoint::new(self.name.clone(), id))
            .await
    }

    // --- policy ------------------------------------------------------------------------

    /// The network policy (`rules: []` = unrestricted).
    pub async fn get_policy(&self) -> Result<NetworkPolicy> {
        self.client
            .call(&GetNetworkPolicy::new(self.name.clone()))
            .await
    }

    /// Replaces the network policy.
    pub async fn set_policy(&self, policy: NetworkPolicy) -> Result<()> {
        let op = SetNetworkPolicy {
            sprite: self.name.clone(),
            policy,
        };
        self.client.call(&op).await
    }

    /// The privileges policy as JSON (schema undocumented).
    pub async fn privileges_policy(&self) -> Result<serde_json::Value> {
        self.json_policy(PolicyKind::Privileges, JsonPolicyAction::Get)
            .await
    }

    /// Sets the privileges policy.
    pub async fn set_privileges_policy(&self, policy: serde_json::Value) -> Result<()> {
        self.json_policy(PolicyKind::Privileges, JsonPolicyAction::Set(policy))
            .await
            .map(drop)
    }

    /// Removes the privileges policy (unrestricted).
    pub async fn delete_privileges_policy(&self) -> Result<()> {
        self.json_policy(PolicyKind::Privileges, JsonPolicyAction::Delete)
            .await
            .map(drop)
    }

    /// The resources policy as JSON (e.g. `{"memory":{"limit_mb":4096}}`).
    pub async fn resources_policy(&self) -> Result<serde_json::Value> {
        self.json_policy(PolicyKind::Resources, JsonPolicyAction::Get)
            .await
    }

    /// Sets the resources policy.
    pub async fn set_resources_policy(&self, policy: serde_json::Value) -> Result<()> {
        self.json_policy(PolicyKind::Resources, JsonPolicyAction::Set(policy))
            .await
            .map(drop)
    }

    /// Removes the resources policy.
    pub async fn delete_resources_policy(&self) -> Result<()> {
        self.json_policy(PolicyKind::Resources, JsonPolicyAction::Delete)
            .await
            .map(drop)
    }

    async fn json_policy(
        &self,
        kind: PolicyKind,
        action: JsonPolicyAction,
    ) -> Result<serde_json::Value> {
        let op = JsonPolicy {
            sprite: self.name.clone(),
            kind,
            action,
        };
        self.client.call(&op).await
    }

    // --- services ----------------------------------------------------------------------

    /// Every service with its state.
    pub async fn list_services(&self) -> Result<Vec<ServiceState>> {
        let services = self.list_service_definitions().await?;
        Ok(services.into_iter().map(Service::into_state).collect())
    }

    /// Every service definition with its state, as the API returns them.
    pub async fn list_service_definitions(&self) -> Result<Vec<Service>> {
        self.client
            .call(&ListServices::new(self.name.clone()))
            .await
    }

    /// One service's state (with its definition).
    pub async fn get_service(&self, name: &str) -> Result<ServiceState> {
        let op = GetService {
            sprite: self.name.clone(),
            service: String::from(name),
        };
        Ok(self.client.call(&op).await?.into_state())
    }

    /// Creates (or replaces) and starts service `name`, waits for its start-up events to end,
    /// and returns its state. An `error` event is an `Err`.
    pub async fn create_service(
        &self,
        name: &str,
        request: ServiceRequest,
    ) -> Result<ServiceState> {
        self.create_service_stream(name, request, None)
            .await?
            .collect_all()
            .await?;
        self.get_service(name).await
    }

    /// Creates (or replaces) and starts service `name`, streaming its events for `duration`
    /// (server default 5 s).
    pub async fn create_service_stream(
        &self,
        name: &str,
        request: ServiceRequest,
        duration: Option<Duration>,
    ) -> Result<EventStream<R, ServiceLogEntry>> {
        let op = PutService {
            sprite: self.name.clone(),
            service: String::from(name),
            definition: request,
            duration,
        };
        self.client.call_stream(&op).await
    }

    /// Deletes service `name`'s definition (its log file stays).
    pub async fn delete_service(&self, name: &str) -> Result<()> {
        let op = DeleteService {
            sprite: self.name.clone(),
            service: String::from(name),
        };
        self.client.call(&op).await
    }

    /// Starts service `name`, waits for its start-up events, and returns its state.
    pub async fn start_service(&self, name: &str) -> Result<ServiceState> {
        self.service_stream(name, ServiceAction::Start, None)
            .await?
            .collect_all()
            .await?;
        self.get_service(name).await
    }

    /// Stops service `name` and waits until it has stopped.
    pub async fn stop_service(&self, name: &str) -> Result<()> {
        self.service_stream(name, ServiceAction::Stop, None)
            .await?
            .collect_all()
            .await
            .map(drop)
    }

    /// Restarts service `name`, waits for its start-up events, and returns its state.
    pub async fn restart_service(&self, name: &str) -> Result<ServiceState> {
        self.service_stream(name, ServiceAction::Restart, None)
            .await?
            .collect_all()
            .await?;
        self.get_service(name).await
    }

    /// Starts, stops or restarts service `name`, streaming its events. For start and restart
    /// `duration` is how long to stream; for stop it is how long to wait before the
    /// force-kill.
    pub async fn service_stream(
        &self,
        name: &str,
        action: ServiceAction,
        duration: Option<Duration>,
    ) -> Result<EventStream<R, ServiceLogEntry>> {
        let op = ServiceControl {
            sprite: self.name.clone(),
            service: String::from(name),
            action,
            duration,
        };
        self.client.call_stream(&op).await
    }

    /// Sends `signal` to service `name`.
    pub async fn signal_service(&self, name: &str, signal: Signal) -> Result<()> {
        let op = SignalService {
            sprite: self.name.clone(),
            service: String::from(name),
            signal,
        };
        self.client.call(&op).await
    }

    /// Service `name`'s buffered log lines, then new ones for `follow` (none by default).
    pub async fn service_logs(&self, name: &str) -> Result<EventStream<R, ServiceLogEntry>> {
        self.service_logs_with(name, None, None).await
    }

    /// Service `name`'s last `lines` log lines, following new output for `follow`.
    pub async fn service_logs_with(
        &self,
        name: &str,
        lines: Option<u32>,
        follow: Option<Duration>,
    ) -> Result<EventStream<R, ServiceLogEntry>> {
        let op = ServiceLogs {
            sprite: self.name.clone(),
            service: String::from(name),
            lines,
            follow,
        };
        self.client.call_stream(&op).await
    }
}
