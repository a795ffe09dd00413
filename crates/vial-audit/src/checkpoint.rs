//! Signed checkpoints: a C2SP `tlog-checkpoint` body (origin, tree size, root hash) carried in a
//! C2SP `signed-note` with an Ed25519 signature, interoperable with Go's `sumdb/note`.
//!
//! Owns the checkpoint and note text formats, key ids, and the `vkey` / `skey` key strings.
//! It must never print or serialize private key bytes (`Debug` shows the name and key id only;
//! the signing key is zeroized on drop), and must never accept a signature it did not verify
//! with `verify_strict` against a key the caller configured.
//!
//! ```text
//! <origin>\n<tree size>\n<base64 root>\n[<extension>\n ...]
//! \n
//! — <key name> <base64(key id (4, big-endian) || Ed25519 signature (64))>\n
//! key id = SHA-256(key name || 0x0A || 0x01 || public key)[:4]
//! vkey   = <name>+<key id as 8 hex digits>+<base64(0x01 || public key)>
//! ```

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use rand_core::CryptoRngCore;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::{AuditError, Hash};

/// Signature type byte for Ed25519 in C2SP signed-note.
const ALG_ED25519: u8 = 0x01;
/// Em dash (U+2014) and a space: the start of every signature line.
const SIG_PREFIX: &str = "\u{2014} ";
/// Go's `sumdb/note` refuses more; the spec asks verifiers for a limit of at least 16.
const MAX_SIGNATURES: usize = 100;

/// A log's tree head: `size` leaves with Merkle root `root`, issued by `origin`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    /// Opaque non-empty lines after the root; the spec discourages them.
    pub extensions: Vec<String>,
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    pub fn new(origin: impl Into<String>, size: u64, root: Hash) -> Self {
        Self {
            origin: origin.into(),
            size,
            root,
            extensions: Vec::new(),
        }
    }

    /// The note text: origin, size and root lines, then extensions, each ending in `\n`.
    pub fn body(&self) -> Result<String, AuditError> {
        let lines = std::iter::once(&self.origin).chain(&self.extensions);
        for line in lines {
            if line.is_empty() || line.chars().any(char::is_control) {
                return Err(AuditError::MalformedCheckpoint(
                    "empty line or control character",
                ));
            }
        }
        let mut body = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        );
        for ext in &self.extensions {
            body.push_str(ext);
            body.push('\n');
        }
        Ok(body)
    }

    /// Parses a note text as a checkpoint body (it does not check any signature).
    pub fn parse_body(body: &str) -> Result<Self, AuditError> {
        let bad = AuditError::MalformedCheckpoint;
        let text = body
            .strip_suffix('\n')
            .ok_or(bad("body must end in a newline"))?;
        let mut lines = text.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(bad("fewer than three lines"));
        };
        let extensions: Vec<String> = lines.map(str::to_owned).collect();
        if origin.is_empty() || extensions.iter().any(String::is_empty) {
            return Err(bad("empty line"));
        }
        let digits = !size.is_empty() && size.bytes().all(|b| b.is_ascii_digit());
        if !digits || (size.len() > 1 && size.starts_with('0')) {
            return Err(bad("tree size is not canonical decimal"));
        }
        let size = size.parse().map_err(|_| bad("tree size overflows"))?;
        let root = B64
            .decode(root)
            .ok()
            .and_then(|r| Hash::try_from(r).ok())
            .ok_or(bad("root hash is not base64 of 32 bytes"))?;
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }
}

/// Signs checkpoints (and arbitrary note texts) with one named Ed25519 key.
pub struct CheckpointSigner {
    name: String,
    key_id: [u8; 4],
    // ed25519-dalek zeroizes the secret on drop (its `zeroize` feature).
    key: SigningKey,
}

impl std::fmt::Debug for CheckpointSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointSigner")
            .field("name", &self.name)
            .field("key_id", &hex_id(self.key_id))
            .finish_non_exhaustive()
    }
}

impl CheckpointSigner {
    /// A signer from a 32-byte Ed25519 seed (RFC 8032 private key).
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<Self, AuditError> {
        Self::from_key(name, SigningKey::from_bytes(seed))
    }

    /// A signer with a fresh key from `rng` (pass the OS RNG; this crate never reaches for it).
    pub fn generate<R: CryptoRngCore + ?Sized>(
        name: &str,
        rng: &mut R,
    ) -> Result<Self, AuditError> {
        Self::from_key(name, SigningKey::generate(rng))
    }

