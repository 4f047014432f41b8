//! The 24 zoo models against the reference's published numbers (pycls MODEL_ZOO.md: flops in
//! GF, params and acts in millions, all rounded to one decimal) and against the stage widths,
//! depths and group widths that pycls builds from their parameters.

use regnet_lab::complexity::complexity;
use regnet_lab::space::zoo;

/// (name, flops GF, params M, acts M) as published.
const PUBLISHED: [(&str, f64, f64, f64); 24] = [
    ("RegNetX-200MF", 0.2, 2.7, 2.2),
    ("RegNetX-400MF", 0.4, 5.2, 3.1),
    ("RegNetX-600MF", 0.6, 6.2, 4.0),
    ("RegNetX-800MF", 0.8, 7.3, 5.1),
    ("RegNetX-1.6GF", 1.6, 9.2, 7.9),
    ("RegNetX-3.2GF", 3.2, 15.3, 11.4),
    ("RegNetX-4.0GF", 4.0, 22.1, 12.2),
    ("RegNetX-6.4GF", 6.5, 26.2, 16.4),
    ("RegNetX-8.0GF", 8.0, 39.6, 14.1),
    ("RegNetX-12GF", 12.1, 46.1, 21.4),
    ("RegNetX-16GF", 15.9, 54.3, 25.5),
    ("RegNetX-32GF", 31.7, 107.8, 36.3),
    ("RegNetY-200MF", 0.2, 3.2, 2.2),
    ("RegNetY-400MF", 0.4, 4.3, 3.9),
    ("RegNetY-600MF", 0.6, 6.1, 4.3),
    ("RegNetY-800MF", 0.8, 6.3, 5.2),
    ("RegNetY-1.6GF", 1.6, 11.2, 8.0),
    ("RegNetY-3.2GF", 3.2, 19.4, 11.3),
    ("RegNetY-4.0GF", 4.0, 20.6, 12.3),
    ("RegNetY-6.4GF", 6.4, 30.6, 16.4),
    ("RegNetY-8.0GF", 8.0, 39.2, 18.0),
    ("RegNetY-12GF", 12.1, 51.8, 21.4),
    ("RegNetY-16GF", 15.9, 83.6, 23.0),
    ("RegNetY-32GF", 32.3, 145.0, 30.3),
];

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

#[test]
fn every_zoo_model_matches_published_complexity() {
    assert_eq!(zoo::all().len(), 24);
    let mut failures = Vec::new();
    for (name, gf, mp, ma) in PUBLISHED {
        let spec = zoo::get(name).unwrap().spec();
        let cx = complexity(&spec, 224).unwrap();
        let got = (
            round1(cx.flops as f64 / 1e9),
            round1(cx.params as f64 / 1e6),
            round1(cx.acts as f64 / 1e6),
        );
        eprintln!(
            "{name}: {got:?} {:?} {:?} {:?}",
            spec.stage_depths(),
            spec.stage_widths(),
            spec.stage_group_widths()
        );
        if got != (gf, mp, ma) {
            failures.push(format!("{name}: got {got:?}, published {:?}", (gf, mp, ma)));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
