//! Resumption: what a session is when stored, where servers keep sessions
//! (a store, or sealed inside tickets the client carries), and where
//! clients keep what they can offer next time.

use core::fmt;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use rustls_pki_types::{CertificateDer, DnsName, UnixTime};

use crate::codec::{encode_opaque, Codec, LengthPrefix, Reader};
use crate::crypto::aead::{AeadAlgorithm, AeadKey, NONCE_LEN, TAG_LEN};
use crate::crypto::hash::HashAlgorithm;
use crate::crypto::rand::RandomSource;
use crate::crypto::Secret;
use crate::error::{Error, InvalidMessage};
use crate::msgs::enums::{CipherSuite, ProtocolVersion};

/// Tickets larger than this are not kept: offering one must still leave
/// room in the ClientHello's extensions (whose length is 16 bits).
pub const MAX_TICKET_LEN: usize = 16 * 1024;

/// How far into the future a stored time may lie before it is taken for
/// a clock that was wrong when it was made.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(60);

/// Seconds left of `lifetime` seconds for something stamped at `stamped`
/// (all times in seconds since the epoch): none once it is that old, and
/// none if it is dated more than MAX_CLOCK_SKEW after `now` (stamped while
/// the clock was ahead: its age is unknown).
pub(crate) fn secs_left(stamped: u64, now: u64, lifetime: u64) -> u64 {
    if stamped > now.saturating_add(MAX_CLOCK_SKEW.as_secs()) {
        return 0;
    }
    lifetime.saturating_sub(now.saturating_sub(stamped))
}

/// RFC 8446 §4.6.1: servers MUST NOT use a ticket lifetime over 7 days.
pub const MAX_TICKET_LIFETIME: Duration = Duration::from_secs(7 * 24 * 3600);

/// A server-side session as stored or sealed into a ticket.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerSession {
    pub version: ProtocolVersion,
    pub suite: CipherSuite,
    /// TLS 1.3: the resumption PSK; TLS 1.2: the master secret.
    pub secret: Secret,
    /// Seconds since the Unix epoch when the session was made (for TLS
    /// 1.3, when this ticket was issued: its age counts from here,
    /// RFC 8446 §4.2.11.1).
    pub created: u64,
    /// Seconds since the Unix epoch of the full handshake that made the
    /// keying material; tickets issued after a resumption keep it.
    /// session_lifetime counts from here (RFC 8446 §4.6.1).
    pub authenticated: u64,
    /// TLS 1.3: ticket_age_add, to de-obfuscate the ticket age.
    pub age_add: u32,
    /// TLS 1.2: whether the master secret is an extended one (RFC 7627).
    pub extended_master_secret: bool,
    pub alpn: Option<Vec<u8>>,
    /// The client's server_name when the session was made: RFC 6066 §3,
    /// a session is not resumed under another name (nor with none).
    pub server_name: Option<DnsName<'static>>,
}

/// The first byte of an encoded [`ServerSession`]: sessions sealed into
/// tickets or kept in a shared store by an older or newer build decode as
/// an error (a full handshake) rather than as something else.
const SERVER_SESSION_FORMAT: u8 = 1;

impl Codec for ServerSession {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(SERVER_SESSION_FORMAT);
        self.version.encode(out);
        self.suite.encode(out);
        encode_opaque(out, LengthPrefix::U8, self.secret.expose());
        out.extend_from_slice(&self.created.to_be_bytes());
        out.extend_from_slice(&self.authenticated.to_be_bytes());
        out.extend_from_slice(&self.age_add.to_be_bytes());
        out.push(u8::from(self.extended_master_secret));
        encode_opaque(
            out,
            LengthPrefix::U8,
            self.alpn.as_deref().unwrap_or_default(),
        );
        // Empty for none: RFC 6066 §3 HostName is never empty.
        let name = self.server_name.as_ref().map(|n| n.as_ref().as_bytes());
        encode_opaque(out, LengthPrefix::U16, name.unwrap_or_default());
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, InvalidMessage> {
        if r.u8()? != SERVER_SESSION_FORMAT {
            return Err(InvalidMessage::InvalidValue("stored session format"));
        }
        let version = ProtocolVersion::read(r)?;
        let suite = CipherSuite::read(r)?;
        let secret = Secret::from_slice(r.sub(LengthPrefix::U8)?.rest());
        let created = u64::from_be_bytes(r.array()?);
        let authenticated = u64::from_be_bytes(r.array()?);
        let age_add = r.u32()?;
        let extended_master_secret = r.u8()? == 1;
        let alpn = Some(r.opaque(LengthPrefix::U8)?).filter(|a| !a.is_empty());
        let name = r.sub(LengthPrefix::U16)?.rest();
        let server_name = match name.is_empty() {
            true => None,
            false => Some(
                DnsName::try_from(name)
                    .map_err(|_| InvalidMessage::InvalidValue("session server_name"))?
                    .to_owned(),
            ),
        };
        Ok(Self {
            version,
            suite,
            secret,
            created,
            authenticated,
            age_add,
            extended_master_secret,
            alpn,
            server_name,
        })
    }
}