    /// Parses Go's private key string `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || seed)>`.
    pub fn from_skey(skey: &str) -> Result<Self, AuditError> {
        let bad = AuditError::MalformedKey;
        let rest = skey
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(bad("missing PRIVATE+KEY prefix"))?;
        let (name, id, key) = split_key_string(rest)?;
        let raw = Zeroizing::new(B64.decode(key).map_err(|_| bad("key is not base64"))?);
        let seed = match raw.split_first() {
            Some((&ALG_ED25519, seed)) => {
                <&[u8; 32]>::try_from(seed).map_err(|_| bad("Ed25519 seed must be 32 bytes"))?
            }
            _ => return Err(bad("unknown signature algorithm")),
        };
        let signer = Self::from_seed(name, seed)?;
        if signer.key_id != id {
            return Err(bad("key id does not match name and key"));
        }
        Ok(signer)
    }

    fn from_key(name: &str, key: SigningKey) -> Result<Self, AuditError> {
        check_name(name)?;
        Ok(Self {
            name: name.to_owned(),
            key_id: key_id(name, &key.verifying_key()),
            key,
        })
    }

    /// The key name written in signature lines.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 4-byte key id.
    pub fn key_id(&self) -> [u8; 4] {
        self.key_id
    }

    /// The matching verifier, e.g. to publish its [`CheckpointVerifier::vkey`].
    pub fn verifier(&self) -> CheckpointVerifier {
        CheckpointVerifier {
            name: self.name.clone(),
            key_id: self.key_id,
            key: self.key.verifying_key(),
        }
    }

    /// Signs a checkpoint, returning the complete signed note.
    pub fn sign(&self, checkpoint: &Checkpoint) -> Result<String, AuditError> {
        self.sign_note(&checkpoint.body()?)
    }

    /// Signs any note text: it must be non-empty, end in a newline and contain no control
    /// characters other than newline.
    pub fn sign_note(&self, text: &str) -> Result<String, AuditError> {
        if !text.ends_with('\n') || has_forbidden_control(text) {
            return Err(AuditError::MalformedNote(
                "text must end in newline, no control chars",
            ));
        }
        let mut blob = Vec::with_capacity(68);
        blob.extend_from_slice(&self.key_id);
        blob.extend_from_slice(&self.key.sign(text.as_bytes()).to_bytes());
        Ok(format!(
            "{text}\n{SIG_PREFIX}{} {}\n",
            self.name,
            B64.encode(blob)
        ))
    }
}

/// Verifies notes signed by one configured key (name + public key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointVerifier {
    name: String,
    key_id: [u8; 4],
    key: VerifyingKey,
}

impl CheckpointVerifier {
    /// A verifier for `name` and an Ed25519 public key; weak (small-order) keys are refused.
    pub fn new(name: &str, key: VerifyingKey) -> Result<Self, AuditError> {
        check_name(name)?;
        if key.is_weak() {
            return Err(AuditError::MalformedKey("weak Ed25519 public key"));
        }
        Ok(Self {
            name: name.to_owned(),
            key_id: key_id(name, &key),
            key,
        })
    }

    /// Parses Go's verifier key string `<name>+<hex id>+<base64(0x01 || public key)>`.
    pub fn from_vkey(vkey: &str) -> Result<Self, AuditError> {
        let bad = AuditError::MalformedKey;
        let (name, id, key) = split_key_string(vkey)?;
        let raw = B64.decode(key).map_err(|_| bad("key is not base64"))?;
        let public = match raw.split_first() {
            Some((&ALG_ED25519, k)) => {
                <&[u8; 32]>::try_from(k).map_err(|_| bad("Ed25519 key must be 32 bytes"))?
            }
            _ => return Err(bad("unknown signature algorithm")),
        };
        let key = VerifyingKey::from_bytes(public).map_err(|_| bad("invalid Ed25519 point"))?;
        let verifier = Self::new(name, key)?;
        if verifier.key_id != id {
            return Err(bad("key id does not match name and key"));
        }
        Ok(verifier)
    }

    /// The verifier key string, as Go's `note.NewEd25519VerifierKey` formats it.
    pub fn vkey(&self) -> String {
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(self.key.as_bytes());
        format!("{}+{}+{}", self.name, hex_id(self.key_id), B64.encode(raw))
    }

    /// The key name this verifier expects in signature lines.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 4-byte key id.
    pub fn key_id(&self) -> [u8; 4] {
        self.key_id
    }

    /// Verifies a signed checkpoint and returns its parsed body.
    pub fn verify(&self, signed: &str) -> Result<Checkpoint, AuditError> {
        Checkpoint::parse_body(self.open_note(signed)?)
    }

