//! Per-sprite environments: the overlay level (overlayfs + mount/PID namespaces + chroot +
//! cgroup v2, as root) and the plain level (a directory per sprite).
//!
//! Overlay level, per sprite: `upper/` and `work/` hold the private writable layer over the
//! host's `/`. A long-lived holder process (`unshare --pid --mount`) owns the sprite's PID and
//! mount namespaces; inside them it mounts the overlay at `merged/` (plus a private `/dev`, a
//! read-only `/sys` and a fresh `/proc`) and chroots into it, so the host's mount table never
//! holds a sprite mount and the mounts vanish with the holder. Every exec enters the holder's
//! namespaces with `nsenter` after its wrapper shell has joined the exec's own cgroup
//! (`echo $$ > cgroup.procs`, before anything else runs), so no process of the sprite ever
//! escapes its cgroup and `cgroup.kill` ends all of them. The host reaches the sprite's files
//! through `/proc/<holder>/root`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use crate::cgroup::Cgroup;

/// The isolation level chosen at start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Isolation {
    /// A plain directory per sprite; processes run on the host (weaker isolation).
    Plain,
    /// Overlay of the host root, mount + PID namespaces, chroot, cgroup v2 (needs root).
    Overlay,
}

impl Isolation {
    /// The name reported by the health route: `plain` or `overlay`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Plain => "plain",
            Self::Overlay => "overlay",
        }
    }
}

/// Checks whether the overlay level can work here: root, cgroup v2, the helper binaries,
/// and an overlay mount that succeeds.
pub(crate) fn probe_overlay(data_dir: &Path) -> Result<PathBuf, String> {
    if !nix::unistd::geteuid().is_root() {
        return Err("not running as root".into());
    }
    let cg = crate::cgroup::detect_root().ok_or("no cgroup v2 mount")?;
    for bin in [
        UNSHARE,
        NSENTER,
        SH,
        "/usr/bin/env",
        "/usr/bin/setpriv",
        "/usr/sbin/chroot",
        "/bin/mount",
        "/bin/mknod",
    ] {
        if !Path::new(bin).exists() {
            return Err(format!("{bin} not found"));
        }
    }
    let probe = data_dir.join(".probe");
    let _ = crate::util::remove_tree(&probe);
    let (lower, upper, work, merged) = (
        probe.join("l"),
        probe.join("u"),
        probe.join("w"),
        probe.join("m"),
    );
    for d in [&lower, &upper, &work, &merged] {
        std::fs::create_dir_all(d).map_err(|e| format!("probe dir: {e}"))?;
    }
    let opts = format!(
        "lowerdir={},upperdir={},workdir={}",
        lower.display(),
        upper.display(),
        work.display()
    );
    let res = nix::mount::mount(
        Some("overlay"),
        &merged,
        Some("overlay"),
        nix::mount::MsFlags::empty(),
        Some(opts.as_str()),
    );
    let _ = nix::mount::umount2(&merged, nix::mount::MntFlags::MNT_DETACH);
    let _ = crate::util::remove_tree(&probe);
    res.map_err(|e| format!("overlay mount failed: {e}"))?;
    let test = Cgroup::new(cg.join(format!(
        "sprites-emu-probe-{}-{}",
        std::process::id(),
        fastrand::u64(..)
    )));
    test.create()
        .map_err(|e| format!("cgroup create failed: {e}"))?;
    let has_kill = test.path().join("cgroup.kill").exists();
    test.remove();
    if !has_kill {
        return Err("cgroup.kill unavailable (kernel < 5.14)".into());
    }
    Ok(cg)
}

const UNSHARE: &str = "/usr/bin/unshare";

/// Joins the holder's cgroup (`$0`), then starts new PID and mount namespaces whose first
/// process runs [`HOLDER_SETUP`] with the layer, work and mount directories. `unshare` dies
/// with the emulator (`setpriv --pdeathsig`) and takes the namespace along (`--kill-child`).
const HOLDER_WRAPPER: &str = r#"echo $$ > "$0" && exec /usr/bin/setpriv --pdeathsig KILL /usr/bin/unshare --pid --mount --fork --kill-child --propagation private /bin/sh -c "$1" holder "$2" "$3" "$4""#;