impl ServerSession {
    /// RFC 8446 §4.6.1 / our session_lifetime: too old to resume? Counted
    /// from the full handshake, however often it was resumed since.
    pub fn expired(&self, now: UnixTime, lifetime: Duration) -> bool {
        self.lifetime_left(now, lifetime).is_zero()
    }

    /// What is left of `lifetime`, counted from the full handshake
    /// ([`secs_left`]: nothing for a session dated in the future).
    pub fn lifetime_left(&self, now: UnixTime, lifetime: Duration) -> Duration {
        Duration::from_secs(secs_left(
            self.authenticated,
            now.as_secs(),
            lifetime.as_secs(),
        ))
    }
}

/// Where servers keep sessions: a key-value store with expiry. Values are
/// opaque bytes, so a networked cache shared by many servers can
/// implement it.
pub trait SessionStore: Send + Sync + fmt::Debug {
    /// Stores `value` under `key` until `expires`. Returns whether it was kept.
    fn put(&self, key: Vec<u8>, value: Vec<u8>, expires: UnixTime) -> bool;
    /// The value under `key`, if present and not expired at `now`.
    fn get(&self, key: &[u8], now: UnixTime) -> Option<Vec<u8>>;
    /// Like `get`, but removes the value: single use (RFC 8446 §8.1).
    fn take(&self, key: &[u8], now: UnixTime) -> Option<Vec<u8>>;
}

/// A bounded in-memory [`SessionStore`]: the oldest entries go first when
/// it is full.
pub struct MemorySessionStore {
    capacity: usize,
    inner: Mutex<MemoryInner>,
}

/// The stored values are sessions with their secrets (resumption PSKs,
/// master secrets): `Debug` shows only how many there are.
impl fmt::Debug for MemorySessionStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemorySessionStore")
            .field("capacity", &self.capacity)
            .field("len", &self.len())
            .finish()
    }
}

#[derive(Default)]
struct MemoryInner {
    map: HashMap<Vec<u8>, (Vec<u8>, u64)>,
    order: VecDeque<Vec<u8>>,
}

