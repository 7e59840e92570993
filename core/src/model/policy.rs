//! The network policy of a sprite (spec §10).

use alloc::string::String;
use alloc::vec::Vec;
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::serde_util::{nullable, string_enum};

/// Which domains a sprite may reach (`GET`/`POST /v1/sprites/{name}/policy/network`).
///
/// The more specific pattern wins: an exact host beats `*.example.com`, which beats `*`.
/// An empty policy is unrestricted.
///
/// On the wire, presets are rules of their own, `{"include": "defaults"}`, inside `rules`.
/// This type keeps them apart in `include`: serializing writes each preset as an include
/// rule before the domain rules, and parsing moves include rules into `include`.
///
/// ```
/// use sprites_core::model::{NetworkPolicy, NetworkPolicyRule, PolicyAction};
/// let policy = NetworkPolicy {
///     rules: vec![NetworkPolicyRule { domain: "*".into(), action: PolicyAction::Deny }],
///     include: vec!["defaults".into()],
/// };
/// assert_eq!(
///     serde_json::to_string(&policy).unwrap(),
///     r#"{"rules":[{"include":"defaults"},{"domain":"*","action":"deny"}]}"#,
/// );
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetworkPolicy {
    /// Domain rules, in order.
    pub rules: Vec<NetworkPolicyRule>,
    /// Preset rule sets to include (known: `defaults` — GitHub, npm, PyPI, Docker Hub,
    /// major AI APIs).
    pub include: Vec<String>,
}

/// One domain rule: allow or deny a host pattern (`example.com`, `*.example.com`, `*`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct NetworkPolicyRule {
    /// The host pattern.
    pub domain: String,
    /// What to do with matching hosts.
    pub action: PolicyAction,
}

string_enum! {
    /// What a network policy rule does with matching hosts.
    #[derive(Clone, Debug, PartialEq, Eq, Hash)]
    pub enum PolicyAction {
        /// Allow connections.
        Allow = "allow",
        /// Refuse connections.
        Deny = "deny",
    }

    /// Any other action string, kept as sent.
    catch_all Unknown(String);
}

#[derive(Serialize)]
#[serde(untagged)]
enum WireRuleRef<'a> {
    Include { include: &'a str },
    Rule(&'a NetworkPolicyRule),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum WireRule {
    Include { include: String },
    Rule(NetworkPolicyRule),
}

impl Serialize for NetworkPolicy {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let includes = self
            .include
            .iter()
            .map(|preset| WireRuleRef::Include { include: preset });
        let rules = self.rules.iter().map(WireRuleRef::Rule);
        let all: Vec<WireRuleRef<'_>> = includes.chain(rules).collect();
        let mut st = s.serialize_struct("NetworkPolicy", 1)?;
        st.serialize_field("rules", &all)?;
        st.end()
    }
}

impl<'de> Deserialize<'de> for NetworkPolicy {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Wire {
            #[serde(default, deserialize_with = "nullable")]
            rules: Vec<WireRule>,
        }
        let wire = Option::<Wire>::deserialize(d)?;
        let mut policy = NetworkPolicy::default();
        for rule in wire.map(|w| w.rules).unwrap_or_default() {
            match rule {
                WireRule::Include { include } => policy.include.push(include),
                WireRule::Rule(rule) => policy.rules.push(rule),
            }
        }
        Ok(policy)
    }
}
