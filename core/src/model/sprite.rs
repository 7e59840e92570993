//! Sprites and their management: info, status, config, URL settings, listing, create and
//! update bodies, tokens and the server version (spec §3, §4).

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::serde_util::{is_default, nullable, opt_time, string_enum, string_or_number};

/// Everything the API says about a sprite (`GET /v1/sprites/{name}`, list entries, the
/// create response).
///
/// Every field but `name` may be absent or `null` on the wire; absent strings are empty.
///
/// ```
/// use sprites_core::model::{SpriteInfo, SpriteStatus, UrlAuth};
///
/// // The live create response (spec §4.2).
/// let info: SpriteInfo = serde_json::from_str(r#"{"id":"sprite-1","name":"new-sprite",
///   "status":"cold","version":null,"url":"https://new-sprite-xxxx.sprites.app",
///   "created_at":"2026-01-31T10:28:13.366126Z","organization":"test-org",
///   "url_settings":{"auth":"sprite"},"environment_version":null}"#).unwrap();
/// assert_eq!(info.status, SpriteStatus::Cold);
/// assert_eq!(info.url_settings.unwrap().auth, UrlAuth::Sprite);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpriteInfo {
    /// The sprite id (live form `sprite-<uuid>`).
    #[serde(default, deserialize_with = "string_or_number")]
    pub id: String,
    /// The sprite name, unique in its organization.
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    /// The organization slug. Wire name `organization`; list entries in the docs call it
    /// `org_slug`, which is accepted too.
    #[serde(
        rename = "organization",
        alias = "org_slug",
        default,
        deserialize_with = "nullable"
    )]
    pub organization_name: String,
    /// Whether the sprite is running, warm or cold.
    #[serde(default, deserialize_with = "nullable")]
    pub status: SpriteStatus,
    /// The resources asked for at creation (may be ignored by the server).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "SpriteConfig::is_empty"
    )]
    pub config: SpriteConfig,
    /// Environment variables set at creation.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub environment: BTreeMap<String, String>,
    /// When the sprite was created.
    #[serde(default, with = "opt_time", skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// When the sprite was last updated.
    #[serde(default, with = "opt_time", skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    /// The sprite's public URL, `https://<name>-<orgtag>.sprites.app`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Who may reach the sprite's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_settings: Option<UrlSettings>,
    /// The storage bucket backing the sprite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_name: Option<String>,
    /// The region the sprite runs in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_region: Option<String>,
    /// Labels attached to the sprite.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub labels: Vec<String>,
    /// The sprite's environment version; the live API sends `null`, and so does this type
    /// when it is `None`.
    #[serde(default)]
    pub version: Option<String>,
    /// The environment version; the live API sends `null`, and so does this type when it is
    /// `None`.
    #[serde(default)]
    pub environment_version: Option<String>,
    /// When the sprite last became running.
    #[serde(default, with = "opt_time", skip_serializing_if = "Option::is_none")]
    pub last_running_at: Option<DateTime<Utc>>,
    /// When the sprite last went warm.
    #[serde(default, with = "opt_time", skip_serializing_if = "Option::is_none")]
    pub last_warming_at: Option<DateTime<Utc>>,
    /// When the sprite was last started.
    #[serde(default, with = "opt_time", skip_serializing_if = "Option::is_none")]
    pub last_started_at: Option<DateTime<Utc>>,
    /// When the sprite was last active.
    #[serde(default, with = "opt_time", skip_serializing_if = "Option::is_none")]
    pub last_active_at: Option<DateTime<Utc>>,
}

string_enum! {
    /// Whether a sprite is running, warm (paused, wakes fast) or cold (hibernated).
    ///
    /// ```
    /// use sprites_core::model::SpriteStatus;
    /// assert_eq!(SpriteStatus::parse("warm"), SpriteStatus::Warm);
    /// let other = SpriteStatus::parse("booting");
    /// assert_eq!(serde_json::to_string(&other).unwrap(), r#""booting""#);
    /// ```
    #[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
    pub enum SpriteStatus {
        /// Hibernated; the first request wakes it. The status right after creation.
        #[default]
        Cold = "cold",
        /// Paused in memory; wakes quickly.
        Warm = "warm",
        /// Running.
        Running = "running",
        /// Listed by the 0.1 crate; not seen from the real service.
        Stopped = "stopped",
    }

    /// Any other status string, kept as sent.
    catch_all Unknown(String);
}

/// The resources asked for when creating a sprite. Every field is optional and left out of
/// the JSON when `None`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpriteConfig {
    /// Memory in MiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ram_mb: Option<u32>,
    /// Virtual CPUs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<u32>,
    /// The region to run in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Disk in GB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_gb: Option<u32>,
}

