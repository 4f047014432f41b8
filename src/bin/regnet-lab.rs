//! `regnet-lab`: the design-space pipeline from a terminal or a job array.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use regnet_lab::budget::Budget;
use regnet_lab::space::{
    AnyNetSpec, AnyNetXRanges, DesignSpace, Family, NetTemplate, RegNetParams, RegNetRanges,
    Regime, zoo,
};
use regnet_lab::summary::ModelSummary;
use regnet_lab::sweep::{Concurrency, Schedule, Shard, Sweep, precomputed};
use regnet_lab::train::{
    DataSource, DeviceChoice, Event, ImageData, LrSchedule, RunRecord, TrainConfig, TrainData,
    print_event, train_with,
};

#[derive(Parser)]
#[command(
    name = "regnet-lab",
    version,
    about = "Sample, describe and study AnyNet / RegNet design spaces (Radosavovic et al., CVPR 2020)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Describe a zoo model (e.g. RegNetX-200MF) or RegNet parameters: stages and complexity.
    Describe(DescribeArgs),
    /// Sample models from a design space (AnyNetX_A.._E, RegNet, RegNetX, RegNetY, RegNetX_small).
    Sample(SampleArgs),
    /// Train one model briefly and write its record (and a resumable checkpoint) to --out.
    Train(TrainArgs),
    /// Sample and train n models of a design space into --out; rerun to resume.
    Sweep(SweepArgs),
    /// Make (or extend) the committed evidence under datasets/sweeps/: every evidence space
    /// (AnyNetX_A..E, RegNetX and its restrictions, RegNetY) at the `cpu` budget's recipe, in
    /// rounds so that all spaces grow together; rerun to resume.
    Evidence(EvidenceArgs),
    /// Merge sweep directories (shards) into --out, refusing different sweeps.
    Merge(MergeArgs),
    /// Propose the next refinement of a finished sweep's design space: rank candidate
    /// constraints (shared b / g, monotone widths / depths, good ranges, …) by the evidence
    /// in the sweep, with no new training (paper §2.1 step 4).
    Suggest(SuggestArgs),
    /// The tables README and datasets/sweeps/README.md show, from the committed sweeps
    /// (nothing is trained): print them, or rewrite their marked sections with --write.
    Report(ReportArgs),
    /// List the zoo models and design spaces.
    List,
}