impl MemorySessionStore {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new(MemoryInner::default()),
        }
    }

    pub fn len(&self) -> usize {
        self.inner.lock().map(|i| i.map.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl SessionStore for MemorySessionStore {
    fn put(&self, key: Vec<u8>, value: Vec<u8>, expires: UnixTime) -> bool {
        let Ok(mut inner) = self.inner.lock() else {
            return false;
        };
        if self.capacity == 0 {
            return false;
        }
        while inner.map.len() >= self.capacity {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            inner.map.remove(&oldest);
        }
        if inner
            .map
            .insert(key.clone(), (value, expires.as_secs()))
            .is_none()
        {
            inner.order.push_back(key);
        }
        true
    }

    fn get(&self, key: &[u8], now: UnixTime) -> Option<Vec<u8>> {
        let inner = self.inner.lock().ok()?;
        let (value, expires) = inner.map.get(key)?;
        (now.as_secs() < *expires).then(|| value.clone())
    }

    fn take(&self, key: &[u8], now: UnixTime) -> Option<Vec<u8>> {
        let mut inner = self.inner.lock().ok()?;
        let (value, expires) = inner.map.remove(key)?;
        inner.order.retain(|k| k != key);
        (now.as_secs() < expires).then_some(value)
    }
}

/// The keys that seal stateless tickets: AES-256-GCM, rotated every
/// `period` (the server's session lifetime); tickets sealed under the
/// previous key are still accepted for one more period, then refused.
pub struct TicketKeys {
    random: std::sync::Arc<dyn RandomSource>,
    keys: Mutex<TicketKeyPair>,
}

#[derive(Default)]
struct TicketKeyPair {
    current: Option<TicketKey>,
    previous: Option<TicketKey>,
}

struct TicketKey {
    id: [u8; 4],
    key: AeadKey,
    created: u64,
}

const TICKET_KEY_ID_LEN: usize = 4;

impl TicketKeys {
    pub fn new(random: std::sync::Arc<dyn RandomSource>) -> Self {
        Self {
            random,
            keys: Mutex::new(TicketKeyPair::default()),
        }
    }

    fn fresh_key(&self, now: u64) -> Result<TicketKey, Error> {
        let mut id = [0u8; TICKET_KEY_ID_LEN];
        let mut key = [0u8; 32];
        self.random.fill(&mut id)?;
        self.random.fill(&mut key)?;
        Ok(TicketKey {
            id,
            key: AeadKey::new(AeadAlgorithm::Aes256Gcm, &key)?,
            created: now,
        })
    }

    /// Rotates if the current key is older than one period. A key made
    /// while the clock was ahead (dated more than MAX_CLOCK_SKEW into the
    /// future) counts as due too: otherwise it would serve until the clock
    /// caught up with it. The new key is made before anything changes, so
    /// a failed draw loses no key.
    fn rotate(&self, keys: &mut TicketKeyPair, now: u64, period: Duration) -> Result<(), Error> {
        let period = period.as_secs().max(1);
        let older_than = |k: &TicketKey, limit: u64| secs_left(k.created, now, limit) == 0;
        if keys.current.as_ref().is_none_or(|k| older_than(k, period)) {
            let fresh = self.fresh_key(now)?;
            keys.previous = keys.current.replace(fresh);
        }
        // A previous key older than two periods is gone for good.
        let limit = period.saturating_mul(2);
        if keys.previous.as_ref().is_some_and(|k| older_than(k, limit)) {
            keys.previous = None;
        }
        Ok(())
    }

    /// The key pair, even if a thread panicked holding it (a panicking
    /// RandomSource, say): rotation leaves the pair consistent at every
    /// step, and one panic must not end resumption for good.
    fn lock_keys(&self) -> std::sync::MutexGuard<'_, TicketKeyPair> {
        self.keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Seals `plaintext` into a ticket: key id ‖ nonce ‖ ciphertext ‖ tag.
    pub fn seal(
        &self,
        plaintext: &[u8],
        now: UnixTime,
        period: Duration,
    ) -> Result<Vec<u8>, Error> {
        let mut keys = self.lock_keys();
        self.rotate(&mut keys, now.as_secs(), period)?;
        let key = keys
            .current
            .as_ref()
            .ok_or(Error::Internal("no ticket key"))?;
        let mut nonce = [0u8; NONCE_LEN];
        self.random.fill(&mut nonce)?;
        // The key id and nonce are authenticated as associated data.
        let mut header = [0u8; TICKET_KEY_ID_LEN + NONCE_LEN];
        header[..TICKET_KEY_ID_LEN].copy_from_slice(&key.id);
        header[TICKET_KEY_ID_LEN..].copy_from_slice(&nonce);
        let mut out = vec![0u8; header.len() + plaintext.len() + TAG_LEN];
        let (head, sealed) = out.split_at_mut(header.len());
        head.copy_from_slice(&header);
        key.key.seal_into(nonce, &header, plaintext, &[], sealed)?;
        Ok(out)
    }

    /// Opens a ticket sealed by `seal` under the current or previous key.
    /// Any failure (unknown key, tampering, truncation) is `None`: the
    /// client simply gets a full handshake.
    pub fn open(&self, ticket: &[u8], now: UnixTime, period: Duration) -> Option<Vec<u8>> {
        let mut keys = self.lock_keys();
        self.rotate(&mut keys, now.as_secs(), period).ok()?;
        let header_len = TICKET_KEY_ID_LEN + NONCE_LEN;
        if ticket.len() < header_len + crate::crypto::aead::TAG_LEN {
            return None;
        }
        let (header, sealed) = ticket.split_at(header_len);
        let key = [keys.current.as_ref(), keys.previous.as_ref()]
            .into_iter()
            .flatten()
            .find(|k| crate::crypto::ct_eq(&k.id, &header[..TICKET_KEY_ID_LEN]))?;
        let nonce: [u8; NONCE_LEN] = header[TICKET_KEY_ID_LEN..].try_into().ok()?;
        let mut buf = sealed.to_vec();
        let n = key.key.open(nonce, header, &mut buf).ok()?;
        buf.truncate(n);
        Some(buf)
    }
}

impl fmt::Debug for TicketKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TicketKeys(redacted)")
    }
}