impl SpriteConfig {
    /// Whether no field is set.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self == &SpriteConfig::default()
    }
}

/// Who may reach a sprite's URL.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrlSettings {
    /// `sprite` (org members and org tokens only; the default) or `public`.
    #[serde(default, deserialize_with = "nullable")]
    pub auth: UrlAuth,
    /// A finer access setting such as `"admins"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_access: Option<String>,
}

string_enum! {
    /// The authentication a sprite's URL requires.
    #[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
    pub enum UrlAuth {
        /// Only organization members (browser) or an organization token. The default.
        #[default]
        Sprite = "sprite",
        /// No authentication.
        Public = "public",
    }

    /// Any other value, kept as sent.
    catch_all Unknown(String);
}

/// The organization summary in a list response (Go SDK only).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgInfo {
    /// The organization name.
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    /// Sprites running now.
    #[serde(default, deserialize_with = "nullable")]
    pub running: u64,
    /// Sprites warm now.
    #[serde(default, deserialize_with = "nullable")]
    pub warm: u64,
    /// Sprites cold now.
    #[serde(default, deserialize_with = "nullable")]
    pub cold: u64,
    /// How many may run at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running_limit: Option<u64>,
    /// How many may be warm at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm_limit: Option<u64>,
}

/// Query options for listing sprites (`GET /v1/sprites`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListOptions {
    /// Page size (the docs allow 1–50; the official SDKs send 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_results: Option<u32>,
    /// The `next_continuation_token` of the previous page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub continuation_token: Option<String>,
    /// Only sprites whose name starts with this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

/// One page of `GET /v1/sprites`.
///
/// Keep paging while `has_more` is true **and** `next_continuation_token` is non-empty:
/// the live API was seen sending `has_more: true` with a `null` token.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListSpritesResponse {
    /// The sprites on this page.
    #[serde(default, deserialize_with = "nullable")]
    pub sprites: Vec<SpriteInfo>,
    /// Whether more pages follow.
    #[serde(default, deserialize_with = "nullable")]
    pub has_more: bool,
    /// The token for the next page; sent as `null` when there is none.
    #[serde(default)]
    pub next_continuation_token: Option<String>,
    /// The organization summary (Go SDK shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<OrgInfo>,
    /// Running sprites in the organization (Python SDK shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running: Option<u64>,
    /// Warm sprites in the organization (Python SDK shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm: Option<u64>,
    /// Cold sprites in the organization (Python SDK shape).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold: Option<u64>,
}

/// The body of `POST /v1/sprites`. Only `name` is required; empty fields are left out.
///
/// ```
/// use sprites_core::model::CreateSpriteRequest;
/// let body = CreateSpriteRequest::new("dev");
/// assert_eq!(serde_json::to_string(&body).unwrap(), r#"{"name":"dev"}"#);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateSpriteRequest {
    /// The new sprite's name.
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    /// Resources to ask for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<SpriteConfig>,
    /// Environment variables.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub environment: BTreeMap<String, String>,
    /// Labels.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub labels: Vec<String>,
    /// Who may reach the sprite's URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_settings: Option<UrlSettings>,
    /// Block until VM capacity exists instead of failing.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "is_default"
    )]
    pub wait_for_capacity: bool,
    /// The runtime flavour (`"default"` or `"dev"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
}

impl CreateSpriteRequest {
    /// A request for a sprite named `name` with every other field empty.
    #[must_use]
    pub fn new(name: impl Into<String>) -> Self {
        CreateSpriteRequest {
            name: name.into(),
            ..CreateSpriteRequest::default()
        }
    }
}

/// The body of `PUT /v1/sprites/{name}`: a partial update, omitted fields stay unchanged.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateSpriteRequest {
    /// New URL settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url_settings: Option<UrlSettings>,
    /// Labels replacing the current ones (`Some(vec![])` sends an empty list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
    /// Remove every label.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "is_default"
    )]
    pub clear_labels: bool,
}

/// The body of `POST /v1/organizations/{org_slug}/tokens`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRequest {
    /// A description of the token (the SDKs send `"Sprite SDK Token"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// An invite code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invite_code: Option<String>,
}

/// The answer of token minting: `{"token": "..."}`. An empty token is an error for the
/// caller to report.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The new sprites token.
    #[serde(default, deserialize_with = "nullable")]
    pub token: String,
}

impl core::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TokenResponse")
            .field("token", &"<redacted>")
            .finish()
    }
}

/// The server version (`GET /v1/version`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    /// The server version string.
    #[serde(default, deserialize_with = "nullable")]
    pub version: String,
    /// The API version, when the server says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
}
