//! The records by id, with UUIDs kept as their bits.

use super::{Handle, HashMap};

/// The records by id. An id in the canonical text of a UUID (what the
/// service assigns: lowercase, hyphenated) is kept as its 128 bits, inline
/// in the table: a lookup then compares in place rather than following a
/// pointer to the text (a cache miss per request), and the key costs no
/// allocation. Any other id is kept as text.
#[derive(Debug, Default)]
pub(super) struct Ids {
    uuids: HashMap<u128, Handle>,
    texts: HashMap<Box<str>, Handle>,
}

impl Ids {
    pub(super) fn get(&self, id: &str) -> Option<Handle> {
        match canonical_uuid(id) {
            Some(u) => self.uuids.get(&u).copied(),
            None => self.texts.get(id).copied(),
        }
    }

    pub(super) fn contains(&self, id: &str) -> bool {
        self.get(id).is_some()
    }

    pub(super) fn insert(&mut self, id: &str, handle: Handle) {
        match canonical_uuid(id) {
            Some(u) => self.uuids.insert(u, handle),
            None => self.texts.insert(id.into(), handle),
        };
    }

    pub(super) fn remove(&mut self, id: &str) {
        match canonical_uuid(id) {
            Some(u) => self.uuids.remove(&u),
            None => self.texts.remove(id),
        };
    }
}

/// The bits of `id` when it is a UUID's canonical text (36 characters,
/// lowercase hex, hyphens at 8, 13, 18 and 23): exactly the texts that
/// formatting the bits gives back, so that two ids share a key only when
/// they are the same text.
fn canonical_uuid(id: &str) -> Option<u128> {
    // 36 characters is the hyphenated form, the only one `try_parse`
    // accepts at that length; it accepts uppercase hex too.
    let bytes = id.as_bytes();
    if bytes.len() != 36 || bytes.iter().any(u8::is_ascii_uppercase) {
        return None;
    }
    uuid::Uuid::try_parse_ascii(bytes).ok().map(|u| u.as_u128())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_uuid_texts_round_trip_and_nothing_else_is_one() {
        for _ in 0..100 {
            let u = uuid::Uuid::new_v4();
            let text = u.to_string();
            assert_eq!(canonical_uuid(&text), Some(u.as_u128()), "{text}");
        }
        let text = "2819c223-7f76-453a-919d-413861904646";
        assert!(canonical_uuid(text).is_some());
        for other in [
            "2819C223-7F76-453A-919D-413861904646",   // uppercase
            "{2819c223-7f76-453a-919d-413861904646}", // braced
            "2819c2237f76453a919d413861904646",       // simple
            "2819c223-7f76-453a-919d-41386190464g",   // not hex
            "2819c2237-f76-453a-919d-413861904646",   // hyphen moved
            "2819c223-7f76-453a-919d-4138619046466",  // too long
            "urn:uuid:2819c223-7f76-453a-919d-41386190",
            "1",
            "",
        ] {
            assert_eq!(canonical_uuid(other), None, "{other}");
        }
    }

    #[test]
    fn ids_keep_uuid_and_other_texts_apart_and_exact() {
        let mut ids = Ids::default();
        let lower = "2819c223-7f76-453a-919d-413861904646";
        let upper = "2819C223-7F76-453A-919D-413861904646";
        ids.insert(lower, 1);
        ids.insert(upper, 2);
        ids.insert("42", 3);
        assert_eq!(ids.get(lower), Some(1));
        assert_eq!(ids.get(upper), Some(2));
        assert_eq!(ids.get("42"), Some(3));
        assert_eq!(ids.get("2819c223-7f76-453a-919d-413861904647"), None);
        ids.remove(lower);
        assert!(!ids.contains(lower));
        assert!(ids.contains(upper));
        ids.remove("42");
        assert!(!ids.contains("42"));
    }
}