    /// Verifies a signed note and returns its text. Signatures by other keys (e.g. witness
    /// cosignatures) are ignored, as the spec requires; every signature by this key must verify,
    /// and at least one must be present.
    pub fn open_note<'a>(&self, msg: &'a str) -> Result<&'a str, AuditError> {
        let (text, sigs) = split_note(msg)?;
        let mut verified = false;
        for (n, line) in sigs.split_terminator('\n').enumerate() {
            if n >= MAX_SIGNATURES {
                return Err(AuditError::MalformedNote("too many signatures"));
            }
            let (name, blob) = parse_sig_line(line)?;
            if name != self.name || blob[..4] != self.key_id {
                continue;
            }
            let sig = <[u8; 64]>::try_from(&blob[4..]).map_err(|_| AuditError::InvalidSignature)?;
            self.key
                .verify_strict(text.as_bytes(), &Signature::from_bytes(&sig))
                .map_err(|_| AuditError::InvalidSignature)?;
            verified = true;
        }
        if verified {
            Ok(text)
        } else {
            Err(AuditError::NoMatchingSignature)
        }
    }
}

/// Splits a signed note into its text (with final newline) and signature block, checking the
/// syntax the signed-note spec requires of the whole message. Does not verify anything.
pub(crate) fn split_note(msg: &str) -> Result<(&str, &str), AuditError> {
    let bad = AuditError::MalformedNote;
    if has_forbidden_control(msg) {
        return Err(bad("control character"));
    }
    let split = msg
        .rfind("\n\n")
        .ok_or(bad("no blank line before signatures"))?;
    let (text, sigs) = (&msg[..=split], &msg[split + 2..]);
    if sigs.is_empty() || !sigs.ends_with('\n') {
        return Err(bad(
            "signature block must be non-empty and end in a newline",
        ));
    }
    Ok((text, sigs))
}

/// `— <name> <base64>` → (name, decoded blob of at least 5 bytes).
fn parse_sig_line(line: &str) -> Result<(&str, Vec<u8>), AuditError> {
    let bad = || AuditError::MalformedNote("bad signature line");
    let rest = line.strip_prefix(SIG_PREFIX).ok_or_else(bad)?;
    let (name, b64) = rest.split_once(' ').ok_or_else(bad)?;
    check_name(name).map_err(|_| bad())?;
    let blob = B64.decode(b64).map_err(|_| bad())?;
    if blob.len() < 5 {
        return Err(bad());
    }
    Ok((name, blob))
}

/// `<name>+<8 hex digits>+<base64>`; the base64 part may itself contain '+'.
fn split_key_string(s: &str) -> Result<(&str, [u8; 4], &str), AuditError> {
    let bad = AuditError::MalformedKey;
    let mut parts = s.splitn(3, '+');
    let (Some(name), Some(id), Some(key)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(bad("expected name+id+key"));
    };
    check_name(name)?;
    if id.len() != 8 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad("key id must be 8 hex digits"));
    }
    let id = u32::from_str_radix(id, 16).map_err(|_| bad("key id must be 8 hex digits"))?;
    Ok((name, id.to_be_bytes(), key))
}

fn key_id(name: &str, key: &VerifyingKey) -> [u8; 4] {
    let digest = Sha256::new()
        .chain_update(name.as_bytes())
        .chain_update([b'\n', ALG_ED25519])
        .chain_update(key.as_bytes())
        .finalize();
    [digest[0], digest[1], digest[2], digest[3]]
}

fn check_name(name: &str) -> Result<(), AuditError> {
    if name.is_empty() || name.contains('+') || name.chars().any(char::is_whitespace) {
        return Err(AuditError::InvalidKeyName);
    }
    Ok(())
}

fn has_forbidden_control(s: &str) -> bool {
    s.bytes().any(|b| b < 0x20 && b != b'\n')
}

