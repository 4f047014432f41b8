//! Sweeps survive anything: torn lines, restarts, shards, merges, SIGKILL at random moments,
//! mismatched manifests and write errors.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use regnet_lab::space::{DesignSpace, NetTemplate, RegNetRanges, Regime, Sample};
use regnet_lab::sweep::*;
use regnet_lab::train::{RunRecord, StopReason, TrainConfig};

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("regnet-lab-sweep-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn space() -> DesignSpace {
    DesignSpace::regnet_x()
        .with_template(NetTemplate::fashion_mnist())
        .with_regnet_ranges(RegNetRanges::small())
        .with_regime(Regime {
            resolution: 28,
            flops: None,
            params: None,
        })
}

fn sweep(n: u64) -> Sweep {
    Sweep {
        space: space(),
        seed: 5,
        n,
        train: TrainConfig::default(),
        dataset: "fake".into(),
    }
}

/// A record as a training run would write it, without training (errors made up from flops).
fn fake(sample: &Sample) -> RunRecord {
    let err = 10.0 + (sample.complexity.flops % 1000) as f64 / 100.0;
    RunRecord {
        crate_version: "test".into(),
        sample_index: None,
        spec: sample.spec.clone(),
        regnet: sample.regnet.clone(),
        complexity: sample.complexity,
        resolution: 28,
        config: TrainConfig::default(),
        dataset: "fake".into(),
        device: "cpu".into(),
        epochs: vec![],
        final_error: Some(err),
        best_error: Some(err),
        diverged: false,
        stop: StopReason::Completed,
        images_per_second: 1.0,
        seconds: 0.0,
    }
}

fn indices(path: &Path) -> Vec<u64> {
    let mut v: Vec<u64> = SweepResults::load(path)
        .unwrap()
        .records
        .iter()
        .map(|r| r.sample_index.unwrap())
        .collect();
    v.sort();
    v
}

#[test]
fn torn_last_line_is_ignored_and_cut_before_appending() {
    let dir = temp_dir("torn");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("results.jsonl");
    std::fs::write(&file, "{\"a\":1}\n{\"a\":2}\n{\"a\":").unwrap();
    let loaded = read_jsonl::<serde_json::Value>(&file).unwrap();
    assert_eq!(loaded.records.len(), 2);
    assert_eq!(loaded.torn_bytes, 5);
    let mut app = Appender::open(&file).unwrap();
    app.append(&serde_json::json!({"a": 3})).unwrap();
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n"
    );
    // A complete but corrupt line in the middle is an error naming the line, not silently dropped.
    std::fs::write(&file, "{\"a\":1}\nnot json\n{\"a\":3}\n").unwrap();
    let err = read_jsonl::<serde_json::Value>(&file)
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 2"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn write_errors_are_reported_with_the_path() {
    // /dev/full answers every write with ENOSPC: a full disk.
    let mut app = Appender::open(Path::new("/dev/full")).unwrap();
    let err = app
        .append(&serde_json::json!({"a": 1}))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("/dev/full") && err.to_lowercase().contains("space"),
        "{err}"
    );
}