/// Runs as PID 1 of the sprite's namespaces: mounts the overlay of `/` with the sprite's
/// writable layer, a private `/dev` (a tmpfs with the usual nodes and the host's `/dev/pts`,
/// where the emulator allocates PTYs), `/sys` read-only without submounts and a `/proc` of
/// the new PID namespace, then chroots into it and idles, reaping orphans.
const HOLDER_SETUP: &str = r#"set -e
U="$1"; W="$2"; M="$3"
mount -t overlay overlay -o "lowerdir=/,upperdir=$U,workdir=$W" "$M"
mkdir -p "$M/dev" "$M/sys" "$M/proc"
mount -t tmpfs -o mode=755,size=65536k,nosuid tmpfs "$M/dev"
for n in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do
  set -- $n
  mknod -m 666 "$M/dev/$1" c "$2" "$3"
done
mkdir -p "$M/dev/pts" "$M/dev/shm"
chmod 1777 "$M/dev/shm"
mount --bind /dev/pts "$M/dev/pts"
ln -s pts/ptmx "$M/dev/ptmx"
ln -s /proc/self/fd "$M/dev/fd"
ln -s /proc/self/fd/0 "$M/dev/stdin"
ln -s /proc/self/fd/1 "$M/dev/stdout"
ln -s /proc/self/fd/2 "$M/dev/stderr"
mount --bind /sys "$M/sys"
mount -o remount,bind,ro "$M/sys"
mount -t proc proc "$M/proc"
exec chroot "$M" /bin/sh -c 'trap "" HUP; while :; do sleep 3600 & wait; done'"#;
const NSENTER: &str = "/usr/bin/nsenter";
const SH: &str = "/bin/sh";

/// The default `PATH` inside sprites.
pub(crate) const DEFAULT_PATH: &str =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// What to run.
#[derive(Debug, Clone)]
pub(crate) struct ExecSpec {
    pub(crate) program: String,
    pub(crate) args: Vec<String>,
    /// `None`: the sprite's default environment; `Some`: replaces it entirely.
    pub(crate) env: Option<Vec<(String, String)>>,
    /// Extra variables added to the default environment (services).
    pub(crate) extra_env: Vec<(String, String)>,
    pub(crate) dir: Option<String>,
    pub(crate) tty: bool,
}

/// How to reach every process of one exec.
#[derive(Debug, Clone)]
pub(crate) enum ProcHandle {
    /// Overlay level: the exec's own cgroup; `wrapper` is the host pid of `nsenter`.
    Cgroup { cg: Cgroup, wrapper: u32 },
    /// Plain level: the process group led by the spawned process.
    Group(u32),
}

impl ProcHandle {
    /// Sends a signal to the session's processes (not to the `nsenter` wrapper, which
    /// reports the command's fate as its own).
    pub(crate) fn signal(&self, sig: nix::sys::signal::Signal) {
        match self {
            Self::Cgroup { cg, wrapper } => {
                let pids: Vec<u32> = cg.procs().into_iter().filter(|p| p != wrapper).collect();
                let targets = if pids.is_empty() {
                    vec![*wrapper]
                } else {
                    pids
                };
                for pid in targets {
                    let _ = nix::sys::signal::kill(to_pid(pid), sig);
                }
            }
            Self::Group(pid) => {
                let _ = nix::sys::signal::killpg(to_pid(*pid), sig);
            }
        }
    }

    /// SIGKILLs every process of the session.
    pub(crate) fn kill(&self) {
        match self {
            Self::Cgroup { cg, .. } => cg.kill(),
            Self::Group(pid) => {
                let _ = nix::sys::signal::killpg(to_pid(*pid), nix::sys::signal::Signal::SIGKILL);
            }
        }
    }

    /// Releases resources after the session ended (removes its cgroup when empty).
    pub(crate) fn release(&self) {
        if let Self::Cgroup { cg, .. } = self {
            if cg.procs_recursive().is_empty() {
                cg.remove();
            }
        }
    }

