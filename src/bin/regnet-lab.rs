//! `regnet-lab`: the design-space pipeline from a terminal or a job array.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

use regnet_lab::space::{DesignSpace, NetTemplate, RegNetParams, Regime, zoo};
use regnet_lab::summary::ModelSummary;

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
    Describe {
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
    },
    /// Sample models from a design space (AnyNetX_A.._E, RegNet, RegNetX, RegNetY, RegNetX_small).
    Sample {
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
    },
    /// List the zoo models and design spaces.
    List,
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
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
        Command::Describe {
            name,
            regnet,
            resolution,
            classes,
            json,
        } => {
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
        }
        Command::Sample {
            space,
            n,
            seed,
            flops,
            resolution,
            template,
            json,
        } => {
            let template = match template.to_ascii_lowercase().replace('_', "-").as_str() {
                "imagenet" => NetTemplate::imagenet(),
                "cifar10" | "cifar-10" => NetTemplate::cifar10(),
                "fashion-mnist" => NetTemplate::fashion_mnist(),
                other => bail!("unknown template '{other}' (imagenet, cifar10, fashion-mnist)"),
            };
            if resolution == 0 {
                bail!("--resolution must be at least 1");
            }
            let mut space = DesignSpace::named(&space)?.with_template(template);
            space = match flops {
                Some(w) => {
                    let (lo, hi) = parse_window(&w)?;
                    space.with_regime(Regime::flops(lo, hi, resolution))
                }
                None => space.with_regime(Regime {
                    resolution,
                    flops: None,
                    params: None,
                }),
            };
            for i in 0..n as u64 {
                let s = space.sample(seed, i)?;
                let summary = ModelSummary::of_sample(&s);
                if json {
                    writeln!(out, "{}", serde_json::to_string(&summary)?)?;
                } else {
                    writeln!(out, "{}", summary.to_text())?;
                }
            }
        }
        Command::List => {
            writeln!(out, "zoo models: {}", zoo::names().join(", "))?;
            writeln!(
                out,
                "design spaces: {}",
                regnet_lab::space::SPACE_NAMES.join(", ")
            )?;
        }
    }
    out.flush().context("writing to stdout")?;
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