/// A full disk, simulated with a file-size limit (`ulimit -f`, SIGXFSZ ignored so writes fail
/// with EFBIG): the sweep stops with an error naming the file, and the runs it had finished
/// stay intact and are not trained again.
#[test]
fn a_full_disk_stops_the_sweep_and_keeps_finished_runs() {
    let dir = temp_dir("full");
    let run = |n: u64, limit_kb: Option<u64>| {
        let bin = env!("CARGO_BIN_EXE_regnet-lab");
        let cmd = format!(
            "{} exec '{bin}' sweep RegNetX -n {n} --sample-seed 2 --train-limit 32 --eval-limit 20 --batch-size 16 \
             --max-steps-per-epoch 1 --flops 0..3M --out '{}'",
            limit_kb.map_or(String::new(), |kb| format!("ulimit -f {kb}; trap '' XFSZ;")),
            dir.display()
        );
        Command::new("bash").args(["-c", &cmd]).output().unwrap()
    };
    let first = run(2, None);
    assert!(first.status.success(), "{first:?}");
    let before = std::fs::read_to_string(dir.join("results.jsonl")).unwrap();
    // The results file already exceeds 1 KiB: every further write to it fails.
    let full = run(4, Some(1));
    let err = String::from_utf8_lossy(&full.stderr);
    assert!(!full.status.success(), "a full disk must fail the sweep");
    assert!(err.contains("error:") && !err.contains("panicked"), "{err}");
    let after = std::fs::read_to_string(dir.join("results.jsonl")).unwrap();
    assert!(after.starts_with(&before), "finished runs kept");
    assert_eq!(
        read_jsonl::<RunRecord>(&dir.join("results.jsonl"))
            .unwrap()
            .records
            .len(),
        2
    );
    let again = run(4, None);
    assert!(again.status.success(), "{again:?}");
    assert_eq!(indices(&dir), vec![0, 1, 2, 3]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn rerunning_skips_recorded_indices_and_extends() {
    let dir = temp_dir("resume");
    let mut trained = Vec::new();
    let s = sweep(5);
    let first = s
        .run_with(
            &dir,
            Shard::WHOLE,
            None,
            |x, _| {
                trained.push(x.index);
                Ok(fake(x))
            },
            |_, _| {},
        )
        .unwrap();
    assert_eq!((first.skipped, first.finished, first.remaining), (0, 5, 0));
    let again = s
        .run_with(
            &dir,
            Shard::WHOLE,
            None,
            |x, _| {
                trained.push(x.index);
                Ok(fake(x))
            },
            |_, _| {},
        )
        .unwrap();
    assert_eq!((again.skipped, again.finished), (5, 0));
    let longer = Sweep { n: 8, ..s.clone() };
    longer
        .run_with(
            &dir,
            Shard::WHOLE,
            None,
            |x, _| {
                trained.push(x.index);
                Ok(fake(x))
            },
            |_, _| {},
        )
        .unwrap();
    assert_eq!(trained, (0..8).collect::<Vec<_>>(), "nothing trained twice");
    let res = SweepResults::load(&dir).unwrap();
    assert_eq!(res.manifest.as_ref().unwrap().n, 8);
    assert_eq!(res.errors().len(), 8);
    // Sample i of the sweep is the space's sample (seed, i).
    assert_eq!(res.records[3].spec, space().sample(5, 3).unwrap().spec);
    // The time budget stops between runs.
    let budget = Sweep { n: 12, ..s.clone() };
    let part = budget
        .run_with(&dir, Shard::WHOLE, Some(0.0), |x, _| Ok(fake(x)), |_, _| {})
        .unwrap();
    assert_eq!((part.finished, part.remaining), (0, 4));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn another_sweep_in_the_same_directory_is_refused() {
    let dir = temp_dir("mismatch");
    sweep(2)
        .run_with(&dir, Shard::WHOLE, None, |x, _| Ok(fake(x)), |_, _| {})
        .unwrap();
    let other = Sweep {
        seed: 6,
        ..sweep(2)
    };
    let err = other
        .run_with(&dir, Shard::WHOLE, None, |x, _| Ok(fake(x)), |_, _| {})
        .unwrap_err()
        .to_string();
    assert!(err.contains("seed 6 vs 5"), "{err}");
    // A manifest of another format version is refused with the version named.
    let m = dir.join("manifest.json");
    let text = std::fs::read_to_string(&m)
        .unwrap()
        .replacen("\"format\": 1", "\"format\": 99", 1);
    std::fs::write(&m, text).unwrap();
    let err = SweepResults::load(&dir).unwrap_err().to_string();
    assert!(err.contains("format Some(99)"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn shards_partition_the_indices_and_merge_joins_them() {
    let root = temp_dir("shards");
    let s = sweep(10);
    let dirs: Vec<PathBuf> = (0..3).map(|k| root.join(format!("machine{k}"))).collect();
    for (k, d) in dirs.iter().enumerate() {
        let shard: Shard = format!("{k}/3").parse().unwrap();
        s.run_with(d, shard, None, |x, _| Ok(fake(x)), |_, _| {})
            .unwrap();
        assert!(indices(d).iter().all(|i| i % 3 == k as u64));
        assert!(d.join(format!("results-shard-{k}-of-3.jsonl")).exists());
    }
    // A duplicate directory de-duplicates; a different sweep is refused.
    let mut with_dup = dirs.clone();
    with_dup.push(dirs[0].clone());
    let merged = merge(&with_dup, &root.join("all")).unwrap();
    assert_eq!(merged.records.len(), 10);
    assert_eq!(indices(&root.join("all")), (0..10).collect::<Vec<_>>());
    let odd = root.join("odd");
    Sweep {
        dataset: "other".into(),
        ..sweep(10)
    }
    .run_with(&odd, Shard::WHOLE, None, |x, _| Ok(fake(x)), |_, _| {})
    .unwrap();
    let err = merge(&[dirs[0].clone(), odd], &root.join("bad"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("dataset"), "{err}");
    for bad in ["3/3", "1", "a/b", "0/0"] {
        assert!(bad.parse::<Shard>().is_err(), "{bad}");
    }
    let _ = std::fs::remove_dir_all(&root);
}

/// The real command line, killed with SIGKILL at random moments (some during training, some
/// during writes), resumed each time: at the end every index is present exactly once and every
/// line is valid JSON.
#[test]
fn sigkill_at_random_moments_loses_nothing() {
    let dir = temp_dir("kill");
    let n = 10u64;
    let args = |dir: &Path| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_regnet-lab"));
        c.args([
            "sweep",
            "RegNetX",
            "-n",
            &n.to_string(),
            "--sample-seed",
            "1",
            "--train-limit",
            "32",
            "--eval-limit",
            "20",
            "--batch-size",
            "16",
            "--max-steps-per-epoch",
            "1",
            "--epochs",
            "2",
            "--flops",
            "0..3M",
            "--out",
        ])
        .arg(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
        c
    };
    // Delays from a fixed LCG: reproducible "random" moments from 50 ms to 1.5 s.
    let mut x: u64 = 12345;
    for _ in 0..6 {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let ms = 50 + (x >> 33) % 1450;
        let mut child = args(&dir).spawn().unwrap();
        std::thread::sleep(Duration::from_millis(ms));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
    }
    let status = args(&dir).status().unwrap();
    assert!(status.success());
    let text = std::fs::read_to_string(dir.join("results.jsonl")).unwrap();
    assert!(text.ends_with('\n'));
    let mut seen = Vec::new();
    for line in text.lines() {
        let r: RunRecord =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("invalid line ({e}): {line}"));
        seen.push(r.sample_index.unwrap());
    }
    seen.sort();
    assert_eq!(seen, (0..n).collect::<Vec<_>>(), "each index exactly once");
    assert!(
        !dir.join("checkpoints").exists()
            || std::fs::read_dir(dir.join("checkpoints"))
                .unwrap()
                .next()
                .is_none()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_precomputed_sweep_is_reused_only_when_it_is_the_same_sweep() {
    let pre = temp_dir("pre");
    sweep(6)
        .run_with(&pre, Shard::WHOLE, None, |x, _| Ok(fake(x)), |_, _| {})
        .unwrap();

    // Same sweep, fewer samples: the first 4 records are reused, nothing is left to train.
    let dir = temp_dir("reuse");
    assert_eq!(sweep(4).reuse(&dir, &pre).unwrap(), 4);
    let summary = sweep(4)
        .run_with(
            &dir,
            Shard::WHOLE,
            None,
            |_, _| panic!("nothing to train"),
            |_, _| {},
        )
        .unwrap();
    assert_eq!((summary.skipped, summary.finished), (4, 0));
    assert_eq!(indices(&dir.join("results.jsonl")), vec![0, 1, 2, 3]);
    // A directory with results is never overwritten.
    assert_eq!(sweep(6).reuse(&dir, &pre).unwrap(), 0);

    // Another seed or training recipe is another sweep: nothing is reused.
    let other = temp_dir("other");
    let mut s = sweep(6);
    s.seed = 6;
    assert_eq!(s.reuse(&other, &pre).unwrap(), 0);
    let mut s = sweep(6);
    s.train.epochs += 1;
    assert_eq!(s.reuse(&other, &pre).unwrap(), 0);
    assert!(!other.join("results.jsonl").exists());
    // A missing precomputed sweep is not an error.
    assert_eq!(sweep(6).reuse(&other, &temp_dir("missing")).unwrap(), 0);
    for d in [pre, dir, other] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn the_committed_sweeps_match_the_spaces_the_notebooks_define() {
    use regnet_lab::budget::Budget;
    use regnet_lab::sweep::precomputed;
    // The notebooks at `cpu` budget reuse these directories only if every manifest is what
    // the code defines today; a drift would silently retrain everything.
    let budget = Budget::Cpu;
    let dataset = regnet_lab::train::TrainData::describe(&budget.data().unwrap());
    let groups = [
        ("anynetx", precomputed::anynetx_chain().unwrap()),
        ("regnetx", precomputed::regnet_x_variants()),
    ];
    let mut checked = 0;
    for (group, spaces) in groups {
        for space in spaces {
            let dir = precomputed::path(group, &space);
            if !dir.join("manifest.json").exists() {
                continue;
            }
            let want = Sweep {
                space: space.clone(),
                seed: 0,
                n: budget.sweep_size(),
                train: budget.train_config(),
                dataset: dataset.clone(),
            }
            .manifest();
            let have = SweepManifest::load(&dir).unwrap();
            assert_eq!(want.mismatch(&have), None, "{}", dir.display());
            let results = SweepResults::load(&dir).unwrap();
            assert_eq!(
                results.records.len() as u64,
                budget.sweep_size(),
                "{}",
                dir.display()
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 5,
        "the AnyNetX_A..E sweeps are committed under datasets/sweeps/"
    );
}
