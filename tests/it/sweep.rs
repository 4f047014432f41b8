//! Sweeps survive anything: torn lines, restarts, shards, merges, SIGKILL at random moments,
//! mismatched manifests and write errors.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use regnet_lab::space::{DesignSpace, NetTemplate, Regime, Sample};
use regnet_lab::sweep::*;
use regnet_lab::train::{RunRecord, TrainConfig};

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("regnet-lab-sweep-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

use crate::regnet_small as space;

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
    let mut record = RunRecord::synthetic(sample, Some(err));
    // A training run does not know its index; the sweep sets it.
    record.sample.index = None;
    record.sample.resolution = 28;
    record
}

fn indices(path: &Path) -> Vec<u64> {
    let mut v: Vec<u64> = SweepResults::load(path)
        .unwrap()
        .records
        .iter()
        .map(|r| r.sample.index.unwrap())
        .collect();
    v.sort();
    v
}

/// Run `s`'s `shard` into `dir` with [`fake`] training, appending every index it trains to
/// `trained`.
fn run_fake(s: &Sweep, dir: &Path, shard: Shard, trained: &mut Vec<u64>) -> RunSummary {
    s.run_with(
        dir,
        shard,
        None,
        |x, _| {
            trained.push(x.index.unwrap());
            Ok(fake(x))
        },
        |_, _| {},
    )
    .unwrap()
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
    let (mut app, old) = Appender::open::<serde_json::Value>(&file).unwrap();
    assert_eq!(old.len(), 2);
    app.append(&serde_json::json!({"a": 3})).unwrap();
    drop(app);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A complete but corrupt line in the middle costs only itself: readers skip it (naming the
/// line), the next writer moves it to the quarantine file with its line number, and the sweep
/// retrains just that index.
#[test]
fn a_corrupt_middle_line_is_quarantined_and_its_run_retrained() {
    let dir = temp_dir("corrupt");
    sweep(6)
        .run_with(&dir, Shard::WHOLE, None, |x, _| Ok(fake(x)), |_, _| {})
        .unwrap();
    let file = dir.join("results.jsonl");
    let text = std::fs::read_to_string(&file).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let lost: RunRecord = serde_json::from_str(lines[2]).unwrap();
    lines[2] = "{\"crate_version\": \"0.1.0\", garbage";
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();

    let loaded = read_jsonl::<RunRecord>(&file).unwrap();
    assert_eq!(loaded.records.len(), 5);
    assert_eq!(loaded.corrupt.len(), 1);
    assert_eq!(loaded.corrupt[0].line, 3);
    assert!(loaded.warning(&file).unwrap().contains("line 3"));
    let res = SweepResults::load(&dir).unwrap();
    assert_eq!((res.records.len(), res.corrupt_lines), (5, 1));

    let mut trained = Vec::new();
    let summary = run_fake(&sweep(6), &dir, Shard::WHOLE, &mut trained);
    assert_eq!(trained, vec![lost.sample.index.unwrap()]);
    assert_eq!((summary.skipped, summary.finished), (5, 1));
    assert_eq!(indices(&dir), (0..6).collect::<Vec<_>>());
    let res = SweepResults::load(&dir).unwrap();
    assert_eq!(res.corrupt_lines, 0);
    let q = std::fs::read_to_string(quarantine_path(&file)).unwrap();
    let entry: serde_json::Value = serde_json::from_str(q.lines().next().unwrap()).unwrap();
    assert_eq!(entry["line"], 3);
    assert!(entry["text"].as_str().unwrap().contains("garbage"));
    assert!(entry["at"].as_str().unwrap().ends_with('Z'));
    let _ = std::fs::remove_dir_all(&dir);
}

/// One writer per results file: a second appender is refused with the holder named, a shard's
/// own file is not, and dropping the first frees the file.
#[test]
fn one_writer_per_results_file() {
    let dir = temp_dir("lock");
    std::fs::create_dir_all(&dir).unwrap();
    let file = Shard::WHOLE.results_file(&dir);
    let (first, _) = Appender::open::<RunRecord>(&file).unwrap();
    let err = Appender::open::<RunRecord>(&file).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, SweepError::Locked { .. }), "{msg}");
    assert!(
        msg.contains(&format!("process {}", std::process::id())) && msg.contains("since 20"),
        "{msg}"
    );
    // The running sweep cannot be joined either.
    let err = sweep(2)
        .run_with(&dir, Shard::WHOLE, None, |x, _| Ok(fake(x)), |_, _| {})
        .unwrap_err();
    assert!(matches!(err, SweepError::Locked { .. }), "{err}");
    // Shards write their own files, under their own locks.
    let (_a, _) =
        Appender::open::<RunRecord>(&"0/2".parse::<Shard>().unwrap().results_file(&dir)).unwrap();
    let (_b, _) =
        Appender::open::<RunRecord>(&"1/2".parse::<Shard>().unwrap().results_file(&dir)).unwrap();
    drop(first);
    Appender::open::<RunRecord>(&file).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

/// A custom constraint is stored by name: the same name with another predicate draws other
/// models, and resuming or reusing is refused (by the manifest's fingerprint, and by the
/// recorded runs themselves when the manifest predates fingerprints).
#[test]
fn an_edited_custom_constraint_is_refused_on_resume_and_reuse() {
    let base = || {
        DesignSpace::anynet_x_a()
            .with_template(NetTemplate::fashion_mnist())
            .with_anynet_ranges(regnet_lab::space::AnyNetXRanges::small())
            .unwrap()
    };
    let narrow = base().constrain("my rule", |s| s.stage_widths().iter().all(|&w| w <= 48));
    let wide = base().constrain("my rule", |s| s.stage_widths().iter().all(|&w| w >= 80));
    let mk = |space: DesignSpace| Sweep {
        space,
        seed: 0,
        n: 3,
        train: TrainConfig::default(),
        dataset: "fake".into(),
    };
    let dir = temp_dir("edited");
    mk(narrow.clone())
        .run_with(&dir, Shard::WHOLE, None, |x, _| Ok(fake(x)), |_, _| {})
        .unwrap();
    let run_wide = || {
        mk(wide.clone()).run_with(
            &dir,
            Shard::WHOLE,
            None,
            |_, _| panic!("nothing may be trained into another sweep's directory"),
            |_, _| {},
        )
    };
    let err = run_wide().unwrap_err().to_string();
    assert!(
        err.contains("my rule") && err.contains(dir.to_str().unwrap()),
        "{err}"
    );

    // A manifest without the fingerprint: the recorded runs themselves are checked.
    let m = dir.join("manifest.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&m).unwrap()).unwrap();
    v.as_object_mut().unwrap().remove("draws");
    std::fs::write(&m, v.to_string()).unwrap();
    let err = run_wide().unwrap_err();
    assert!(matches!(err, SweepError::Draws { .. }), "{err}");
    assert!(err.to_string().contains("my rule"), "{err}");
    // … and a precomputed sweep with the same description is never reused for the new rule.
    let other = temp_dir("edited-reuse");
    let err = mk(wide.clone()).reuse(&other, &dir).unwrap_err();
    assert!(matches!(err, SweepError::Draws { .. }), "{err}");
    assert!(!other.join("results.jsonl").exists());
    // The unchanged rule resumes and reuses as before.
    assert_eq!(mk(narrow.clone()).reuse(&other, &dir).unwrap(), 3);
    for d in [dir, other] {
        let _ = std::fs::remove_dir_all(d);
    }
}

#[test]
fn write_errors_are_reported_with_the_path() {
    // /dev/full answers every write with ENOSPC: a full disk.
    let dir = temp_dir("devfull");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("results.jsonl");
    std::os::unix::fs::symlink("/dev/full", &file).unwrap();
    let (mut app, _) = Appender::open::<serde_json::Value>(&file).unwrap();
    let err = app
        .append(&serde_json::json!({"a": 1}))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("results.jsonl") && err.to_lowercase().contains("space"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
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
    let first = run_fake(&s, &dir, Shard::WHOLE, &mut trained);
    assert_eq!((first.skipped, first.finished, first.remaining), (0, 5, 0));
    let again = run_fake(&s, &dir, Shard::WHOLE, &mut trained);
    assert_eq!((again.skipped, again.finished), (5, 0));
    let longer = Sweep { n: 8, ..s.clone() };
    run_fake(&longer, &dir, Shard::WHOLE, &mut trained);
    assert_eq!(trained, (0..8).collect::<Vec<_>>(), "nothing trained twice");
    let res = SweepResults::load(&dir).unwrap();
    assert_eq!(res.manifest.as_ref().unwrap().n, 8);
    assert_eq!(res.errors().len(), 8);
    // Sample i of the sweep is the space's sample (seed, i).
    assert_eq!(
        res.records[3].sample.spec,
        space().sample(5, 3).unwrap().spec
    );
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

/// A sweep sharded two ways goes on four ways: the finer shards skip what the coarser ones
/// recorded (in other files of the directory) and train only the rest.
#[test]
fn a_finer_layout_skips_what_a_coarser_one_recorded() {
    let dir = temp_dir("reshard");
    let s = sweep(12);
    // Shard 1/2 records its first two indices (1 and 3), then stops.
    let mut left = 2;
    s.run_with(
        &dir,
        "1/2".parse().unwrap(),
        None,
        |x, _| {
            if left == 0 {
                return Err(SweepError::Mismatch("stop".into()));
            }
            left -= 1;
            Ok(fake(x))
        },
        |_, _| {},
    )
    .unwrap_err();
    assert_eq!(indices(&dir), [1, 3]);
    let mut trained = Vec::new();
    for k in [1, 3] {
        let summary = run_fake(&s, &dir, format!("{k}/4").parse().unwrap(), &mut trained);
        assert_eq!(
            summary.skipped, 1,
            "shard {k}/4 finds one of its indices recorded"
        );
    }
    trained.sort_unstable();
    assert_eq!(trained, [5, 7, 9, 11]);
    assert_eq!(indices(&dir), [1, 3, 5, 7, 9, 11]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The real command line, two models at once, killed with SIGKILL at random moments (some
/// during training, some during writes), resumed each time: at the end every index is present
/// exactly once and every line is valid JSON.
/// A process killed after appending a run's record but before removing its checkpoint leaves
/// the checkpoint behind; the next run of the sweep removes it (the run is finished) and leaves
/// the checkpoints of runs it has not recorded alone.
#[test]
fn checkpoints_of_recorded_runs_are_removed_on_resume() {
    let dir = temp_dir("stale-ckpt");
    let s = sweep(3);
    s.run_with(&dir, Shard::WHOLE, None, |x, _| Ok(fake(x)), |_, _| {})
        .unwrap();
    let stale = dir.join("checkpoints").join("1");
    let pending = dir.join("checkpoints").join("7");
    for d in [&stale, &pending] {
        std::fs::create_dir_all(d).unwrap();
        std::fs::write(d.join("state.json"), "{}").unwrap();
    }
    let again = s
        .run_with(&dir, Shard::WHOLE, None, |x, _| Ok(fake(x)), |_, _| {})
        .unwrap();
    assert_eq!(again.finished, 0);
    assert!(!stale.exists(), "the finished run's checkpoint is gone");
    assert!(
        pending.exists(),
        "a checkpoint of an unrecorded index stays"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

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
            // Two models at once: a kill may land while both train or while one is appended.
            "--concurrency",
            "2",
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
        seen.push(r.sample.index.unwrap());
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

/// The two writers: the same sweep started twice on one directory. The second is
/// refused at once (exit status 2, the holder named); the first finishes; the file has every
/// index once and no corrupt line; a rerun has nothing to do.
#[test]
fn two_processes_on_one_sweep_directory() {
    let dir = temp_dir("two");
    let cmd = |dir: &Path| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_regnet-lab"));
        c.args([
            "sweep",
            "AnyNetX_A",
            "-n",
            "6",
            "--sample-seed",
            "5",
            "--epochs",
            "1",
            "--dataset",
            "embedded",
            "--train-limit",
            "120",
            "--eval-limit",
            "50",
            "--batch-size",
            "16",
            "--max-steps-per-epoch",
            "2",
            "--flops",
            "0..3M",
            "--out",
        ])
        .arg(dir);
        c
    };
    let first = cmd(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for_lock_holder(&dir.join("results.jsonl"));
    let second = cmd(&dir).output().unwrap();
    assert_eq!(second.status.code(), Some(2));
    let err = String::from_utf8_lossy(&second.stderr);
    assert!(
        err.contains("being written by another sweep")
            && err.contains(&format!("process {}", first.id()))
            && err.contains("on host"),
        "{err}"
    );
    let first = first.wait_with_output().unwrap();
    assert!(first.status.success());
    let text = std::fs::read_to_string(dir.join("results.jsonl")).unwrap();
    let mut seen: Vec<u64> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<RunRecord>(l)
                .unwrap()
                .sample
                .index
                .unwrap()
        })
        .collect();
    seen.sort();
    assert_eq!(seen, (0..6).collect::<Vec<_>>());
    let again = cmd(&dir).output().unwrap();
    assert!(again.status.success());
    let out = String::from_utf8_lossy(&again.stdout);
    assert!(out.contains("6 already recorded, 0 trained now"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A writer killed with SIGKILL leaves no lock behind: the next one takes over at once.
#[test]
fn a_killed_writer_leaves_no_stale_lock() {
    let dir = temp_dir("killed-holder");
    let cmd = || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_regnet-lab"));
        c.args([
            "sweep",
            "RegNetX",
            "-n",
            "3",
            "--sample-seed",
            "2",
            "--epochs",
            "1",
            "--train-limit",
            "32",
            "--eval-limit",
            "20",
            "--batch-size",
            "16",
            "--max-steps-per-epoch",
            "1",
            "--flops",
            "0..3M",
            "--out",
        ])
        .arg(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
        c
    };
    let mut holder = cmd().spawn().unwrap();
    wait_for_lock_holder(&dir.join("results.jsonl"));
    holder.kill().unwrap(); // SIGKILL
    holder.wait().unwrap();
    let next = cmd().output().unwrap();
    assert!(
        next.status.success(),
        "{}",
        String::from_utf8_lossy(&next.stderr)
    );
    assert_eq!(indices(&dir), vec![0, 1, 2]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Wait until a writer holds the lock of `results` and has written its name.
fn wait_for_lock_holder(results: &Path) {
    let lock = lock_path(results);
    for _ in 0..600 {
        if std::fs::read_to_string(&lock).is_ok_and(|t| t.starts_with("process")) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no writer took {} within 30 s", lock.display());
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
    // The notebooks at `cpu` budget read these directories only if every manifest is what the
    // code defines today (`precomputed::committed`); a drift would silently hide the evidence.
    let data = Budget::Cpu
        .data()
        .expect("the cpu budget trains on Debian's dataset-fashion-mnist (make deps)");
    let mut checked = 0;
    let mut all = precomputed::evidence().unwrap();
    all.extend(precomputed::secondary().unwrap());
    for (group, space) in all {
        let dir = precomputed::path(group, &space);
        if !dir.join("manifest.json").exists() {
            continue;
        }
        let results = precomputed::committed(group, &space, &data)
            .unwrap()
            .unwrap_or_else(|| panic!("{} is not the cpu budget's sweep", dir.display()));
        let n = results.manifest.as_ref().unwrap().n;
        let mut indices: Vec<u64> = results
            .records
            .iter()
            .map(|r| r.sample.index.unwrap())
            .collect();
        indices.sort_unstable();
        indices.dedup();
        assert_eq!(indices.len(), results.records.len(), "{}", dir.display());
        assert!(indices.iter().all(|i| *i < n), "{}", dir.display());
        assert_eq!(
            results.corrupt_lines + results.torn_lines,
            0,
            "{}",
            dir.display()
        );
        checked += 1;
    }
    assert!(
        checked >= 5,
        "the evidence sweeps are committed under datasets/sweeps/"
    );
}

/// Concurrency changes nothing but the order of the lines: the same sweep trained one model
/// at a time (on every thread) and two at a time (one thread each) records the same losses and
/// errors per index, bit for bit.
#[test]
fn concurrent_sweeps_record_what_a_sequential_sweep_records() {
    use regnet_lab::train::{DataSource, ImageData, TrainData};
    let data = ImageData::load(&DataSource::Embedded)
        .unwrap()
        .with_train_limit(96)
        .with_eval_limit(50);
    let sweep = Sweep {
        space: DesignSpace::anynet_x_a()
            .with_template(NetTemplate::fashion_mnist())
            .with_anynet_ranges(regnet_lab::space::AnyNetXRanges::small())
            .unwrap()
            .with_regime(Regime::flops(1_000_000, 6_000_000, 28)),
        seed: 3,
        n: 4,
        train: TrainConfig {
            epochs: 2,
            batch_size: 32,
            ..TrainConfig::default()
        },
        dataset: data.describe(),
    };
    let run = |name: &str, concurrency: Concurrency| {
        let dir = temp_dir(name);
        sweep
            .run_concurrently(
                &dir,
                Shard::WHOLE,
                None,
                concurrency,
                |s, ckpt| sweep.train_sample(s, &data, ckpt),
                |_, _| {},
            )
            .unwrap();
        let res = SweepResults::load(&dir).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        res.records
    };
    let sequential = run("seq", Concurrency::Sequential);
    let side_by_side = run("par", Concurrency::models_at_once(2));
    assert_eq!(sequential.len(), 4);
    assert_eq!(side_by_side.len(), 4);
    let numbers = |r: &RunRecord| {
        (
            r.sample.index,
            r.sample.spec.clone(),
            r.epochs
                .iter()
                .map(|e| {
                    (
                        e.train_loss.to_bits(),
                        e.train_error.to_bits(),
                        e.test_error.map(f64::to_bits),
                    )
                })
                .collect::<Vec<_>>(),
            r.best_error.map(f64::to_bits),
        )
    };
    for (a, b) in sequential.iter().zip(&side_by_side) {
        assert_eq!(numbers(a), numbers(b), "index {:?}", a.sample.index);
    }
}

#[test]
fn committed_records_read_and_write_back_byte_for_byte() {
    // A run record carries its `Sample` flattened: the JSON lines keep the format they were
    // committed in, so old and new records sit in one results file and read the same.
    let root = regnet_lab::sweep::precomputed::root();
    let mut checked = 0;
    for group in ["anynetx", "regnetx", "regnety", "noise"] {
        let Ok(dirs) = std::fs::read_dir(root.join(group)) else {
            continue;
        };
        for dir in dirs.flatten() {
            let Ok(files) = std::fs::read_dir(dir.path()) else {
                continue;
            };
            for f in files.flatten() {
                let name = f.file_name().to_string_lossy().into_owned();
                if !(name.starts_with("results") && name.ends_with(".jsonl")) {
                    continue;
                }
                let text = std::fs::read_to_string(f.path()).unwrap();
                let Some(line) = text.lines().next() else {
                    continue;
                };
                let record: RunRecord = serde_json::from_str(line).unwrap();
                assert!(record.sample.index.is_some(), "{}", f.path().display());
                assert_eq!(
                    serde_json::to_string(&record).unwrap(),
                    line,
                    "{}",
                    f.path().display()
                );
                checked += 1;
            }
        }
    }
    assert!(
        checked > 0,
        "no committed results found under {}",
        root.display()
    );
}

/// Input resolution (paper Fig. 14, middle): a space counts flops at its regime's side, and a
/// sweep refuses data of another side with a clear error instead of training other models;
/// `precomputed::results` resamples the data and the runs record the side they were drawn at.
#[test]
fn a_sweep_trains_at_its_spaces_resolution() {
    use regnet_lab::budget::Budget;
    use regnet_lab::sweep::precomputed;
    use regnet_lab::train::TrainData;
    let data = Budget::Smoke.data().unwrap();
    let spaces = precomputed::regnet_x_resolutions();
    assert_eq!(
        spaces.iter().map(|s| s.name()).collect::<Vec<_>>(),
        ["RegNetX 20px", "RegNetX 40px"]
    );
    let big = &spaces[1];
    let dir = temp_dir("resolution");
    let wrong = Sweep::new(big.clone(), 0, 1, Budget::Smoke.train_config(), &data);
    let err = wrong
        .train_on(&dir, &data, Schedule::default(), |_, _| {})
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("at 40×40 but the data is 28×28") && err.contains("at_resolution(40)"),
        "{err}"
    );
    let resampled = precomputed::data_for(big, &data).unwrap();
    assert_eq!(resampled.resolution(), 40);
    assert!(resampled.describe().ends_with("resized to 40×40"));
    let r = precomputed::results(Budget::Smoke, "designs", big, &data, &dir).unwrap();
    assert_eq!(r.records.len() as u64, Budget::Smoke.sweep_size());
    for rec in &r.records {
        assert_eq!(rec.sample.resolution, 40);
        let mf = rec.sample.complexity.flops as f64 / 1e6;
        assert!((1.0..=6.0).contains(&mf), "{mf} MF");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
