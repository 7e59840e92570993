//! The port watcher: finds TCP sockets in LISTEN state owned by a sprite's processes and
//! tells exec sockets with `port_opened`/`port_closed`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use crate::store::{lock, AppState, PortEvent};

/// How often the sockets are scanned.
const INTERVAL: Duration = Duration::from_millis(250);

type Listening = BTreeSet<(u16, String, u32)>;

/// Runs until aborted.
pub(crate) async fn watch(st: AppState) {
    let mut previous: HashMap<String, Listening> = HashMap::new();
    loop {
        tokio::time::sleep(INTERVAL).await;
        let sprites: Vec<_> = lock(&st.sprites).values().cloned().collect();
        let mut pids_by_sprite: Vec<(String, Vec<u32>, tokio::sync::broadcast::Sender<PortEvent>)> =
            Vec::new();
        for sprite in &sprites {
            let mut pids: Vec<u32> = lock(&sprite.sessions)
                .values()
                .flat_map(|s| s.handle.pids())
                .collect();
            pids.extend(crate::services::pids(sprite));
            pids_by_sprite.push((sprite.name.clone(), pids, sprite.ports.clone()));
        }
        let scanned = tokio::task::spawn_blocking(move || {
            let listeners = listening_inodes();
            pids_by_sprite
                .into_iter()
                .map(|(name, pids, tx)| (name, owned(&listeners, &pids), tx))
                .collect::<Vec<_>>()
        })
        .await;
        let Ok(scanned) = scanned else { continue };
        let mut seen = HashMap::new();
        for (name, now, tx) in scanned {
            let before = previous.remove(&name).unwrap_or_default();
            for (port, address, pid) in now.difference(&before) {
                let _ = tx.send(PortEvent {
                    opened: true,
                    port: *port,
                    address: address.clone(),
                    pid: *pid,
                });
            }
            for (port, address, pid) in before.difference(&now) {
                let _ = tx.send(PortEvent {
                    opened: false,
                    port: *port,
                    address: address.clone(),
                    pid: *pid,
                });
            }
            seen.insert(name, now);
        }
        previous = seen;
    }
}

/// Socket inode → (port, address) for every TCP socket in LISTEN state.
fn listening_inodes() -> BTreeMap<u64, (u16, String)> {
    let mut out = BTreeMap::new();
    for (file, v6) in [("/proc/net/tcp", false), ("/proc/net/tcp6", true)] {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            let (Some(local), Some(state), Some(inode)) = (cols.get(1), cols.get(3), cols.get(9))
            else {
                continue;
            };
            if *state != "0A" {
                continue;
            }
            let Some((addr, port)) = local.split_once(':') else {
                continue;
            };
            let (Ok(port), Ok(inode)) = (u16::from_str_radix(port, 16), inode.parse::<u64>())
            else {
                continue;
            };
            if let Some(address) = parse_addr(addr, v6) {
                out.insert(inode, (port, address));
            }
        }
    }
    out
}

fn parse_addr(hex: &str, v6: bool) -> Option<String> {
    if !v6 {
        let n = u32::from_str_radix(hex, 16).ok()?;
        return Some(Ipv4Addr::from(n.swap_bytes()).to_string());
    }
    if hex.len() != 32 {
        return None;
    }
    let mut bytes = [0u8; 16];
    for (i, chunk) in bytes.chunks_mut(4).enumerate() {
        let word = u32::from_str_radix(hex.get(i * 8..i * 8 + 8)?, 16).ok()?;
        chunk.copy_from_slice(&word.swap_bytes().to_be_bytes());
    }
    let ip = Ipv6Addr::from(bytes);
    Some(match ip.to_ipv4_mapped() {
        Some(v4) => v4.to_string(),
        None if ip.is_unspecified() => "::".to_string(),
        None => ip.to_string(),
    })
}

/// The listening sockets held open by any of `pids`.
fn owned(listeners: &BTreeMap<u64, (u16, String)>, pids: &[u32]) -> Listening {
    let mut out = Listening::new();
    for pid in pids {
        let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            let Ok(link) = std::fs::read_link(fd.path()) else {
                continue;
            };
            let link = link.to_string_lossy();
            let Some(inode) = link
                .strip_prefix("socket:[")
                .and_then(|r| r.strip_suffix(']'))
                .and_then(|n| n.parse::<u64>().ok())
            else {
                continue;
            };
            if let Some((port, address)) = listeners.get(&inode) {
                out.insert((*port, address.clone(), *pid));
            }
        }
    }
    // One entry per (port, address): the lowest pid holding it.
    let mut dedup: BTreeMap<(u16, String), u32> = BTreeMap::new();
    for (port, addr, pid) in out {
        dedup.entry((port, addr)).or_insert(pid);
    }
    dedup.into_iter().map(|((p, a), pid)| (p, a, pid)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_net_addresses_parse() {
        assert_eq!(parse_addr("0100007F", false).as_deref(), Some("127.0.0.1"));
        assert_eq!(parse_addr("00000000", false).as_deref(), Some("0.0.0.0"));
        assert_eq!(
            parse_addr("00000000000000000000000000000000", true).as_deref(),
            Some("::")
        );
        assert_eq!(
            parse_addr("0000000000000000FFFF00000100007F", true).as_deref(),
            Some("127.0.0.1")
        );
    }
}
