//! Keyset paging over a list in its final order, shared by `MemoryStore`
//! and the service (which pages a store's candidates itself).
//!
//! A list is ordered by its sort key (`eval::cmp_keys`: the `sortBy`
//! value, missing values last) and then by a unique tie-breaker (a
//! `MemoryStore` handle, or a resource id), compared as bytes. A cursor
//! holds the key and tie-breaker of the row it resumes from, not an
//! offset: a page resumes strictly after (or, going back, before) that
//! row, wherever it now is. Rows deleted meanwhile, the row itself
//! included, shift nothing; rows created meanwhile are seen at most once
//! (if they sort after the position), and none is seen twice.

use std::cmp::Ordering;
use std::ops::Range;

use time::OffsetDateTime;

use crate::error::Result;
use crate::eval::SortKey;

/// A row's place in the order: its sort key and tie-breaker.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Position {
    pub(crate) key: Option<SortKey>,
    pub(crate) tie: Vec<u8>,
}

/// Where a page starts: what a cursor holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Resume {
    /// The first page.
    First,
    /// The rows after this position (a `nextCursor`).
    After(Position),
    /// The rows just before this position (a `previousCursor`).
    Before(Position),
}

impl Resume {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(32);
        let (tag, pos) = match self {
            Self::First => (0, None),
            Self::After(p) => (1, Some(p)),
            Self::Before(p) => (2, Some(p)),
        };
        out.push(tag);
        if let Some(p) = pos {
            match &p.key {
                None => out.push(0),
                Some(SortKey::Bool(b)) => out.extend_from_slice(&[1, u8::from(*b)]),
                Some(SortKey::Number(n)) => {
                    out.push(2);
                    out.extend_from_slice(&n.to_bits().to_be_bytes());
                }
                Some(SortKey::Instant(t)) => {
                    out.push(3);
                    out.extend_from_slice(&t.unix_timestamp_nanos().to_be_bytes());
                }
                Some(SortKey::Text(s)) => {
                    out.push(4);
                    bytes(&mut out, s.as_bytes());
                }
            }
            bytes(&mut out, &p.tie);
        }
        out
    }

    /// The position a sealed cursor held; `None` for bytes [`Resume::encode`]
    /// did not write (the seal already vouched for them, so only a change
    /// of this format gets here).
    pub(crate) fn decode(raw: &[u8]) -> Option<Self> {
        let mut r = Reader(raw);
        let tag = r.byte()?;
        if tag == 0 {
            return r.0.is_empty().then_some(Self::First);
        }
        let key = match r.byte()? {
            0 => None,
            1 => Some(SortKey::Bool(r.byte()? != 0)),
            2 => Some(SortKey::Number(f64::from_bits(u64::from_be_bytes(
                r.take(8)?.try_into().ok()?,
            )))),
            3 => Some(SortKey::Instant(
                OffsetDateTime::from_unix_timestamp_nanos(i128::from_be_bytes(
                    r.take(16)?.try_into().ok()?,
                ))
                .ok()?,
            )),
            4 => Some(SortKey::Text(String::from_utf8(r.bytes()?.to_vec()).ok()?)),
            _ => return None,
        };
        let tie = r.bytes()?.to_vec();
        if !r.0.is_empty() {
            return None;
        }
        let p = Position { key, tie };
        match tag {
            1 => Some(Self::After(p)),
            2 => Some(Self::Before(p)),
            _ => None,
        }
    }

    /// Opens a cursor of `seal` for `scope`: `None` (the first page) for an
    /// absent or empty one.
    pub(crate) fn open(
        seal: &super::CursorSeal,
        scope: &[u8],
        cursor: Option<&str>,
    ) -> Result<Self> {
        match cursor {
            None | Some("") => Ok(Self::First),
            Some(c) => {
                let raw = seal.open(scope, c)?;
                Self::decode(&raw).ok_or_else(|| {
                    crate::error::Error::invalid_cursor(
                        "the cursor was issued by another version of this server; start \
                         again with an empty cursor",
                    )
                })
            }
        }
    }
}

fn bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&u32::try_from(b.len()).unwrap_or(u32::MAX).to_be_bytes());
    out.extend_from_slice(b);
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }

    fn byte(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = u32::from_be_bytes(self.take(4)?.try_into().ok()?);
        self.take(usize::try_from(n).ok()?)
    }
}

/// A page of a list in its final order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Window {
    /// The rows of the page.
    pub(crate) range: Range<usize>,
    /// A row precedes the page (and the page is not empty): there is a
    /// previous page.
    pub(crate) has_previous: bool,
    /// A row follows the page: there is a next page.
    pub(crate) has_next: bool,
}

