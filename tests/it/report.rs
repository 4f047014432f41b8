//! The committed tables of README and datasets/sweeps/README.md against the committed sweeps.

use regnet_lab::budget::Budget;
use regnet_lab::report::{ReportError, Section, region, splice};

/// A README table that no longer says what the committed runs say is a false statement in the
/// first place a reader looks; `regnet-lab report --write` rewrites them all.
#[test]
fn the_committed_reports_match_the_committed_sweeps() {
    let data = Budget::Cpu
        .data()
        .expect("the cpu budget trains on Debian's dataset-fashion-mnist (make deps)");
    for section in Section::ALL {
        let path = section.document_path();
        let doc = std::fs::read_to_string(&path).unwrap();
        let committed = region(&doc, section).unwrap();
        let now = section.markdown(&data).unwrap();
        if committed != now {
            let first = committed
                .lines()
                .zip(now.lines())
                .find(|(a, b)| a != b)
                .map_or_else(
                    || "one has more lines".to_string(),
                    |(a, b)| format!("committed: {a}\nsweeps say: {b}"),
                );
            panic!(
                "{}: the '{}' tables are not what the committed sweeps give; run \
                 `cargo run --release -- report --write {}` and commit both\n{first}",
                path.display(),
                section.name(),
                section.name()
            );
        }
    }
}

#[test]
fn splicing_replaces_only_the_marked_text_and_refuses_missing_or_doubled_markers() {
    let doc = "# Title\n\n<!-- begin report noise -->\nold\n<!-- end report noise -->\n\nprose\n";
    assert_eq!(region(doc, Section::Noise).unwrap(), "old\n");
    let new = splice(doc, Section::Noise, "| a |\n| b |").unwrap();
    assert_eq!(
        new,
        "# Title\n\n<!-- begin report noise -->\n| a |\n| b |\n<!-- end report noise -->\n\nprose\n"
    );
    // Splicing twice gives the same document.
    assert_eq!(splice(&new, Section::Noise, "| a |\n| b |\n").unwrap(), new);
    // Another section's markers are not this one's.
    assert!(matches!(
        region(doc, Section::Counts),
        Err(ReportError::Markers { .. })
    ));
    let doubled = format!("{doc}{doc}");
    assert!(matches!(
        splice(&doubled, Section::Noise, "x"),
        Err(ReportError::Markers { .. })
    ));
    let reversed = "<!-- end report noise -->\n<!-- begin report noise -->\n";
    let err = region(reversed, Section::Noise).unwrap_err();
    assert!(
        err.to_string().contains("<!-- begin report noise -->"),
        "{err}"
    );
    let err = "figures".parse::<Section>().unwrap_err();
    assert!(
        err.to_string()
            .contains("'figures' is not a report section"),
        "{err}"
    );
    assert_eq!("counts".parse::<Section>().unwrap(), Section::Counts);
}
