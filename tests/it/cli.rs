//! The command line: `describe` and `sample`, their JSON, and clear errors for bad arguments.

use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_regnet-lab"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(line: &str) -> serde_json::Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}

#[test]
fn describe_zoo_model_as_json() {
    let o = run(&["describe", "regnety_200mf", "--json"]);
    assert!(o.status.success(), "{o:?}");
    let v = json(stdout(&o).trim());
    assert_eq!(v["name"], "RegNetY-200MF");
    assert_eq!(v["stage_depths"], serde_json::json!([1, 1, 4, 7]));
    assert_eq!(v["stage_widths"], serde_json::json!([24, 56, 152, 368]));
    assert_eq!(v["stage_group_widths"], serde_json::json!([8, 8, 8, 8]));
    assert_eq!(
        v["stage_bottleneck_ratios"],
        serde_json::json!([1.0, 1.0, 1.0, 1.0])
    );
    assert_eq!(v["block"], "y");
    assert_eq!(v["stem"], "simple");
    for key in ["flops", "params", "acts"] {
        assert!(v[key].is_u64(), "{key} is an integer");
    }
    let params = v["params"].as_u64().unwrap();
    assert_eq!((params + 50_000) / 100_000, 32, "3.2 M params as published");
}

#[test]
fn describe_regnet_parameters_at_another_resolution() {
    let o = run(&[
        "describe",
        "--regnet",
        "d=13,w0=24,wa=36.44,wm=2.49,g=8",
        "--resolution",
        "32",
        "--json",
    ]);
    assert!(o.status.success(), "{o:?}");
    let v = json(stdout(&o).trim());
    assert_eq!(v["resolution"], 32);
    assert!(v["flops"].as_u64().unwrap() < 10_000_000);
    let text = stdout(&run(&["describe", "RegNetX-8.0GF"]));
    assert!(
        text.contains("RegNetX-8.0GF") && text.contains("1920") && text.contains("GF flops"),
        "{text}"
    );
}

#[test]
fn sample_prints_json_lines_inside_the_window() {
    let o = run(&[
        "sample",
        "AnyNetX_C",
        "-n",
        "5",
        "--seed",
        "3",
        "--flops",
        "360M..400M",
        "--json",
    ]);
    assert!(o.status.success(), "{o:?}");
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 5);
    for (i, l) in lines.iter().enumerate() {
        let v = json(l);
        assert_eq!(v["index"], i as u64);
        let f = v["flops"].as_u64().unwrap();
        assert!((360_000_000..=400_000_000).contains(&f), "{f}");
        let g = v["stage_group_widths"].as_array().unwrap();
        assert!(g.iter().all(|x| *x == g[0]), "AnyNetX_C shares g: {l}");
    }
    // Same seed, same output.
    let again = run(&[
        "sample",
        "AnyNetX_C",
        "-n",
        "5",
        "--seed",
        "3",
        "--flops",
        "360M..400M",
        "--json",
    ]);
    assert_eq!(stdout(&again), out);
    let small = run(&[
        "sample",
        "regnetx",
        "-n",
        "2",
        "--resolution",
        "28",
        "--template",
        "fashion-mnist",
        "--json",
    ]);
    assert!(small.status.success(), "{small:?}");
    assert!(stdout(&small).contains("\"in_channels\":1"));
}

#[test]
fn bad_arguments_fail_clearly_without_panicking() {
    for (args, expected) in [
        (
            vec!["describe", "RegNetX-300MF"],
            "unknown model 'RegNetX-300MF'",
        ),
        (vec!["describe"], "give a model name"),
        (
            vec!["describe", "--regnet", "d=13,w0=20,wa=3,wm=2,g=8"],
            "w0 = 20",
        ),
        (
            vec!["describe", "RegNetX-200MF", "--resolution", "0"],
            "resolution must be at least 1",
        ),
        (vec!["sample", "AnyNetX_Z"], "unknown design space"),
        (
            vec!["sample", "RegNetX", "--flops", "400M..360M"],
            "MIN is larger than MAX",
        ),
        (
            vec!["sample", "RegNetX", "--flops", "abc"],
            "expected MIN..MAX",
        ),
        (
            vec!["sample", "RegNetX", "--template", "mnist3d"],
            "unknown template",
        ),
        (
            vec!["sample", "RegNetX", "--resolution", "0"],
            "resolution must be at least 1",
        ),
        (vec!["sample", "RegNetX", "-n", "-3"], "error"),
        (
            vec!["report", "figures"],
            "'figures' is not a report section",
        ),
    ] {
        let o = run(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{args:?} succeeded");
        assert!(
            err.contains(expected),
            "{args:?}: expected '{expected}' in '{err}'"
        );
        assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
    }
}
