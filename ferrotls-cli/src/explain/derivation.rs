//! The key derivation of one session as a tree: from the randoms and the
//! pre-master (or shared) secret down to the keys that protect records.

use super::model::{Party, SessionKey, SessionTrace};

/// One value in the derivation, and what is derived from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub title: String,
    /// How it is made from its parent (and other inputs).
    pub formula: String,
    /// Hex; `None` where the value is not shown (not observed).
    pub value: Option<String>,
    pub children: Vec<Node>,
}

impl Node {
    fn new(title: &str, formula: &str, value: Option<String>) -> Self {
        Self {
            title: title.into(),
            formula: formula.into(),
            value,
            children: Vec::new(),
        }
    }

    fn with(mut self, children: Vec<Node>) -> Self {
        self.children = children;
        self
    }
}

/// The inputs (randoms) and the tree rooted at the first secret.
#[derive(Debug, Clone)]
pub struct Derivation {
    pub inputs: Vec<Node>,
    pub tree: Vec<Node>,
}

pub fn derive(t: &SessionTrace) -> Derivation {
    let inputs = vec![
        Node::new(
            "client random",
            "32 random bytes from the client's ClientHello",
            t.client_random.clone(),
        ),
        Node::new(
            "server random",
            "32 random bytes from the server's ServerHello",
            t.server_random.clone(),
        ),
    ];
    let mut tree = match secret(t, "early secret") {
        Some(_) => tls13(t),
        None => tls12(t),
    };
    // Secrets the tree has no place for yet still show, at the top level.
    let mut placed = Vec::new();
    collect_titles(&tree, &mut placed);
    for s in t.secrets.iter().filter(|s| !placed.contains(&s.name)) {
        tree.push(Node::new(&s.name, &s.derivation, Some(s.hex.clone())));
    }
    Derivation { inputs, tree }
}

fn collect_titles(nodes: &[Node], out: &mut Vec<String>) {
    for n in nodes {
        out.push(n.title.clone());
        collect_titles(&n.children, out);
    }
}

fn secret(t: &SessionTrace, name: &str) -> Option<Node> {
    let s = t.secrets.iter().find(|s| s.name == name)?;
    Some(Node::new(&s.name, &s.derivation, Some(s.hex.clone())))
}

fn key_node(k: &SessionKey) -> Node {
    let value = Some(k.hex.clone());
    let mut node = Node::new(&k.name, k.note.as_deref().unwrap_or_default(), value);
    node.title = format!("{} ({})", k.name, k.direction);
    node
}

fn tls12(t: &SessionTrace) -> Vec<Node> {
    let Some(premaster) = secret(t, "pre-master secret") else {
        return Vec::new();
    };
    let keys: Vec<Node> = t.keys.iter().map(key_node).collect();
    let block: String = t.keys.iter().map(|k| k.hex.as_str()).collect();
    let key_block = Node::new(
        "key block",
        "PRF(master secret, \"key expansion\", server random + client random), cut in order into the keys below",
        (!block.is_empty()).then_some(block),
    )
    .with(keys);
    let master = secret(t, "master secret").map(|m| m.with(vec![key_block]));
    vec![premaster.with(master.into_iter().collect())]
}

/// TLS 1.3 (RFC 8446 §7.1): the shared secret enters at the handshake
/// secret; the randoms enter through the transcript hashes.
fn tls13(t: &SessionTrace) -> Vec<Node> {
    let traffic = |name: &str, writer: Party, stage: &str| {
        let keys = t
            .keys
            .iter()
            .filter(|k| k.writer == writer && k.stage.as_deref() == Some(stage))
            .map(key_node)
            .collect();
        secret(t, name).map(|s| s.with(keys))
    };
    let master_children: Vec<Node> = [
        traffic(
            "client application traffic secret 0",
            Party::Client,
            "application 0",
        ),
        traffic(
            "server application traffic secret 0",
            Party::Server,
            "application 0",
        ),
        secret(t, "exporter master secret"),
        secret(t, "resumption master secret"),
    ]
    .into_iter()
    .flatten()
    .collect();
    let master = secret(t, "master secret").map(|m| m.with(master_children));
    let handshake_children: Vec<Node> = [
        traffic(
            "client handshake traffic secret",
            Party::Client,
            "handshake",
        ),
        traffic(
            "server handshake traffic secret",
            Party::Server,
            "handshake",
        ),
        master,
    ]
    .into_iter()
    .flatten()
    .collect();
    let handshake = secret(t, "handshake secret").map(|h| h.with(handshake_children));
    let early = secret(t, "early secret").map(|e| e.with(handshake.into_iter().collect()));
    secret(t, "shared secret")
        .into_iter()
        .chain(early)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::model::NamedSecret;

    fn named(name: &str) -> NamedSecret {
        NamedSecret {
            name: name.into(),
            derivation: String::new(),
            nss_label: None,
            length: 1,
            hex: "ab".into(),
        }
    }

    #[test]
    fn tls12_tree_runs_from_pre_master_to_keys() {
        let t = SessionTrace {
            secrets: vec![named("pre-master secret"), named("master secret")],
            ..SessionTrace::default()
        };
        let d = derive(&t);
        assert_eq!(d.inputs.len(), 2);
        assert_eq!(d.tree[0].title, "pre-master secret");
        assert_eq!(d.tree[0].children[0].title, "master secret");
        assert_eq!(d.tree[0].children[0].children[0].title, "key block");
    }

    #[test]
    fn secrets_without_a_place_still_show() {
        let t = SessionTrace {
            secrets: vec![named("pre-master secret"), named("a future secret")],
            ..SessionTrace::default()
        };
        let titles: Vec<_> = derive(&t).tree.into_iter().map(|n| n.title).collect();
        assert_eq!(titles, ["pre-master secret", "a future secret"]);
    }

    #[test]
    fn tls13_tree_nests_the_schedule() {
        let t = SessionTrace {
            secrets: [
                "shared secret",
                "early secret",
                "handshake secret",
                "client handshake traffic secret",
                "master secret",
            ]
            .map(named)
            .to_vec(),
            ..SessionTrace::default()
        };
        let d = derive(&t);
        let titles: Vec<_> = d.tree.iter().map(|n| n.title.as_str()).collect();
        assert_eq!(titles, ["shared secret", "early secret"]);
        let handshake = &d.tree[1].children[0];
        assert_eq!(d.tree.len(), 2, "every secret placed once");
        let below: Vec<_> = handshake
            .children
            .iter()
            .map(|n| n.title.as_str())
            .collect();
        assert_eq!(below, ["client handshake traffic secret", "master secret"]);
    }
}