fn hex_id(id: [u8; 4]) -> String {
    format!("{:08x}", u32::from_be_bytes(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Vectors from golang/mod sumdb/note/note_test.go (TestNewVerifier, TestSign, TestOpen).
    const PETER_SKEY: &str =
        "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
    const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                        then you don't know what your problem is.\n";
    const PETER_SIG: &str = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    const ENOCH_SIG: &str = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

    #[test]
    fn go_note_vectors() -> Result<(), AuditError> {
        let signer = CheckpointSigner::from_skey(PETER_SKEY)?;
        assert_eq!(signer.verifier().vkey(), PETER_VKEY);
        assert_eq!(signer.key_id(), [0xc7, 0x4f, 0x20, 0xa3]);
        // Ed25519 is deterministic, so our signature must equal Go's byte for byte.
        assert_eq!(signer.sign_note(TEXT)?, format!("{TEXT}\n{PETER_SIG}"));

        let peter = CheckpointVerifier::from_vkey(PETER_VKEY)?;
        let enoch = CheckpointVerifier::from_vkey(ENOCH_VKEY)?;
        let both = format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}");
        assert_eq!(peter.open_note(&both)?, TEXT);
        assert_eq!(enoch.open_note(&both)?, TEXT);

        let corrupt = format!("{TEXT}\n{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
        assert!(matches!(
            peter.open_note(&corrupt),
            Err(AuditError::InvalidSignature)
        ));
        let misnamed = PETER_SIG.replace("PeterNeumann", "CarmenSandiego");
        let wrong_id = PETER_SIG.replace("x08g", "xxxx");
        for sig in [misnamed, wrong_id, ENOCH_SIG.to_owned()] {
            let msg = format!("{TEXT}\n{sig}");
            let r = peter.open_note(&msg);
            assert!(matches!(r, Err(AuditError::NoMatchingSignature)), "{sig}");
        }
        let bad_msgs = [
            TEXT.to_owned(),
            format!("{TEXT}\n"),
            format!("{TEXT}\n{}", &PETER_SIG[..PETER_SIG.len() - 1]),
            format!("\x01{TEXT}\n{PETER_SIG}"),
            format!(
                "{TEXT}\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="
            ),
            format!("{TEXT}\n{PETER_SIG}Unexpected line.\n"),
            format!("{TEXT}\n{}", PETER_SIG.repeat(101)),
        ];
        for msg in bad_msgs {
            assert!(
                matches!(peter.open_note(&msg), Err(AuditError::MalformedNote(_))),
                "{msg}"
            );
        }
        Ok(())
    }

    #[test]
    fn mangled_vkeys_are_refused() {
        // As in TestNewVerifier: every proper substring and every single-byte increment fails.
        let b = PETER_VKEY.as_bytes();
        for i in 0..=b.len() {
            for j in i + 1..=b.len() {
                if (i, j) != (0, b.len()) {
                    let s = String::from_utf8_lossy(&b[i..j]);
                    assert!(CheckpointVerifier::from_vkey(&s).is_err(), "{s}");
                }
            }
        }
        for i in 0..b.len() {
            let mut m = b.to_vec();
            m[i] += 1;
            let s = String::from_utf8_lossy(&m);
            assert!(CheckpointVerifier::from_vkey(&s).is_err(), "{s}");
        }
    }

    fn checkpoint() -> Checkpoint {
        Checkpoint::new("vial.example/audit", 20852163, [7u8; 32])
    }

    #[test]
    fn checkpoint_round_trip_and_rejections() -> Result<(), AuditError> {
        let signer = CheckpointSigner::from_seed("vial.example/audit", &[42u8; 32])?;
        let verifier = signer.verifier();
        let mut cp = checkpoint();
        cp.extensions.push("ext line".into());
        let note = signer.sign(&cp)?;
        assert!(note.starts_with("vial.example/audit\n20852163\nBwcHBwcH"));
        assert_eq!(verifier.verify(&note)?, cp);
        assert_eq!(CheckpointVerifier::from_vkey(&verifier.vkey())?, verifier);

        let edited = note.replacen("20852163", "20852164", 1);
        assert!(matches!(
            verifier.verify(&edited),
            Err(AuditError::InvalidSignature)
        ));
        let other = CheckpointSigner::from_seed("vial.example/audit", &[43u8; 32])?;
        let wrong_key = other.verifier().verify(&note);
        assert!(matches!(wrong_key, Err(AuditError::NoMatchingSignature)));
        let renamed = CheckpointVerifier::new("other.example/audit", *verifier_key(&verifier))?;
        assert!(matches!(
            renamed.verify(&note),
            Err(AuditError::NoMatchingSignature)
        ));
        let garbled = note.replace("— ", "- ");
        assert!(matches!(
            verifier.verify(&garbled),
            Err(AuditError::MalformedNote(_))
        ));
        let debug = format!("{signer:?}");
        assert_eq!(
            debug,
            format!(
                "CheckpointSigner {{ name: \"vial.example/audit\", key_id: \"{}\", .. }}",
                hex_id(signer.key_id())
            )
        );
        Ok(())
    }

    fn verifier_key(v: &CheckpointVerifier) -> &VerifyingKey {
        &v.key
    }

    #[test]
    fn body_parsing_is_strict() {
        let root = B64.encode([7u8; 32]);
        for body in [
            format!("o\n01\n{root}\n"),
            format!("o\n-1\n{root}\n"),
            format!("o\n1\n{root}"),
            format!("\n1\n{root}\n"),
            format!("o\n1\n{root}\n\n"),
            "o\n1\nAAAA\n".to_owned(),
            "o\n1\n".to_owned(),
            format!("o\n18446744073709551616\n{root}\n"),
        ] {
            assert!(Checkpoint::parse_body(&body).is_err(), "{body:?}");
        }
        assert!(Checkpoint::parse_body(&format!("o\n0\n{root}\n")).is_ok());
        assert!(CheckpointSigner::from_seed("has space", &[1; 32]).is_err());
        assert!(CheckpointSigner::from_seed("a+b", &[1; 32]).is_err());
    }
}