    /// Every live pid of the session (for the port watcher).
    pub(crate) fn pids(&self) -> Vec<u32> {
        match self {
            Self::Cgroup { cg, .. } => cg.procs_recursive(),
            Self::Group(pid) => descendants(*pid),
        }
    }
}

pub(crate) fn to_pid(pid: u32) -> nix::unistd::Pid {
    nix::unistd::Pid::from_raw(i32::try_from(pid).unwrap_or(i32::MAX))
}

/// `pid` and all its descendants, from `/proc/*/stat`.
fn descendants(root: u32) -> Vec<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
                continue;
            };
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|s| s.parse::<u32>().ok());
            if let Some(ppid) = ppid {
                parents.push((pid, ppid));
            }
        }
    }
    let mut out = vec![root];
    let mut i = 0;
    while let Some(&p) = out.get(i) {
        out.extend(parents.iter().filter(|(_, pp)| *pp == p).map(|(c, _)| *c));
        i += 1;
    }
    out
}

#[derive(Debug, Default)]
struct EnvState {
    holder: Option<Holder>,
    counter: u64,
}

#[derive(Debug)]
struct Holder {
    inner_pid: u32,
    done: tokio::sync::watch::Receiver<bool>,
}

/// One sprite's environment.
#[derive(Debug)]
pub(crate) struct SpriteEnv {
    isolation: Isolation,
    dir: PathBuf,
    cgroup: Option<Cgroup>,
    state: tokio::sync::Mutex<EnvState>,
}

impl SpriteEnv {
    pub(crate) fn new(isolation: Isolation, dir: PathBuf, cgroup: Option<Cgroup>) -> Self {
        Self {
            isolation,
            dir,
            cgroup,
            state: tokio::sync::Mutex::new(EnvState::default()),
        }
    }

    /// The directory whose contents a checkpoint captures.
    pub(crate) fn layer_dir(&self) -> PathBuf {
        match self.isolation {
            Isolation::Overlay => self.dir.join("upper"),
            Isolation::Plain => self.dir.join("root"),
        }
    }

    fn work_dir(&self) -> PathBuf {
        self.dir.join("work")
    }

    fn merged_dir(&self) -> PathBuf {
        self.dir.join("merged")
    }

    /// The host path of the sprite's `/`, starting the environment if needed. At the overlay
    /// level it is `/proc/<holder>/root`: the overlay is mounted only inside the holder's
    /// mount namespace, so the host's mount table never sees it and nothing outlives the
    /// holder.
    pub(crate) async fn root(&self) -> std::io::Result<PathBuf> {
        match self.isolation {
            Isolation::Plain => Ok(self.dir.join("root")),
            Isolation::Overlay => {
                let pid = self.ensure_started().await?;
                Ok(PathBuf::from(format!("/proc/{pid}/root")))
            }
        }
    }

    /// Creates the directories of a new sprite (the writable layer holds `/home/sprite`).
    pub(crate) fn create_dirs(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(self.layer_dir().join("home/sprite"))?;
        std::fs::create_dir_all(self.layer_dir().join(".sprite/logs/services"))?;
        if self.isolation == Isolation::Overlay {
            std::fs::create_dir_all(self.work_dir())?;
            std::fs::create_dir_all(self.merged_dir())?;
        }
        Ok(())
    }

    /// Makes sure the namespace holder (which owns the overlay mount) is running; returns its
    /// pid. Plain level: nothing to start (`0`).
    pub(crate) async fn ensure_started(&self) -> std::io::Result<u32> {
        if self.isolation == Isolation::Plain {
            return Ok(0);
        }
        let mut st = self.state.lock().await;
        if let Some(h) = st.holder.as_ref().filter(|h| !*h.done.borrow()) {
            return Ok(h.inner_pid);
        }
        let holder = self.spawn_holder().await?;
        let pid = holder.inner_pid;
        st.holder = Some(holder);
        Ok(pid)
    }