/// `regnet-lab describe`.
#[derive(Args)]
struct DescribeArgs {
    /// Zoo model name (case- and _/- insensitive); omit when giving --regnet.
    name: Option<String>,
    /// RegNet parameters: d=..,w0=..,wa=..,wm=..,g=..[,b=..][,se=..]
    #[arg(long)]
    regnet: Option<String>,
    /// Input resolution for the complexity count.
    #[arg(long, default_value_t = 224)]
    resolution: usize,
    /// Number of classes of the head.
    #[arg(long)]
    classes: Option<usize>,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// `regnet-lab sample`.
#[derive(Args)]
struct SampleArgs {
    space: String,
    /// Number of samples.
    #[arg(short = 'n', default_value_t = 10)]
    n: usize,
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Flops window MIN..MAX, with optional K/M/G suffixes (e.g. 360M..400M).
    #[arg(long)]
    flops: Option<String>,
    /// Input resolution for the complexity count (and the regime).
    #[arg(long, default_value_t = 224)]
    resolution: usize,
    /// Network template: imagenet, cifar10 or fashion-mnist.
    #[arg(long, default_value = "imagenet")]
    template: String,
    /// Print JSON lines.
    #[arg(long)]
    json: bool,
}

/// `regnet-lab train`.
#[derive(Args)]
struct TrainArgs {
    /// A zoo model name.
    #[arg(long, conflicts_with_all = ["regnet", "spec"])]
    model: Option<String>,
    /// RegNet parameters d=..,w0=..,wa=..,wm=..,g=..[,b=..][,se=..]
    #[arg(long, conflicts_with = "spec")]
    regnet: Option<String>,
    /// An AnyNetSpec as JSON.
    #[arg(long)]
    spec: Option<PathBuf>,
    #[command(flatten)]
    run: RunArgs,
    /// Output directory (record.json, checkpoint/).
    #[arg(long)]
    out: PathBuf,
}

/// `regnet-lab sweep`.
#[derive(Args)]
struct SweepArgs {
    space: String,
    #[arg(short = 'n', default_value_t = 20)]
    n: u64,
    /// Seed of the sample sequence.
    #[arg(long, default_value_t = 0)]
    sample_seed: u64,
    /// Flops window MIN..MAX at the dataset's resolution (K/M/G suffixes).
    #[arg(long)]
    flops: Option<String>,
    /// AnyNetX / RegNet ranges: `small` (CPU-sized, default) or `paper`.
    #[arg(long, default_value = "small")]
    ranges: String,
    #[command(flatten)]
    schedule: ScheduleArgs,
    #[command(flatten)]
    run: RunArgs,
    #[arg(long)]
    out: PathBuf,
}

/// `regnet-lab evidence`.
#[derive(Args)]
struct EvidenceArgs {
    /// Groups (anynetx, regnetx, regnety, alternatives, designs, generalisation, epochs, trends) or space
    /// directories (e.g. anynetx_c) to run; when omitted, the main evidence (anynetx, regnetx,
    /// regnety).
    only: Vec<String>,
    /// Models per space after each round (every space reaches one before any goes on).
    #[arg(long, default_value = "32,64,100,150,200")]
    rounds: String,
    #[command(flatten)]
    schedule: ScheduleArgs,
    /// Root of the sweep directories.
    #[arg(long, default_value_os_t = precomputed::root())]
    root: PathBuf,
}

/// `regnet-lab merge`.
#[derive(Args)]
struct MergeArgs {
    dirs: Vec<PathBuf>,
    #[arg(long)]
    out: PathBuf,
}

/// `regnet-lab report`.
#[derive(Args)]
struct ReportArgs {
    /// Sections: noise, findings, secondary, counts (all when none is named).
    sections: Vec<String>,
    /// Rewrite each section between its markers in its document (README.md or
    /// datasets/sweeps/README.md of this source tree) instead of printing it.
    #[arg(long)]
    write: bool,
}

/// `regnet-lab suggest`.
#[derive(Args)]
struct SuggestArgs {
    /// Sweep directory (manifest.json + results*.jsonl) or one results JSONL file.
    results: PathBuf,
    /// Seed of the hold-out split, the bootstraps and the samples of the space.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Bootstrap resamples for the effect intervals.
    #[arg(long, default_value_t = 2000)]
    resamples: usize,
    /// Level α of the tests (intervals are 1 − α).
    #[arg(long, default_value_t = 0.05)]
    alpha: f64,
    /// Fewest kept and fewest rejected models for a candidate to be tested.
    #[arg(long, default_value_t = 10)]
    min_models: usize,
    /// Multiple-testing correction: holm, bh or none.
    #[arg(long, default_value = "holm")]
    correction: String,
    /// Good-range candidates: holdout (derive on half, test on the rest), holdout:F,
    /// in-sample (circular, marked) or off.
    #[arg(long, default_value = "holdout")]
    ranges: String,
    /// Fresh samples of the space to estimate the share each candidate keeps (0: skip).
    #[arg(long, default_value_t = 2000)]
    share_samples: usize,
    /// Also write the ranked table as HTML to this file.
    #[arg(long)]
    html: Option<PathBuf>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    json: bool,
}

impl Cli {
    /// Whether this command may train several models side by side (`--concurrency auto` on
    /// more than one thread, or N > 1).
    fn side_by_side(&self) -> bool {
        let c = match &self.command {
            Command::Sweep(SweepArgs { schedule, .. })
            | Command::Evidence(EvidenceArgs { schedule, .. }) => &schedule.concurrency,
            _ => return false,
        };
        match c.as_str() {
            // As rayon will count them, without starting its pool (no thread may exist yet).
            "auto" => std::env::var("RAYON_NUM_THREADS")
                .ok()
                .and_then(|v| v.parse::<usize>().ok())
                .filter(|n| *n > 0)
                .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
                .is_some_and(|n| n > 1),
            n => n.parse::<usize>().is_ok_and(|n| n > 1),
        }
    }
}

/// Which runs of a sweep this process trains, for how long, and how many at once (`sweep`,
/// `evidence`).
#[derive(Args, Clone)]
struct ScheduleArgs {
    /// Run only indices i ≡ K (mod N), into their own results file.
    #[arg(long)]
    shard: Option<String>,
    /// Stop between runs after this long (e.g. 90s, 30m, 2h).
    #[arg(long)]
    time_budget: Option<String>,
    /// Models trained at once: `auto` (models below 6 MF two at a time, one thread each,
    /// larger ones alone on every thread: measured fastest, README "Performance"), `1` (one
    /// at a time), or N (N side by side, one thread each).
    #[arg(long, default_value = "auto")]
    concurrency: String,
}

/// Training settings shared by `train` and `sweep`.
#[derive(Args, Clone)]
struct RunArgs {
    /// embedded (default), fashion-mnist or cifar10.
    #[arg(long, default_value = "embedded")]
    dataset: String,
    /// Directory of the dataset's files.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    #[arg(long, default_value_t = 1)]
    epochs: usize,
    #[arg(long, default_value_t = 128)]
    batch_size: usize,
    /// Base learning rate (cosine schedule).
    #[arg(long, default_value_t = 0.1)]
    lr: f64,
    #[arg(long, default_value_t = regnet_lab::train::SgdConfig::default().weight_decay)]
    weight_decay: f64,
    /// Linear warm-up epochs.
    #[arg(long, default_value_t = 0.0)]
    warmup: f64,
    /// Change the learning rate once per epoch, as pycls does, instead of every step (a
    /// warm-up shorter than the run needs per-step changes to mean anything).
    #[arg(long)]
    lr_per_epoch: bool,
    /// Zero-initialise the last BN γ of every residual branch (each block starts as the
    /// identity). Off by default, as in pycls; deep nets at high rates need it (a 13-block
    /// RegNet diverges at lr 0.05 without it or a warm-up, in PyTorch too).
    #[arg(long, default_value_t = false, action = clap::ArgAction::Set)]
    zero_init: bool,
    /// Seed of initialisation, data order and augmentation.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// At most this many steps per epoch (smoke runs).
    #[arg(long)]
    max_steps_per_epoch: Option<usize>,
    /// Train on at most this many images (class-balanced).
    #[arg(long)]
    train_limit: Option<usize>,
    /// Evaluate on at most this many test images (class-balanced).
    #[arg(long)]
    eval_limit: Option<usize>,
    /// Per-run time budget (e.g. 60s, 5m).
    #[arg(long)]
    run_budget: Option<String>,
    /// cpu, cuda, cuda:N or auto.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Progress line every this many steps (0: per epoch).
    #[arg(long, default_value_t = 0)]
    log_every: usize,
}

impl RunArgs {
    fn source(&self) -> Result<DataSource> {
        Ok(DataSource::from_cli(&self.dataset, self.data_dir.clone())?)
    }

