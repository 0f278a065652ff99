//! The data corpus: `tests/data/valid.txt` (input and canonical form) and
//! `tests/data/invalid.txt` (error kind, byte offset, input).

use scim_filter::{ParseErrorKind, parse_filter};

fn cases(file: &str) -> impl Iterator<Item = (usize, &str)> {
    file.lines()
        .enumerate()
        .map(|(n, line)| (n + 1, line))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
}

fn kind_name(kind: ParseErrorKind) -> String {
    let debug = format!("{kind:?}");
    debug.split('(').next().unwrap_or_default().to_owned()
}

#[test]
fn valid_inputs_parse_to_their_canonical_form() {
    let mut count = 0;
    for (line, case) in cases(include_str!("data/valid.txt")) {
        let (input, canonical) = case.rsplit_once('\t').unwrap_or((case, case));
        let filter = parse_filter(input)
            .unwrap_or_else(|e| panic!("valid.txt:{line}: {input:?} failed:\n{e}"));
        assert_eq!(filter.to_string(), canonical, "valid.txt:{line}");
        assert_eq!(
            parse_filter(canonical).as_ref(),
            Ok(&filter),
            "valid.txt:{line}: canonical form reparses differently"
        );
        count += 1;
    }
    assert!(count >= 80, "the corpus shrank to {count} cases");
}

#[test]
fn invalid_inputs_fail_with_their_kind_and_offset() {
    let mut count = 0;
    for (line, case) in cases(include_str!("data/invalid.txt")) {
        let mut fields = case.splitn(3, '\t');
        let (Some(kind), Some(offset), Some(input)) = (fields.next(), fields.next(), fields.next())
        else {
            panic!("invalid.txt:{line}: expected kind<TAB>offset<TAB>input");
        };
        let offset: usize = offset.parse().expect("offset");
        let err = match parse_filter(input) {
            Ok(f) => panic!("invalid.txt:{line}: {input:?} parsed as {f:?}"),
            Err(e) => e,
        };
        assert_eq!(
            (kind_name(err.kind()).as_str(), err.offset()),
            (kind, offset),
            "invalid.txt:{line}: {input:?}\n{err}"
        );
        // The message names the offset and draws a caret.
        assert!(err.to_string().contains(&format!("at byte {offset}")));
        assert!(err.to_string().ends_with('^'));
        count += 1;
    }
    assert!(count >= 50, "the corpus shrank to {count} cases");
}