/// The page of `count` rows `resume` asks for, in `len` rows ordered by
/// `order`; `cmp(i, p)` compares row `i` with a position. Two binary
/// searches: O(log len) comparisons.
pub(crate) fn window(
    len: usize,
    resume: &Resume,
    count: usize,
    cmp: impl Fn(usize, &Position) -> Ordering,
) -> Window {
    let partition = |p: &Position, f: &dyn Fn(Ordering) -> bool| {
        let (mut lo, mut hi) = (0, len);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if f(cmp(mid, p)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    };
    let range = match resume {
        Resume::First => 0..count.min(len),
        Resume::After(p) => {
            let start = partition(p, &|o| o != Ordering::Greater);
            start..start.saturating_add(count).min(len)
        }
        Resume::Before(p) => {
            let end = partition(p, &|o| o == Ordering::Less);
            end.saturating_sub(count)..end
        }
    };
    Window {
        has_previous: !range.is_empty() && range.start > 0,
        has_next: range.end < len,
        range,
    }
}

/// The cursors of a page: after its last row, and before its first. An
/// empty page that still has rows after it (the rows before a position
/// were all deleted) continues from the first page.
pub(crate) fn cursors(
    w: &Window,
    position: impl Fn(usize) -> Position,
) -> (Option<Resume>, Option<Resume>) {
    let next = w.has_next.then(|| {
        if w.range.is_empty() {
            Resume::First
        } else {
            Resume::After(position(w.range.end - 1))
        }
    });
    let previous = w
        .has_previous
        .then(|| Resume::Before(position(w.range.start)));
    (next, previous)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval;
    use crate::store::SortOrder;

    impl Position {
        fn cmp(&self, other: &Self, order: SortOrder) -> Ordering {
            eval::cmp_keys(self.key.as_ref(), other.key.as_ref(), order)
                .then_with(|| self.tie.cmp(&other.tie))
        }
    }

    fn pos(n: u32) -> Position {
        Position {
            key: None,
            tie: n.to_be_bytes().to_vec(),
        }
    }

    #[test]
    fn resumes_round_trip() {
        for r in [
            Resume::First,
            Resume::After(pos(7)),
            Resume::Before(Position {
                key: Some(SortKey::Text("bjensen".into())),
                tie: b"id".to_vec(),
            }),
            Resume::After(Position {
                key: Some(SortKey::Number(-1.5)),
                tie: vec![],
            }),
            Resume::After(Position {
                key: Some(SortKey::Instant(OffsetDateTime::UNIX_EPOCH)),
                tie: vec![1],
            }),
            Resume::Before(Position {
                key: Some(SortKey::Bool(true)),
                tie: vec![1],
            }),
        ] {
            assert_eq!(Resume::decode(&r.encode()), Some(r.clone()), "{r:?}");
            let mut longer = r.encode();
            longer.push(0);
            assert_eq!(Resume::decode(&longer), None);
        }
        assert_eq!(Resume::decode(&[]), None);
        assert_eq!(Resume::decode(&[9]), None);
    }

    #[test]
    fn windows_walk_forward_and_back() {
        // Rows 10, 20, ..., 100.
        let rows: Vec<u32> = (1..=10).map(|i| i * 10).collect();
        let cmp = |i: usize, p: &Position| pos(rows[i]).cmp(p, SortOrder::Ascending);
        let w = window(rows.len(), &Resume::First, 4, cmp);
        assert_eq!(
            (w.range.clone(), w.has_previous, w.has_next),
            (0..4, false, true)
        );
        // After 40 (deleted or not, e.g. 45): the rows from 50.
        let w = window(rows.len(), &Resume::After(pos(40)), 4, cmp);
        assert_eq!(w.range, 4..8);
        let w = window(rows.len(), &Resume::After(pos(45)), 4, cmp);
        assert_eq!(w.range, 4..8);
        let w = window(rows.len(), &Resume::After(pos(80)), 4, cmp);
        assert_eq!((w.range.clone(), w.has_next), (8..10, false));
        // Before 50: 10..40; before 30: 10, 20 and no previous.
        let w = window(rows.len(), &Resume::Before(pos(50)), 4, cmp);
        assert_eq!((w.range.clone(), w.has_previous), (0..4, false));
        let w = window(rows.len(), &Resume::Before(pos(90)), 4, cmp);
        assert_eq!((w.range.clone(), w.has_previous), (4..8, true));
        let w = window(rows.len(), &Resume::Before(pos(5)), 4, cmp);
        assert_eq!((w.range.clone(), w.has_next), (0..0, true));
        let (next, previous) = cursors(&w, |i| pos(rows[i]));
        assert_eq!((next, previous), (Some(Resume::First), None));
    }
}