    fn data(&self) -> Result<ImageData> {
        let mut d = ImageData::load(&self.source()?)?;
        if let Some(n) = self.train_limit {
            d = d.with_train_limit(n);
        }
        if let Some(n) = self.eval_limit {
            d = d.with_eval_limit(n);
        }
        Ok(d)
    }

    fn config(&self) -> Result<TrainConfig> {
        if !(self.lr.is_finite() && self.lr > 0.0) {
            bail!("--lr must be a positive number");
        }
        Ok(TrainConfig {
            epochs: self.epochs,
            batch_size: self.batch_size,
            schedule: LrSchedule {
                per_iteration: !self.lr_per_epoch,
                ..LrSchedule::cosine(self.lr).with_warmup(self.warmup)
            },
            zero_init: self.zero_init,
            sgd: regnet_lab::train::SgdConfig {
                weight_decay: self.weight_decay,
                ..Default::default()
            },
            seed: self.seed,
            max_seconds: self.run_budget.as_deref().map(parse_duration).transpose()?,
            max_steps_per_epoch: self.max_steps_per_epoch,
            log_every: self.log_every,
            device: self.device.parse::<DeviceChoice>()?,
            ..TrainConfig::default()
        })
    }

    /// The network template that fits the dataset (stem, channels, classes).
    fn template(&self) -> Result<NetTemplate> {
        Ok(match self.source()? {
            DataSource::Cifar10(_) => NetTemplate::cifar10(),
            _ => NetTemplate::fashion_mnist(),
        })
    }
}

/// `90`, `90s`, `30m`, `2h` → seconds.
fn parse_duration(s: &str) -> Result<f64> {
    let t = s.trim();
    let (num, mult) = match t.chars().last() {
        Some('s') => (&t[..t.len() - 1], 1.0),
        Some('m') => (&t[..t.len() - 1], 60.0),
        Some('h') => (&t[..t.len() - 1], 3600.0),
        _ => (t, 1.0),
    };
    let v: f64 = num
        .trim()
        .parse()
        .with_context(|| format!("duration '{s}': expected e.g. 90s, 30m or 2h"))?;
    if !(v.is_finite() && v >= 0.0) {
        bail!("duration '{s}' must be non-negative");
    }
    Ok(v * mult)
}

fn spinner(len: u64, what: &str) -> Option<ProgressBar> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} ({elapsed})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_prefix(what.to_string());
    Some(bar)
}