/// A server's certificate chain as a client keeps it: shared, not copied,
/// by the connection that verified it and every session or ticket it left.
pub type CertificateChain = Arc<[CertificateDer<'static>]>;

/// A TLS 1.3 ticket as the client keeps it (RFC 8446 §4.6.1).
#[derive(Clone, Debug)]
pub struct Tls13Ticket {
    pub suite: CipherSuite,
    pub ticket: Vec<u8>,
    pub psk: Secret,
    pub age_add: u32,
    /// Seconds the server said the ticket is good for (at most 7 days).
    pub lifetime: u32,
    pub received: UnixTime,
    pub server_certificates: CertificateChain,
    pub alpn: Option<Vec<u8>>,
}

/// A short stand-in for a ticket's bytes (up to 16 KiB), kept to find
/// the ticket again.
pub fn ticket_fingerprint(ticket: &[u8]) -> [u8; 32] {
    let mut fingerprint = [0u8; 32];
    fingerprint.copy_from_slice(&HashAlgorithm::Sha256.hash(ticket));
    fingerprint
}

/// A TLS 1.2 session as the client keeps it.
#[derive(Clone, Debug)]
pub struct Tls12Session {
    pub suite: CipherSuite,
    pub session_id: Vec<u8>,
    /// An RFC 5077 ticket, if the server issued one.
    pub ticket: Option<Vec<u8>>,
    pub master_secret: Secret,
    pub extended_master_secret: bool,
    pub received: UnixTime,
    /// How long after `received` it may be offered: the ticket's lifetime
    /// hint, else [`TLS12_SESSION_LIFETIME`]; never over 7 days.
    pub lifetime: Duration,
    pub server_certificates: CertificateChain,
}

/// How long a client offers a TLS 1.2 session the server gave no lifetime
/// for (a session ID, or a ticket whose hint is 0): RFC 5246 §7.4.1.2
/// suggests 24 hours as the upper limit for session IDs.
pub const TLS12_SESSION_LIFETIME: Duration = Duration::from_secs(24 * 3600);

impl Tls12Session {
    /// RFC 5077 §3.3: "A client SHOULD delete the ticket and associated
    /// state when the time expires."
    pub fn expired(&self, now: UnixTime) -> bool {
        secs_left(
            self.received.as_secs(),
            now.as_secs(),
            self.lifetime.as_secs(),
        ) == 0
    }

    /// The lifetime for a ticket with this hint (seconds; 0: unspecified).
    pub fn lifetime_for_hint(hint: u32) -> Duration {
        match hint {
            0 => TLS12_SESSION_LIFETIME,
            secs => Duration::from_secs(u64::from(secs)).min(MAX_TICKET_LIFETIME),
        }
    }
}

/// Per server name: the TLS 1.3 tickets (each used once) and the latest
/// TLS 1.2 session.
#[derive(Debug, Default)]
struct ClientEntry {
    tickets: VecDeque<Tls13Ticket>,
    tls12: Option<Arc<Tls12Session>>,
}

/// The client's bounded cache of resumable sessions, by server name.
#[derive(Debug)]
pub struct ClientSessionCache {
    max_names: usize,
    tickets_per_name: usize,
    inner: Mutex<(HashMap<String, ClientEntry>, VecDeque<String>)>,
}

impl ClientSessionCache {
    pub fn new(max_names: usize, tickets_per_name: usize) -> Self {
        Self {
            max_names,
            tickets_per_name,
            inner: Mutex::new(Default::default()),
        }
    }

    /// `f` on the entry for `name`, if there is one: looking a name up
    /// never makes an entry, so it cannot evict another name's sessions.
    fn with_existing<T>(&self, name: &str, f: impl FnOnce(&mut ClientEntry) -> T) -> Option<T> {
        let mut guard = self.inner.lock().ok()?;
        guard.0.get_mut(name).map(f)
    }

    /// `f` on the entry for `name`, made if new (the oldest name goes
    /// first when the cache is full).
    fn with_entry<T>(&self, name: &str, f: impl FnOnce(&mut ClientEntry) -> T) -> Option<T> {
        let mut guard = self.inner.lock().ok()?;
        let (map, order) = &mut *guard;
        if let Some(entry) = map.get_mut(name) {
            return Some(f(entry));
        }
        if self.max_names == 0 {
            return None;
        }
        while map.len() >= self.max_names {
            let oldest = order.pop_front()?;
            map.remove(&oldest);
        }
        order.push_back(name.to_string());
        Some(f(map.entry(name.to_string()).or_default()))
    }

    pub fn add_tls13_ticket(&self, name: &str, ticket: Tls13Ticket) {
        let max = self.tickets_per_name;
        self.with_entry(name, |e| {
            if e.tickets.len() >= max {
                e.tickets.pop_front();
            }
            e.tickets.push_back(ticket);
        });
    }

    /// The newest ticket still valid at `now`; tickets are single-use, so
    /// it leaves the cache.
    pub fn take_tls13_ticket(&self, name: &str, now: UnixTime) -> Option<Tls13Ticket> {
        self.with_existing(name, |e| {
            while let Some(t) = e.tickets.pop_back() {
                let left = secs_left(t.received.as_secs(), now.as_secs(), t.lifetime.into());
                if left > 0 {
                    return Some(t);
                }
            }
            None
        })
        .flatten()
    }

    /// Keeps `session` for `name` (replacing any other); returns it as kept.
    pub fn set_tls12_session(&self, name: &str, session: Tls12Session) -> Arc<Tls12Session> {
        let session = Arc::new(session);
        self.with_entry(name, |e| e.tls12 = Some(session.clone()));
        session
    }

    /// Forgets `session` if it is still the one kept for `name` (held
    /// weakly: a session the cache dropped is not kept alive for this).
    pub fn forget_tls12_session(&self, name: &str, session: &Weak<Tls12Session>) {
        self.with_existing(name, |e| {
            if e.tls12
                .as_ref()
                .is_some_and(|kept| Arc::as_ptr(kept) == session.as_ptr())
            {
                e.tls12 = None;
            }
        });
    }

    /// Forgets the TLS 1.3 ticket for `name` whose bytes have this
    /// [`ticket_fingerprint`].
    pub fn forget_tls13_ticket(&self, name: &str, fingerprint: &[u8; 32]) {
        self.with_existing(name, |e| {
            e.tickets
                .retain(|t| ticket_fingerprint(&t.ticket) != *fingerprint)
        });
    }

    pub fn tls12_session(&self, name: &str) -> Option<Arc<Tls12Session>> {
        self.with_existing(name, |e| e.tls12.clone()).flatten()
    }

    pub fn remove_tls12_session(&self, name: &str) {
        self.with_existing(name, |e| e.tls12 = None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::rand::SystemRandom;
    use std::sync::Arc;

    fn at(secs: u64) -> UnixTime {
        UnixTime::since_unix_epoch(Duration::from_secs(secs))
    }

    #[test]
    fn session_roundtrip() {
        let s = ServerSession {
            version: ProtocolVersion::TLSv1_3,
            suite: CipherSuite::TLS_AES_128_GCM_SHA256,
            secret: Secret::from_slice(&[7; 32]),
            created: 1234,
            authenticated: 1000,
            age_add: 99,
            extended_master_secret: false,
            alpn: Some(b"h2".to_vec()),
            server_name: Some(DnsName::try_from("a.example").unwrap().to_owned()),
        };
        assert_eq!(
            ServerSession::read_exact(&s.to_bytes(), "session").unwrap(),
            s
        );
        let unnamed = ServerSession {
            server_name: None,
            ..s.clone()
        };
        assert_eq!(
            ServerSession::read_exact(&unnamed.to_bytes(), "session").unwrap(),
            unnamed
        );
        // RFC 6066 §3: the name is part of the session; one stored before
        // it was recorded does not decode (a full handshake follows).
        let old = s.to_bytes();
        assert!(ServerSession::read_exact(&old[..old.len() - 11], "session").is_err());
        // Another format's session is refused, not misread.
        let mut other = s.to_bytes();
        other[0] += 1;
        assert_eq!(
            ServerSession::read_exact(&other, "session"),
            Err(InvalidMessage::InvalidValue("stored session format"))
        );
        // The lifetime counts from the full handshake, not from `created`.
        let lifetime = Duration::from_secs(100);
        assert_eq!(s.lifetime_left(at(1030), lifetime).as_secs(), 70);
        assert!(!s.expired(at(1099), lifetime));
        assert!(s.expired(at(1100), lifetime));
    }

    #[test]
    fn memory_store_expires_bounds_and_takes_once() {
        let store = MemorySessionStore::new(2);
        assert!(store.put(b"a".to_vec(), b"1".to_vec(), at(100)));
        assert_eq!(store.get(b"a", at(99)), Some(b"1".to_vec()));
        assert_eq!(store.get(b"a", at(100)), None);
        store.put(b"b".to_vec(), b"2".to_vec(), at(100));
        store.put(b"c".to_vec(), b"3".to_vec(), at(100));
        assert_eq!(store.len(), 2);
        assert_eq!(store.get(b"a", at(1)), None, "oldest evicted");
        assert_eq!(store.take(b"b", at(1)), Some(b"2".to_vec()));
        assert_eq!(store.take(b"b", at(1)), None, "single use");
    }

    #[test]
    fn tickets_rotate_and_reject_tampering() {
        let keys = TicketKeys::new(Arc::new(SystemRandom));
        let p = Duration::from_secs(100);
        let t = keys.seal(b"session", at(1000), p).unwrap();
        assert_eq!(keys.open(&t, at(1050), p), Some(b"session".to_vec()));
        let mut bad = t.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        assert_eq!(keys.open(&bad, at(1050), p), None);
        assert_eq!(keys.open(&t[..10], at(1050), p), None);
        // One rotation later the old key still opens it...
        assert_eq!(keys.open(&t, at(1150), p), Some(b"session".to_vec()));
        // ...two periods after its creation it is refused.
        assert_eq!(keys.open(&t, at(1200), p), None);
    }

    #[test]
    fn client_cache_is_bounded_and_single_use() {
        let cache = ClientSessionCache::new(1, 2);
        let ticket = |n: u8| Tls13Ticket {
            suite: CipherSuite::TLS_AES_128_GCM_SHA256,
            ticket: vec![n],
            psk: Secret::from_slice(&[n; 32]),
            age_add: 0,
            lifetime: 100,
            received: at(0),
            server_certificates: CertificateChain::default(),
            alpn: None,
        };
        for n in 0..3 {
            cache.add_tls13_ticket("a.example", ticket(n));
        }
        assert_eq!(
            cache
                .take_tls13_ticket("a.example", at(1))
                .map(|t| t.ticket),
            Some(vec![2])
        );
        assert_eq!(
            cache
                .take_tls13_ticket("a.example", at(1))
                .map(|t| t.ticket),
            Some(vec![1])
        );
        assert!(cache.take_tls13_ticket("a.example", at(1)).is_none());
        cache.add_tls13_ticket("a.example", ticket(5));
        assert!(
            cache.take_tls13_ticket("a.example", at(200)).is_none(),
            "expired"
        );
        cache.add_tls13_ticket("a.example", ticket(6));
        cache.add_tls13_ticket("b.example", ticket(7));
        assert!(
            cache.take_tls13_ticket("a.example", at(1)).is_none(),
            "evicted by b.example"
        );
    }

    #[test]
    fn looking_up_other_names_evicts_nothing() {
        let cache = ClientSessionCache::new(1, 2);
        let session = Tls12Session {
            suite: CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            session_id: vec![1; 32],
            ticket: None,
            master_secret: Secret::from_slice(&[2; 48]),
            extended_master_secret: true,
            received: at(0),
            lifetime: TLS12_SESSION_LIFETIME,
            server_certificates: CertificateChain::default(),
        };
        cache.set_tls12_session("a.example", session);
        // Connections to names with nothing cached only look.
        assert!(cache.tls12_session("b.example").is_none());
        assert!(cache.take_tls13_ticket("c.example", at(1)).is_none());
        cache.remove_tls12_session("d.example");
        let kept = cache.tls12_session("a.example");
        assert_eq!(kept.map(|s| s.session_id.clone()), Some(vec![1; 32]));
        // Removing is by name, too.
        cache.remove_tls12_session("a.example");
        assert!(cache.tls12_session("a.example").is_none());
    }
}