    async fn spawn_holder(&self) -> std::io::Result<Holder> {
        let cg = self
            .cgroup
            .as_ref()
            .ok_or_else(|| std::io::Error::other("no cgroup"))?
            .child("holder");
        cg.create()?;
        std::fs::create_dir_all(self.work_dir())?;
        std::fs::create_dir_all(self.merged_dir())?;
        let log = std::fs::File::create(self.dir.join("holder.log"))?;
        let mut cmd = tokio::process::Command::new(SH);
        cmd.arg("-c")
            .arg(HOLDER_WRAPPER)
            .arg(cg.procs_file())
            .arg(HOLDER_SETUP)
            .arg(self.layer_dir())
            .arg(self.work_dir())
            .arg(self.merged_dir())
            .env_clear()
            .env("PATH", DEFAULT_PATH)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(log)
            .process_group(0);
        let mut child = cmd.spawn()?;
        let outer = child
            .id()
            .ok_or_else(|| std::io::Error::other("holder gone"))?;
        let (tx, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            let _ = child.wait().await;
            let _ = tx.send(true);
        });
        let children = format!("/proc/{outer}/task/{outer}/children");
        for _ in 0..5000 {
            if *rx.borrow() {
                let log = std::fs::read_to_string(self.dir.join("holder.log")).unwrap_or_default();
                return Err(std::io::Error::other(format!(
                    "sprite environment failed to start: {}",
                    log.trim()
                )));
            }
            let comm = std::fs::read_to_string(format!("/proc/{outer}/comm")).unwrap_or_default();
            let inner = (comm.trim() == "unshare")
                .then(|| std::fs::read_to_string(&children).ok())
                .flatten()
                .and_then(|s| {
                    s.split_whitespace()
                        .next()
                        .and_then(|p| p.parse::<u32>().ok())
                });
            // Ready once the holder has chrooted into the overlay: its root is no longer `/`.
            if let Some(pid) = inner {
                let root = std::fs::read_link(format!("/proc/{pid}/root")).unwrap_or_default();
                if !root.as_os_str().is_empty() && root != Path::new("/") {
                    return Ok(Holder {
                        inner_pid: pid,
                        done: rx,
                    });
                }
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        Err(std::io::Error::other("sprite environment did not start"))
    }

    /// Builds the command for one exec and the handle that reaches its processes after spawn.
    pub(crate) async fn command(
        &self,
        spec: &ExecSpec,
    ) -> std::io::Result<(tokio::process::Command, Option<Cgroup>)> {
        let env = self.environment(spec);
        match self.isolation {
            Isolation::Plain => {
                let dir = self.plain_dir(spec.dir.as_deref());
                let mut cmd = tokio::process::Command::new(&spec.program);
                cmd.args(&spec.args).current_dir(dir).env_clear().envs(env);
                Ok((cmd, None))
            }
            Isolation::Overlay => {
                self.ensure_started().await?;
                let (inner, cg) = {
                    let mut st = self.state.lock().await;
                    st.counter += 1;
                    let inner = st.holder.as_ref().map(|h| h.inner_pid).unwrap_or_default();
                    let base = self
                        .cgroup
                        .as_ref()
                        .ok_or_else(|| std::io::Error::other("no cgroup"))?;
                    (inner, base.child(&format!("x{}", st.counter)))
                };
                cg.create()?;
                // The wrapper shell exports a PWD of its own; drop it unless the caller set one.
                let keep_pwd = env.iter().any(|(k, _)| k == "PWD");
                // With a TTY the command must lead its own session inside the PID namespace
                // and own the terminal there: otherwise the terminal's foreground group is the
                // wrapper's, invisible inside, and shells fail to restore it on exit.
                let script = format!(
                    r#"p="$0"; t="$1"; d="$2"; shift 2; echo $$ > "$p" && exec /usr/bin/nsenter --target "$t" --mount --pid --root --wd -- {}/usr/bin/env {}-C "$d" -- "$@""#,
                    if spec.tty {
                        "/usr/bin/setsid --ctty "
                    } else {
                        ""
                    },
                    if keep_pwd { "" } else { "-u PWD " }
                );
                let dir = spec.dir.clone().unwrap_or_else(|| "/home/sprite".into());
                let mut cmd = tokio::process::Command::new(SH);
                cmd.arg("-c")
                    .arg(script)
                    .arg(cg.procs_file())
                    .arg(inner.to_string())
                    .arg(dir)
                    .arg(&spec.program)
                    .args(&spec.args)
                    .env_clear()
                    .envs(env);
                Ok((cmd, Some(cg)))
            }
        }
    }

    fn environment(&self, spec: &ExecSpec) -> Vec<(String, String)> {
        if let Some(env) = &spec.env {
            return env.clone();
        }
        let home = match self.isolation {
            Isolation::Overlay => "/home/sprite".to_string(),
            Isolation::Plain => self.plain_dir(None).display().to_string(),
        };
        let mut env = vec![
            ("PATH".to_string(), DEFAULT_PATH.to_string()),
            ("HOME".to_string(), home),
            ("USER".to_string(), "sprite".to_string()),
            ("LANG".to_string(), "C.UTF-8".to_string()),
        ];
        if spec.tty {
            env.push(("TERM".to_string(), "xterm-256color".to_string()));
        }
        for (k, v) in &spec.extra_env {
            env.retain(|(ek, _)| ek != k);
            env.push((k.clone(), v.clone()));
        }
        env
    }

    /// Where an exec's working directory is on the host (plain level; at the overlay level
    /// a missing directory is reported by `env` inside the sprite).
    pub(crate) fn host_dir(&self, dir: &str) -> PathBuf {
        self.plain_dir(Some(dir))
    }

    /// Plain level: `/home/sprite…` maps into the sprite's directory; other paths are the
    /// host's.
    fn plain_dir(&self, dir: Option<&str>) -> PathBuf {
        let root = self.dir.join("root");
        match dir {
            None => root.join("home/sprite"),
            Some(d) if d == "/home/sprite" || d.starts_with("/home/sprite/") => {
                root.join(d.trim_start_matches('/'))
            }
            Some(d) => PathBuf::from(d),
        }
    }

    /// Overlay level: freezes or thaws every process of the sprite.
    pub(crate) async fn set_frozen(&self, frozen: bool) -> std::io::Result<()> {
        match (&self.cgroup, self.isolation) {
            (Some(cg), Isolation::Overlay) if cg.path().exists() => cg.set_frozen(frozen).await,
            _ => Ok(()),
        }
    }

    /// Ends every process of the sprite, the holder included (which drops its mounts).
    pub(crate) async fn stop(&self) {
        let mut st = self.state.lock().await;
        if let Some(cg) = &self.cgroup {
            if cg.path().exists() {
                let _ = cg.set_frozen(false).await;
                cg.kill();
                cg.wait_empty(Duration::from_secs(5)).await;
            }
        }
        if let Some(mut holder) = st.holder.take() {
            let _ =
                tokio::time::timeout(Duration::from_secs(5), holder.done.wait_for(|d| *d)).await;
        }
    }

    /// Last-resort cleanup without awaiting: SIGKILL everything (the holder's death takes
    /// its mounts along).
    pub(crate) fn kill_sync(&self) {
        if let Some(cg) = &self.cgroup {
            let _ = std::fs::write(cg.path().join("cgroup.freeze"), "0");
            cg.kill();
        }
    }

    /// Removes the sprite's cgroup (after [`SpriteEnv::stop`]).
    pub(crate) fn remove_cgroup(&self) {
        if let Some(cg) = &self.cgroup {
            cg.remove();
        }
    }

    /// Replaces the writable layer with a copy made by `fill` (restore). The caller has
    /// stopped the environment.
    pub(crate) fn reset_work_dir(&self) -> std::io::Result<()> {
        if self.isolation == Isolation::Overlay {
            let work = self.work_dir();
            let _ = crate::util::remove_tree(&work);
            std::fs::create_dir_all(&work)?;
        }
        Ok(())
    }
}