fn record_line(r: &RunRecord) -> String {
    format!(
        "sample {:>4}  {:>7.2} MF  {:>6.3} M params  error {}  {:.0} img/s  {:.1}s{}",
        r.sample.index.map_or("-".into(), |i| i.to_string()),
        r.sample.complexity.flops as f64 / 1e6,
        r.sample.complexity.params as f64 / 1e6,
        r.best_error
            .map_or("diverged".into(), |e| format!("{e:.2}%")),
        r.images_per_second,
        r.seconds,
        match r.stop {
            regnet_lab::train::StopReason::TimeBudget => "  (time budget)",
            _ => "",
        }
    )
}

fn main() -> ExitCode {
    // candle's element-wise thread pool spins before sleeping and takes the cores from the fast
    // conv/BN ops' workers (docs/performance.md, "candle's spin limit").
    // Set before any thread exists; a value in the environment wins.
    if std::env::var_os("CANDLE_BARRIER_POOL_SPIN_LIMIT").is_none() {
        // SAFETY: single-threaded here, nothing reads the environment concurrently.
        unsafe { std::env::set_var("CANDLE_BARRIER_POOL_SPIN_LIMIT", "500") };
    }
    // The allocator policy the fast ops want (see its doc), stated here rather than left to
    // the first op.
    regnet_lab::ops::tune_allocator();
    let cli = Cli::parse();
    if cli.side_by_side() && std::env::var_os("CANDLE_NUM_THREADS").is_none() {
        // Models side by side share candle's one element-wise pool, behind one lock: with a
        // pool of one thread each trainer runs those ops inline (README "Performance").
        // SAFETY: single-threaded here, nothing reads the environment concurrently.
        unsafe { std::env::set_var("CANDLE_NUM_THREADS", "1") };
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match cli.command {
        Command::Describe(args) => describe(args, &mut out),
        Command::Sample(args) => sample(args, &mut out),
        Command::Train(args) => train(args),
        Command::Sweep(args) => sweep(args),
        Command::Evidence(args) => evidence(args),
        Command::Merge(args) => merge(args),
        Command::Suggest(args) => suggest(args, &mut out),
        Command::Report(args) => report(args, &mut out),
        Command::List => list(&mut out),
    }?;
    out.flush().context("writing to stdout")
}

/// A zoo model or RegNet parameters: stages and complexity, as text or JSON.
fn describe(args: DescribeArgs, out: &mut impl Write) -> Result<()> {
    let DescribeArgs {
        name,
        regnet,
        resolution,
        classes,
        json,
    } = args;
    let (name, params) = match (name, regnet) {
        (Some(n), None) => {
            let m = zoo::get(&n)?;
            (Some(m.name.to_string()), m.params)
        }
        (None, Some(r)) => (None, r.parse::<RegNetParams>()?),
        (Some(_), Some(_)) => bail!("give either a model name or --regnet, not both"),
        (None, None) => bail!(
            "give a model name (see `regnet-lab list`) or --regnet d=..,w0=..,wa=..,wm=..,g=.."
        ),
    };
    let mut spec = params.to_spec()?;
    if let Some(c) = classes {
        spec = spec.with_num_classes(c)?;
    }
    let mut summary = ModelSummary::new(&spec, Some(&params), resolution)?;
    summary.name = name;
    if json {
        writeln!(out, "{}", serde_json::to_string(&summary)?)?;
    } else {
        write!(out, "{}", summary.to_text())?;
    }
    Ok(())
}

/// `n` samples of a design space, as text or JSON lines.
fn sample(args: SampleArgs, out: &mut impl Write) -> Result<()> {
    let SampleArgs {
        space,
        n,
        seed,
        flops,
        resolution,
        template,
        json,
    } = args;
    let template = match template.to_ascii_lowercase().replace('_', "-").as_str() {
        "imagenet" => NetTemplate::imagenet(),
        "cifar10" | "cifar-10" => NetTemplate::cifar10(),
        "fashion-mnist" => NetTemplate::fashion_mnist(),
        other => bail!("unknown template '{other}' (imagenet, cifar10, fashion-mnist)"),
    };
    if resolution == 0 {
        bail!("--resolution must be at least 1");
    }
    let space = DesignSpace::named(&space)?
        .with_template(template)
        .with_regime(regime(flops.as_deref(), resolution)?);
    for i in 0..n as u64 {
        let s = space.sample(seed, i)?;
        let summary = ModelSummary::of_sample(&s);
        if json {
            writeln!(out, "{}", serde_json::to_string(&summary)?)?;
        } else {
            writeln!(out, "{}", summary.to_text())?;
        }
    }
    Ok(())
}

/// One model trained into `--out` (record.json and a resumable checkpoint).
fn train(args: TrainArgs) -> Result<()> {
    let TrainArgs {
        model,
        regnet,
        spec,
        run,
        out,
    } = args;
    let template = run.template()?;
    let (spec, params): (AnyNetSpec, Option<RegNetParams>) = match (model, regnet, spec) {
        (Some(m), None, None) => {
            let p = zoo::get(&m)?.params;
            (p.to_spec_with(&template)?, Some(p))
        }
        (None, Some(r), None) => {
            let p: RegNetParams = r.parse()?;
            (p.to_spec_with(&template)?, Some(p))
        }
        (None, None, Some(path)) => {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            (
                serde_json::from_str(&text)
                    .with_context(|| format!("{} is not a valid AnyNetSpec", path.display()))?,
                None,
            )
        }
        _ => bail!(
            "give one of --model NAME, --regnet d=..,w0=..,wa=..,wm=..,g=.. or --spec FILE.json"
        ),
    };
    let data = run.data()?;
    let cfg = run.config()?;
    check_fits(&spec, &data)?;
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let steps = cfg.steps_per_epoch(&data) as u64 * cfg.epochs as u64;
    let bar = spinner(steps, "train");
    let mut on_event = |e: &Event| match (&bar, e) {
        (Some(b), Event::Step { step, .. }) => b.set_position(*step as u64),
        (Some(b), Event::Epoch(r)) => {
            b.set_position(((r.epoch + 1) * r.steps) as u64);
            b.println(format!(
                "epoch {} test error {:?}",
                r.epoch + 1,
                r.test_error
            ));
        }
        (Some(b), e) => b.println(format!("{e:?}")),
        (None, e) => print_event(e),
    };
    let record = train_with(
        &spec,
        params.as_ref(),
        &data,
        &cfg,
        Some(&out.join("checkpoint")),
        &mut on_event,
    )?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let path = out.join("record.json");
    std::fs::write(&path, serde_json::to_string_pretty(&record)?)
        .with_context(|| format!("writing {}", path.display()))?;
    println!("{}", record_line(&record));
    println!("record: {}", path.display());
    Ok(())
}

/// A sweep trained (or resumed) into `--out`.
fn sweep(args: SweepArgs) -> Result<()> {
    let SweepArgs {
        space,
        n,
        sample_seed,
        flops,
        ranges,
        schedule,
        run: args,
        out: dir,
    } = args;
    let schedule = schedule.parse()?;
    let data = args.data()?;
    let cfg = args.config()?;
    let mut space = DesignSpace::named(&space)?.with_template(args.template()?);
    space = match (ranges.as_str(), space.family().clone()) {
        ("paper", _) => space,
        ("small", Family::AnyNetX(_)) => space.with_anynet_ranges(AnyNetXRanges::small())?,
        ("small", Family::RegNet(_)) => space.with_regnet_ranges(RegNetRanges::small())?,
        (other, _) => bail!("--ranges '{other}': expected small or paper"),
    };
    space = space.with_regime(regime(flops.as_deref(), data.resolution())?);
    let shard = schedule.shard;
    let sweep = Sweep::new(space, sample_seed, n, cfg, &data);
    let mine = (0..n).filter(|i| shard.contains(*i)).count() as u64;
    let bar = spinner(mine, "sweep");
    let summary = sweep.train_on(&dir, &data, schedule, |record, s| {
        let line = record_line(record);
        match &bar {
            Some(b) => {
                b.set_position(s.skipped + s.finished);
                b.println(line);
            }
            None => println!("{line}"),
        }
    })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    println!(
        "{}: {} already recorded, {} trained now, {} remaining{}",
        dir.display(),
        summary.skipped,
        summary.finished,
        summary.remaining,
        if summary.remaining > 0 {
            " (run the same command again to resume)"
        } else {
            ""
        }
    );
    Ok(())
}

/// Shards of one sweep joined into `--out`.
fn merge(args: MergeArgs) -> Result<()> {
    let MergeArgs { dirs, out: dest } = args;
    if dirs.is_empty() {
        bail!("give the sweep directories to merge");
    }
    let merged = regnet_lab::sweep::merge(&dirs, &dest)?;
    println!(
        "{}: {} runs from {} directories",
        dest.display(),
        merged.records.len(),
        dirs.len()
    );
    Ok(())
}

/// The next refinement proposed from a finished sweep.
fn suggest(args: SuggestArgs, out: &mut impl Write) -> Result<()> {
    let SuggestArgs {
        results,
        seed,
        resamples,
        alpha,
        min_models,
        correction,
        ranges,
        share_samples,
        html,
        json,
    } = args;
    use regnet_lab::refine::SuggestOptions;
    let sweep = regnet_lab::sweep::SweepResults::load(&results)
        .with_context(|| format!("reading the sweep {}", results.display()))?;
    let opts = SuggestOptions::default()
        .seed(seed)
        .resamples(resamples)
        .alpha(alpha)
        .min_models(min_models)
        .correction(correction.parse()?)
        .ranges(ranges.parse()?)
        .share_samples(share_samples);
    let s = regnet_lab::refine::suggest(&sweep, &opts)?;
    if let Some(path) = html {
        std::fs::write(&path, s.to_html())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if json {
        writeln!(out, "{}", serde_json::to_string(&s)?)?;
    } else {
        write!(out, "{s}")?;
    }
    Ok(())
}

/// The committed evidence as Markdown, printed or written into the documents that show it.
fn report(args: ReportArgs, out: &mut impl Write) -> Result<()> {
    use regnet_lab::report::{Section, splice};
    let sections: Vec<Section> = if args.sections.is_empty() {
        Section::ALL.to_vec()
    } else {
        args.sections
            .iter()
            .map(|s| s.parse())
            .collect::<Result<_, _>>()?
    };
    let data = Budget::Cpu.data().context(
        "the committed sweeps were trained on Debian's Fashion-MNIST (apt-get install dataset-fashion-mnist)",
    )?;
    for section in sections {
        let body = section
            .markdown(&data)
            .with_context(|| format!("report {}", section.name()))?;
        if !args.write {
            writeln!(out, "<!-- report {} -->\n{body}", section.name())?;
            continue;
        }
        let path = section.document_path();
        let doc = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        let new = splice(&doc, section, &body).with_context(|| format!("{}", path.display()))?;
        let changed = new != doc;
        if changed {
            std::fs::write(&path, new).with_context(|| format!("writing {}", path.display()))?;
        }
        writeln!(
            out,
            "{}: {} ({})",
            section.name(),
            path.display(),
            if changed { "rewritten" } else { "unchanged" }
        )?;
    }
    Ok(())
}

/// The zoo models and design spaces.
fn list(out: &mut impl Write) -> Result<()> {
    writeln!(out, "zoo models: {}", zoo::names().join(", "))?;
    writeln!(
        out,
        "design spaces: {}",
        regnet_lab::space::SPACE_NAMES.join(", ")
    )?;
    Ok(())
}

impl ScheduleArgs {
    /// The options, checked.
    fn parse(&self) -> Result<Schedule> {
        Ok(Schedule {
            shard: parse_shard(self.shard.as_deref())?,
            budget_seconds: self
                .time_budget
                .as_deref()
                .map(parse_duration)
                .transpose()?,
            concurrency: parse_concurrency(&self.concurrency)?,
        })
    }
}

/// Round by round, bring every chosen evidence space to the round's number of models.
fn evidence(args: EvidenceArgs) -> Result<()> {
    let EvidenceArgs {
        only,
        rounds,
        schedule,
        root,
    } = args;
    let (rounds, schedule) = (parse_rounds(&rounds)?, schedule.parse()?);
    let data = Budget::Cpu.data().context(
        "the evidence is trained on Debian's Fashion-MNIST (apt-get install dataset-fashion-mnist)",
    )?;
    let main = precomputed::evidence()?;
    let mut all = main.clone();
    all.extend(precomputed::secondary()?);
    // Nothing named: the main evidence; names pick groups or spaces of either.
    let spaces: Vec<_> = if only.is_empty() {
        main.iter().collect()
    } else {
        all.iter()
            .filter(|(group, space)| {
                only.iter()
                    .any(|o| o == group || *o == precomputed::slug(space.name()))
            })
            .collect()
    };
    if spaces.is_empty() {
        let names: Vec<String> = all
            .iter()
            .map(|(_, s)| precomputed::slug(s.name()))
            .collect();
        bail!(
            "nothing matches {:?}: give anynetx, regnetx, regnety, alternatives, designs, generalisation, epochs, trends or one of {}",
            only,
            names.join(", ")
        );
    }
    let started = std::time::Instant::now();
    for &n in &rounds {
        for (group, space) in &spaces {
            let left = schedule
                .budget_seconds
                .map(|b| b - started.elapsed().as_secs_f64());
            if left.is_some_and(|l| l <= 0.0) {
                println!("time budget spent: run the same command again to resume");
                return Ok(());
            }
            let data = precomputed::data_for(space, &data)?;
            let data = data.as_ref();
            let sweep = precomputed::sweep(Budget::Cpu, group, space, data, n);
            let dir = root.join(group).join(precomputed::slug(space.name()));
            let schedule = Schedule {
                budget_seconds: left,
                ..schedule
            };
            let summary = sweep.train_on(&dir, data, schedule, |record, _| {
                println!("{:<14} {}", space.name(), record_line(record))
            })?;
            println!(
                "{}: n = {n}: {} already recorded, {} trained now, {} remaining",
                dir.display(),
                summary.skipped,
                summary.finished,
                summary.remaining
            );
        }
    }
    Ok(())
}

/// `--rounds 32,64,...`: increasing model counts.
fn parse_rounds(s: &str) -> Result<Vec<u64>> {
    let rounds = s
        .split(',')
        .map(|r| {
            r.trim()
                .parse::<u64>()
                .ok()
                .filter(|n| *n >= 1)
                .with_context(|| format!("--rounds '{s}': '{r}' is not a model count ≥ 1"))
        })
        .collect::<Result<Vec<u64>>>()?;
    if rounds.windows(2).any(|w| w[0] >= w[1]) {
        bail!("--rounds '{s}': counts must increase");
    }
    Ok(rounds)
}

/// `--shard K/N` (none: the whole sweep).
fn parse_shard(s: Option<&str>) -> Result<Shard> {
    Ok(s.map(str::parse::<Shard>)
        .transpose()?
        .unwrap_or(Shard::WHOLE))
}

/// `--concurrency auto | N`.
fn parse_concurrency(s: &str) -> Result<Concurrency> {
    match s {
        "auto" => Ok(Concurrency::auto()),
        n => match n.parse::<usize>() {
            Ok(n) if n >= 1 => Ok(Concurrency::models_at_once(n)),
            _ => bail!("--concurrency '{s}': expected auto or a number of models ≥ 1"),
        },
    }
}

/// The complexity regime of `--flops MIN..MAX` at `resolution` (no window: count only).
fn regime(flops: Option<&str>, resolution: usize) -> Result<Regime> {
    Ok(match flops {
        Some(w) => {
            let (lo, hi) = parse_window(w)?;
            Regime::flops(lo, hi, resolution)
        }
        None => Regime {
            resolution,
            flops: None,
            params: None,
        },
    })
}

/// The spec must take the dataset's images and classes.
fn check_fits(spec: &AnyNetSpec, data: &ImageData) -> Result<()> {
    let shape = data.splits.shape();
    if spec.in_channels() != shape.channels {
        bail!(
            "the model takes {} input channels but the dataset has {}",
            spec.in_channels(),
            shape.channels
        );
    }
    if spec.num_classes() != data.splits.num_classes() {
        bail!(
            "the model has {} classes but the dataset {}",
            spec.num_classes(),
            data.splits.num_classes()
        );
    }
    Ok(())
}

/// `360M..400M`, `0.36G..0.4G`, `360000000..400000000`.
fn parse_window(s: &str) -> Result<(u64, u64)> {
    let (lo, hi) = s
        .split_once("..")
        .with_context(|| format!("--flops '{s}': expected MIN..MAX, e.g. 360M..400M"))?;
    let num = |t: &str| -> Result<u64> {
        let t = t.trim().trim_end_matches(['F', 'f']);
        let (digits, mult) = match t.chars().last() {
            Some('K' | 'k') => (&t[..t.len() - 1], 1e3),
            Some('M' | 'm') => (&t[..t.len() - 1], 1e6),
            Some('G' | 'g') => (&t[..t.len() - 1], 1e9),
            _ => (t, 1.0),
        };
        let v: f64 = digits
            .trim()
            .parse()
            .with_context(|| format!("--flops '{s}': '{digits}' is not a number"))?;
        if !(v.is_finite() && v >= 0.0) {
            bail!("--flops '{s}': bounds must be non-negative");
        }
        Ok((v * mult).round() as u64)
    };
    let (lo, hi) = (num(lo)?, num(hi)?);
    if lo > hi {
        bail!("--flops '{s}': MIN is larger than MAX");
    }
    Ok((lo, hi))
}
