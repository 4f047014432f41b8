#!/usr/bin/env python3
"""Write notebooks/*.ipynb from the cell sources below (outputs cleared).

The notebooks are committed; this script is how they are made, so a change to a notebook is a
readable diff here. Run: .venv/bin/python scripts/make_notebooks.py
"""
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
KERNEL = {"name": "rust", "display_name": "Rust", "language": "rust"}

# evcxr builds a notebook's crates at opt-level 2 with debug assertions, overflow checks and
# incremental compilation on: the crate's fast kernels then run at half speed (README,
# "Performance"). `:opt 3` and cargo's CARGO_PROFILE_DEV_* variables give the notebook the
# release profile's code; they must come before `:dep`, so that the first build is the only one.
# `:env` + `:restart` give the kernel's process the candle pool setting the CLI makes at start-up
# (its idle workers spin less and leave the cores to the training ops; README "Performance"
# measures a cell with this prelude at 1.14x the release CLI, and at 0.7-0.8x without :env).
DEP = """:env CANDLE_BARRIER_POOL_SPIN_LIMIT=500
:restart
:opt 3
:build_env CARGO_PROFILE_DEV_DEBUG_ASSERTIONS=false
:build_env CARGO_PROFILE_DEV_OVERFLOW_CHECKS=false
:build_env CARGO_PROFILE_DEV_INCREMENTAL=false
:dep regnet-lab = { path = ".." }"""

SETUP = """use regnet_lab::prelude::*;
let budget = Budget::from_env()?;
println!("budget: {}", budget.label());"""


def md(text):
    return nbformat.v4.new_markdown_cell(text.strip())


def code(text, *tags):
    text = text.strip()
    lines = text.split("\n")
    if lines[-1] == "}":
        # A cell that ends in a loop would show its value, a bare `()`: end it as a statement.
        last = [l for l in lines if l and not l[0].isspace() and l != "}"][-1]
        if last.startswith(("for ", "while ")):
            text += ";"
    c = nbformat.v4.new_code_cell(text)
    if tags:
        c.metadata["tags"] = list(tags)
    return c


NOTEBOOKS = {}

NOTEBOOKS["00_quickstart.ipynb"] = [
    md("""
# regnet-lab quickstart

This notebook builds **RegNetX-200MF** from its six RegNet parameters, shows its stages and
complexity as the reference code counts them, then trains a tiny RegNet on the budget's data
(the embedded Fashion-MNIST subset at `smoke`, Debian's Fashion-MNIST otherwise) and plots its
training curve.

The budget knob is the environment variable `REGNET_LAB_BUDGET` (`smoke`, `cpu`, `gpu`); at
`smoke` (what CI runs) every number below is a check that the code runs, not evidence.
"""),
    code(DEP),
    code(SETUP),
    md("""
## A zoo model from its parameters

RegNetX-200MF is `d = 13, w0 = 24, wa = 36.44, wm = 2.49, g = 8` (paper §3.3, Table 6 / pycls
zoo). The quantised-linear generator turns these into 4 stages; the complexity is counted at
224² exactly as pycls counts it (≈ 0.2 GF, 2.7 M parameters, 2.2 M activations).
"""),
    code("""let zoo_model = zoo::get("RegNetX-200MF")?;
let spec = zoo_model.spec();
let summary = ModelSummary::new(&spec, Some(&zoo_model.params), 224)?;
println!("{}", summary.to_text());"""),
    md("The spec itself renders as a table (the last expression of a cell is shown inline)."),
    code("spec.clone()"),
    md("""
The candle network built from the spec has exactly the parameter count the complexity counter
predicts (BN running statistics are buffers, not parameters, as in the reference).
"""),
    code("""let net = AnyNet::build(&spec, &ModelConfig::default())?;
assert_eq!(net.param_count(), summary.params);
let x = candle::Tensor::zeros((2, 3, 224, 224), candle::DType::F32, &candle::Device::Cpu)?;
let logits = net.forward_t(&x, false)?;
println!("{} parameters, logits {:?}", net.param_count(), logits.dims());"""),
    md("""
## A short training run

A small RegNet for 28×28 grey images (stem of width 16, 10 classes) trained briefly on the
budget's data: the paper's "low-epoch regime" in miniature.
"""),
    code("""let params: RegNetParams = "d=6,w0=16,wa=12,wm=2.2,g=8".parse()?;
let small = params.to_spec_with(&NetTemplate::fashion_mnist())?;
let data = budget.data()?;
let config = TrainConfig { log_every: 20, ..budget.train_config() };
let record = train(&small, &data, &config)?;
println!("best test error {:.2}% after {} epoch(s), {:.0} img/s",
         record.best_error.unwrap_or(f64::NAN), record.epochs.len(), record.images_per_second);"""),
    md("Its training curve (loss and error per epoch):"),
    code("training_curves(&[&record])", "figure"),
]

NOTEBOOKS["01_anynetx_design_spaces.ipynb"] = [
    md("""
# AnyNetX_A → AnyNetX_E (paper §3.1–3.2, Figures 2, 5, 6 and 7)

A design space is a population of models. We sample models from each AnyNetX space, train each
briefly on the same data with the same recipe, and compare the spaces by their **error EDFs**
F(e) = fraction of models with error < e, summarised as `[min error | mean error]`.

Each refinement adds one constraint: B shares the bottleneck ratio across stages, C also shares
the group width, D makes widths non-decreasing, E makes depths non-decreasing. The paper finds
B and C cost nothing while D and E improve the EDF. Here the networks are sized for 28×28
images (3 stages, d ≤ 4, w ≤ 128) and trained on the budget's data (below).
"""),
    code(DEP),
    code(SETUP),
    code("""// The five spaces, as the precomputed sweeps in datasets/sweeps/anynetx/ define them.
let spaces = precomputed::anynetx_chain()?;
for s in &spaces {
    println!("{:10} size {}  refinements: {:?}", s.name(), s.size(), s.refinements());
}"""),
    md("""
## Sample and train

At the `cpu` budget the crate ships these sweeps, made by regnet-lab itself with its `cpu`
recipe (3 epochs on 6,000 Fashion-MNIST training images, evaluated on all 10,000 test images;
`regnet-lab evidence`, see `datasets/sweeps/README.md`): the cell reads every committed run,
trains nothing, and prints how many runs each space rests on. At other budgets (and at `cpu`
where nothing is committed) each sweep is trained into `out/` as an append-only JSON-lines file:
re-running the cell resumes, and nothing finished is trained twice.
"""),
    code("""let data = budget.data()?;
let mut results = Vec::new();
for space in &spaces {
    let r = precomputed::results(budget, "anynetx", space, &data, budget.out_dir("notebook-01", space))?;
    results.push((space.name().to_string(), r));
}"""),
    md("""
## Error EDFs and KS distances

The legend numbers are the paper's `[min | mean]`. The KS statistic D = sup |F1 − F2| compares
consecutive spaces (ICCV 2019), and A with D and E, the two steps the paper says improve the
space. Beside each comparison, a **power plan**: how many models per space the KS test would
need to detect the difference these sweeps show (α = 0.05, power 80 %), by simulation from the
two sweeps shrunk towards each other so that their sampling noise is not taken for an effect
(`stats::ks_plan_from_pilots`). "Cannot be planned" means the two sweeps differ no more than two
samples of one population would.

The spaces are sampled with the same seed, so consecutive spaces share draws wherever a
constraint does not bind (C and D have identical depths at most indices). The KS test treats
them as independent samples, which makes it conservative here.
"""),
    code("""for (name, r) in &results {
    let edf = Edf::new(&r.errors())?;
    let s = edf.summary();
    println!("{name:10} n={:3} [{:.2} | {:.2}]  excluded (diverged) {}", s.n, s.min, s.mean, s.n_excluded);
}
let plan_options = PowerOptions { replicates: 500, ..PowerOptions::default() };
let mut pairs: Vec<(usize, usize)> = (1..results.len()).map(|j| (j - 1, j)).collect();
pairs.extend([(0, 3), (0, 4)]);
for (i, j) in pairs {
    let (a, b) = (results[i].1.errors(), results[j].1.errors());
    let ks = ks_2samp(&a, &b)?;
    let plan = ks_plan_from_pilots(&a, &b, &plan_options)?;
    println!("{} vs {}: D = {:.3}, p = {:.3}\n    {}", results[i].0, results[j].0, ks.statistic, ks.pvalue, plan.sentence());
}"""),
    md("""
## The paper's §3 findings on this data

Each row tests one claim of the paper on these sweeps: the difference B − A of the mean error and
of the 25th percentile (negative: B better) with 95 % bootstrap intervals, paired by sample index
(the spaces share the sample seed, and where a constraint does not bind they draw the same
model), the KS distance with its p-value after a Holm correction over the table, and a verdict:
*reproduced*, *contradicted*, or *undecided at this n* (rules: `docs/findings.md`). "Costs
nothing" is reproduced when the cost's upper bound is below 0.5 points.
"""),
    code("""let claims: Vec<Claim> = paper_claims().into_iter().take(4).collect();
findings(&claims, &results, &FindingsOptions::default())?"""),
    md("The EDFs on shared axes (paper Figures 5 and 7); further right is worse."),
    code("""let mut fig = EdfPlot::new();
for (name, r) in &results {
    fig = fig.sweep(name, r);
}
fig""", "figure"),
    md("""
## The alternatives the paper rejected (Figure 7)

On its way to D and E the paper also tried constant and decreasing widths (against C) and
constant and decreasing depths (against D), and found both worse than the non-decreasing
choice. The same comparison here: each alternative's EDF beside the space it refines and the
paper's choice. At `cpu` budget this reads the committed sweeps of group `alternatives`
(`regnet-lab evidence alternatives`; the legend gives n) and says so where none is committed
yet, rather than training them here; at `smoke` and `gpu` budgets it trains them.
"""),
    code("""let mut alternatives: Vec<(String, SweepResults)> = Vec::new();
for space in precomputed::anynetx_alternatives()? {
    let r = if budget == Budget::Cpu {
        precomputed::committed("alternatives", &space, &data)?
    } else {
        Some(precomputed::results(budget, "alternatives", &space, &data, budget.out_dir("notebook-01", &space))?)
    };
    match r {
        Some(r) if !r.records.is_empty() => alternatives.push((space.name().to_string(), r)),
        _ => println!("{}: no committed sweep yet (regnet-lab evidence alternatives)", space.name()),
    }
}
// In a block: the closure borrows the sweeps, and evcxr keeps only owned values.
{
    let panel = |title: &str, base: [usize; 2], prefix: &str| {
        let mut fig = EdfPlot::new().title(title);
        for i in base {
            fig = fig.sweep(&counted(&results[i].0, &results[i].1), &results[i].1);
        }
        for (name, r) in alternatives.iter().filter(|(n, _)| n.starts_with(prefix)) {
            fig = fig.sweep(&counted(name, r), r);
        }
        fig
    };
    Row::new()
        .with(panel("widths: C, D and the alternatives", [2, 3], "AnyNetX_C "))
        .with(panel("depths: D, E and the alternatives", [3, 4], "AnyNetX_D "))
}""", "figure"),
    md("""
The same rules as the findings table decide each alternative against the paper's choice (the
alternative refines the same space, so only the constraint differs; rows whose alternative has
no sweep yet say "no sweep").
"""),
    code("""let mut with_alternatives = results.clone();
with_alternatives.extend(alternatives.iter().cloned());
let table = findings(&paper_alternative_claims(), &with_alternatives, &FindingsOptions::default())?;
// The table, then what each undecided "better" row lacks (docs/findings.md).
table.evcxr_display();
table.undecided(&with_alternatives)?"""),
    md("""
## Where are the good models of AnyNetX_A? (Figure 2, middle and right)

For a property such as the total depth, repeatedly resample 25 % of the models, take the best
model's value, and report the 95 % range: the paper's blue band and dashed line.
"""),
    code("""for p in [Property::Depth, Property::StageWidth(3)] {
    let a = &results[0].1;
    let g = good_range(&a.errors(), &a.column(p), &GoodRangeOptions::default())?;
    println!("{:24} good range [{:.0}, {:.0}], most likely {:.0}", p.label(), g.low, g.high, g.median);
}"""),
    code("""Row::new()
    .with(error_vs(&results[0].1, Property::Depth))
    .with(error_vs(&results[0].1, Property::StageWidth(3)))""", "figure"),
    md("""
## The shared b of AnyNetX_B and the shared g of AnyNetX_C (Figure 5, right)

B shares one bottleneck ratio across stages, C also one group width. The paper's panels show
error against the shared value with the same bootstrap band: good B models sit at b ≤ 2, and
the best C models show no clear preference for g. The legend says how many models each panel
rests on; a band that spans every sampled value is "no preference", not "no effect".
"""),
    code("""Row::new()
    .with(error_vs(&results[1].1, Property::BottleneckRatio).title(format!("AnyNetX_B, n = {}", results[1].1.errors().len())))
    .with(error_vs(&results[2].1, Property::GroupWidth).title(format!("AnyNetX_C, n = {}", results[2].1.errors().len())))""", "figure"),
    md("""
## Good and bad AnyNetX_C networks (Figure 6)

The widths of every block of the three best and the three worst AnyNetX_C models: the paper
saw good networks widen from stage to stage, which is what D then imposes. Block index on the
x axis, width on the y axis (log scale), one line per model, its error in the legend.
"""),
    code("""// In a block: the sorted list borrows the sweep, and evcxr keeps only owned values.
{
    let mut runs: Vec<&RunRecord> = results[2].1.valid().collect();
    runs.sort_by(|a, b| a.error().unwrap_or(f64::NAN).total_cmp(&b.error().unwrap_or(f64::NAN)));
    let k = 3.min(runs.len() / 2).max(1);
    let mut fig = WidthsPlot::new().without_fit().title(format!("AnyNetX_C: the {k} best and the {k} worst of {} models", runs.len()));
    for (kind, r) in runs.iter().take(k).map(|r| ("best", r)).chain(runs.iter().rev().take(k).map(|r| ("worst", r))) {
        fig = fig.model(&format!("{kind} #{} {:.1} %", r.sample.index.unwrap_or(0), r.error().unwrap_or(f64::NAN)), &r.sample.spec);
    }
    fig
}""", "figure"),
    md("""
## Let the data propose the next refinement (the refinement assistant)

The paper went from AnyNetX_A to _E by looking at plots of good models. `suggest` does that
step from the AnyNetX_A sweep alone, without training anything new: for each candidate
constraint (the paper's shared b and g, non-decreasing widths and depths, and ranges of d, w, g,
b taken from the bootstrap good ranges of half the models and tested on the other half) it
compares the EDF of the models that satisfy it with the EDF of all models — KS statistic, the
difference in mean and in the 25th percentile of error with bootstrap intervals — and gives a
verdict after a Holm correction for testing many candidates at once. The `paper` column says
what the paper found for the same kind of rule.

Read the verdicts with the sample size in mind (the table's header says how many models the
sweep holds): at 32 models only large effects are detectable, and even at the committed 200,
"neutral" means "no evidence", not "no effect". At `smoke` budget (3 models) every candidate is
"not enough models", by design.
"""),
    code("""let suggestions = suggest(&results[0].1, &SuggestOptions::default().seed(0))?;
match suggestions.refined_space() {
    Some(next) => println!("proposed next space: {} (size {})", next.name(), next.size()),
    None => println!("no candidate improves on this evidence: sweep more models before refining"),
}
suggestions""", "figure"),
    md("""
The small multiples above are the evidence behind each verdict: the coloured EDF is the models
the constraint keeps, the grey one all models; a kept EDF to the left (lower error) is what an
improving constraint looks like. The paper's own choices, for comparison: shared bottleneck
ratio (B) and shared group width (C) change nothing; non-decreasing widths (D) and depths (E)
help. To confirm a proposal, sweep the proposed space (`suggestions.refined_space()`) with the
same recipe and compare its EDF with AnyNetX_A's, as the cells above do for B to E.
"""),
]

NOTEBOOKS["02_regnet.ipynb"] = [
    md("""
# The RegNet design space (paper §3.3–3.4, Figures 8, 9, 10 and 14)

Good AnyNetX_E models have per-block widths that follow a **quantised linear** function:
u_j = w0 + wa·j, s_j = round(log(u_j / w0) / log(wm)), w_j = w0·wm^s_j (rounded to a multiple
of 8). Six numbers (d, w0, wa, wm, g, b) describe a whole network.
"""),
    code(DEP),
    code(SETUP),
    md("""
## Continuous and quantised widths (Figure 8, top left)
"""),
    code("""let p: RegNetParams = "d=13,w0=24,wa=36.44,wm=2.49,g=8".parse()?;
let w = p.widths();
for j in 0..w.continuous.len() {
    println!("block {j:2}: u_j = {:7.2}  s_j = {}  w_j = {}", w.continuous[j], w.exponents[j], w.quantized[j]);
}
println!("stages realised {} of {} possible", w.num_stages, w.possible_stages);"""),
    code("""WidthsPlot::new().regnet("RegNetX-200MF", &p).regnet("RegNetX-1.6GF", &zoo::get("RegNetX-1.6GF")?.params)""", "figure"),
    md("""
## How well do AnyNetX_E models fit? (Figure 8, e_fit)

Fit (w0, wa, wm) to a model's per-block widths and measure e_fit, the mean absolute log-ratio of
predicted to observed widths. RegNet models fit exactly; random AnyNetX_E models mostly do not.
"""),
    code("""let e = DesignSpace::anynet_x_e().with_regime(Regime::mf400());
for sample in e.samples(0, 5)? {
    let fit = fit_quantized_linear(&sample.spec.block_widths())?;
    println!("widths {:?} depths {:?}: w0 {} wa {:.1} wm {:.2} e_fit {:.3}",
             sample.spec.stage_widths(), sample.spec.stage_depths(), fit.w0, fit.wa, fit.wm, fit.e_fit);
}
let zoo_fit = fit_quantized_linear(&zoo::get("RegNetX-200MF")?.spec().block_widths())?;
println!("RegNetX-200MF: e_fit {:.4}", zoo_fit.e_fit);"""),
    code("""let mut fig = WidthsPlot::new();
for sample in e.samples(0, 3)? {
    fig = fig.model(&format!("AnyNetX_E #{}", sample.index.unwrap_or(0)), &sample.spec);
}
fig""", "figure"),
    md("""
## e_fit against error over a whole sweep (Figure 8)

The paper fits the quantised-linear model to every AnyNetX_E model and finds that the good ones
fit well (low e_fit). Here: every model of the committed AnyNetX_E sweep (at `cpu` budget; a
fresh small sweep otherwise), its e_fit against its error, and the rank correlation.
"""),
    code("""let data = budget.data()?;
let e_space = precomputed::anynetx_chain()?.remove(4);
let e_sweep = precomputed::results(budget, "anynetx", &e_space, &data, budget.out_dir("notebook-02", &e_space))?;
let errors = e_sweep.errors();
let efit: Vec<f64> = e_sweep.valid()
    .map(|r| fit_quantized_linear(&r.sample.spec.block_widths()).map(|f| f.e_fit).unwrap_or(f64::NAN))
    .collect();
match regnet_lab::stats::spearman(&efit, &errors) {
    Ok(rho) => println!("AnyNetX_E, {} models: Spearman ρ(e_fit, error) = {:.2} (p = {:?})", errors.len(), rho.coefficient, rho.pvalue),
    Err(e) => println!("AnyNetX_E, {} models: no rank correlation ({e})", errors.len()),
};"""),
    code("""ErrorVsPlot::new("e_fit", &efit, &errors).name("AnyNetX_E").title(format!("AnyNetX_E: e_fit vs error, n = {}", errors.len()))""", "figure"),
    md("""
## The size of each design space

The paper's spaces shrink by orders of magnitude from AnyNetX_A to RegNet; counted here as the
paper counts them (per-stage choices; RegNet at the sampler's quantisation).
"""),
    code("""for name in ["AnyNetX_A", "AnyNetX_B", "AnyNetX_C", "AnyNetX_D", "AnyNetX_E", "RegNet", "RegNetX"] {
    let s = DesignSpace::named(name)?;
    println!("{name:10} {}", s.size());
}
let variants = DesignSpace::regnet_x().refine(Constraint::FixedWm(2.0)).refine(Constraint::W0EqualsWa);
println!("RegNetX + wm = 2 + w0 = wa: {}", variants.size());"""),
    md("""
## RegNetX and its restrictions wm = 2 and w0 = wa (Figure 9, left and middle)

RegNetX and its two restricted variants at the notebook's budget (the committed evidence at
`cpu` budget; the legend's order is the cell's).
"""),
    code("""let data = budget.data()?;
// RegNetX, RegNetX with wm = 2, RegNetX with w0 = wa (precomputed::regnet_x_variants()).
let variants = precomputed::regnet_x_variants();
let mut fig = EdfPlot::new();
let mut sweeps: Vec<(String, SweepResults)> = Vec::new();
for space in &variants {
    let r = precomputed::results(budget, "regnetx", space, &data, budget.out_dir("notebook-02", space))?;
    fig = fig.sweep(space.name(), &r);
    sweeps.push((space.name().to_string(), r));
}
fig""", "figure"),
    md("""
## RegNetX against AnyNetX_A and AnyNetX_E, and random search (Figures 9 right and 10)

The same recipe and regime for all three. Left: the error EDFs. Right: the expected best error
of k models drawn at random from each sweep — the paper's random-search efficiency, computed
exactly from the order statistics of each sweep's errors.
"""),
    code("""let chain = precomputed::anynetx_chain()?;
for (i, name) in [(0usize, "AnyNetX_A"), (4, "AnyNetX_E")] {
    let r = precomputed::results(budget, "anynetx", &chain[i], &data, budget.out_dir("notebook-02", &chain[i]))?;
    sweeps.push((name.to_string(), r));
}
let y = precomputed::regnet_y();
sweeps.push(("RegNetY".to_string(), precomputed::results(budget, "regnety", &y, &data, budget.out_dir("notebook-02", &y))?));
{
    let mut edfs = EdfPlot::new().title("RegNetX vs AnyNetX_A and AnyNetX_E");
    let mut search = SearchPlot::new().title("random search: expected best of k models");
    for (n, r) in sweeps.iter().filter(|(n, _)| ["AnyNetX_A", "AnyNetX_E", "RegNetX"].contains(&n.as_str())) {
        edfs = edfs.sweep(n, r);
        search = search.sweep(n, r);
    }
    Row::new().with(edfs).with(search)
}""", "figure"),
    md("""
## Does RegNetX generalise? Other settings (Figure 10)

The paper checks that RegNetX's advantage over AnyNetX_A and _E is not an artefact of the
setting it was found in: at higher flops, with more epochs, with five stages and with other
block types. All four here, at 28×28, beside the evidence's own setting (1–6 MF, three
stages, X blocks, 3 epochs at `cpu`): a higher flop regime (6–20 MF), five stages, the paper's
two other block types, R (the residual basic block: two full 3×3 convolutions) and V (the same
without its residual; widths and depths drawn as before, b = 1, one group), and three times
the epochs (the paper goes from 10 to 50). At `cpu` budget this reads the committed sweeps of
groups `generalisation` and `epochs` (`regnet-lab evidence generalisation epochs`) and says so
where none is committed yet; at `smoke` and `gpu` budgets it trains them. Two panels a row;
each legend gives the models a curve rests on.
"""),
    code("""// First panel: the evidence's own setting (1–6 MF, three stages), from the sweeps above.
let mut base = EdfPlot::new().title("RegNetX vs AnyNetX_A and _E: 1-6 MF, 3 stages");
for (n, r) in sweeps.iter().filter(|(n, _)| ["AnyNetX_A", "AnyNetX_E", "RegNetX"].contains(&n.as_str())) {
    base = base.sweep(&counted(n, r), r);
}
// Two panels a row: six side by side would not fit a notebook cell.
let mut panels = Row::new().columns(2).with(base);
// Every setting's sweeps, kept for the findings rows below.
let mut general: Vec<(String, SweepResults)> = Vec::new();
for setting in precomputed::generalisation()? {
    let mut fig = EdfPlot::new().title(&format!("RegNetX vs AnyNetX_A and _E: {}", setting.name));
    let mut shown = 0;
    for space in &setting.spaces {
        let r = if budget == Budget::Cpu {
            precomputed::committed(setting.group, space, &data)?
        } else {
            Some(precomputed::results(budget, setting.group, space, &data, budget.out_dir("notebook-02", space))?)
        };
        match r {
            Some(r) if !r.records.is_empty() => {
                fig = fig.sweep(&counted(space.name(), &r), &r);
                shown += 1;
                general.push((space.name().to_string(), r));
            }
            _ => println!("{}: no committed sweep yet (regnet-lab evidence {})", space.name(), setting.group),
        }
    }
    if shown > 0 {
        panels = panels.with(fig);
    }
}
panels""", "figure"),
    md("""
Whether RegNetX beats AnyNetX_A and _E in each setting, by the rules of the findings table
(Holm's correction over these rows; "no sweep" where a setting has none yet):
"""),
    code("""let table = findings(&paper_generalisation_claims()?, &general, &FindingsOptions::default())?;
// The table, then what each undecided "better" row lacks (docs/findings.md).
table.evcxr_display();
table.undecided(&general)?"""),
    md("""
## The paper's §3.3–3.4 findings on this data

RegNetX against AnyNetX_A and _E, the two restrictions, the good range of wm and g among
RegNetX models, and squeeze-excitation (RegNetY against RegNetX), with the same columns and
rules as notebook 01 (`docs/findings.md`); Holm's correction runs over the rows of this table.
"""),
    code("""let claims: Vec<Claim> = paper_claims().into_iter().skip(4).collect();
findings(&claims, &sweeps, &FindingsOptions::default())?"""),
    md("""
## Alternate designs and input resolution (§4, Figure 14 left and middle)

The paper tries two designs popular in mobile networks on RegNetX: an inverted bottleneck
(b = 1/4, the 3×3 convolution at four times the block's width) and depthwise 3×3 convolutions
(g = 1). It finds the inverted bottleneck slightly worse and depthwise clearly worse than b = 1
with g > 1. The same spaces here, in the same regime and recipe, drawn index by index from the
same seed as RegNetX. Input resolution: the paper finds its native 224×224 best at fixed
flops; here RegNetX's flops are counted at, and its models trained on Fashion-MNIST resampled
to, 20×20 and 40×40 beside the native 28×28 (at the same 1–6 MF a larger input leaves less
width and depth). At `cpu` budget this reads the committed sweeps of group `designs`
(`regnet-lab evidence designs`) and says so where none is committed yet; at `smoke` and `gpu`
budgets it trains them. The findings rows below use the rules of the table above.
"""),
    code("""let mut designs: Vec<(String, SweepResults)> = vec![sweeps[0].clone()];
for space in precomputed::regnet_x_alternate_designs().into_iter().chain(precomputed::regnet_x_resolutions()) {
    let r = if budget == Budget::Cpu {
        precomputed::committed("designs", &space, &data)?
    } else {
        Some(precomputed::results(budget, "designs", &space, &data, budget.out_dir("notebook-02", &space))?)
    };
    match r {
        Some(r) if !r.records.is_empty() => designs.push((space.name().to_string(), r)),
        _ => println!("{}: no committed sweep yet (regnet-lab evidence designs)", space.name()),
    }
}
let mut fig = EdfPlot::new().title("RegNetX, its alternate designs and other resolutions");
for (name, r) in &designs {
    fig = fig.sweep(&counted(name, r), r);
}
fig""", "figure"),
    code("""let table = findings(&paper_design_claims(), &designs, &FindingsOptions::default())?;
// The table, then what each undecided "better" row lacks (docs/findings.md).
table.evcxr_display();
table.undecided(&designs)?"""),
]

NOTEBOOKS["03_regnet_trends.ipynb"] = [
    md("""
# RegNet trends across complexity regimes (paper §4, Figures 11–14)

The paper sweeps RegNetX in several flop regimes and plots, for the best models of each regime,
their depth, width multiplier wm, group width and bottleneck ratio against flops. It finds depth
≈ 20 blocks across regimes, wm ≈ 2.5, b = 1 and growing group width. Here: three small regimes
at 28×28 (0.5–1.5, 1.5–4 and 4–10 MF), RegNetX and RegNetY (X + squeeze-excitation),
`precomputed::trends()`, with depth and b left open (d ∈ [6, 40], b ∈ {1, 2, 4}, and wa from
1 so that deep models fit the flop windows; `RegNetRanges::small_open()`) so that the paper's
b = 1 and d ≈ 20 can emerge rather than be imposed; RegNetX constrained in the same regimes
(Figure 13) and SE across them (Figure 14, right). At `cpu` budget the cells read the committed
sweeps of group `trends`
(`regnet-lab evidence trends`) and say so where none is committed yet; at `smoke` and `gpu`
budgets they train them.
"""),
    code(DEP),
    code(SETUP),
    code("""let data = budget.data()?;
let mut by_family: Vec<(String, Vec<(String, SweepResults)>)> = Vec::new();
for (family, spaces) in precomputed::trends() {
    let mut sweeps = Vec::new();
    for space in &spaces {
        let r = if budget == Budget::Cpu {
            precomputed::committed("trends", space, &data)?
        } else {
            Some(precomputed::results(budget, "trends", space, &data, budget.out_dir("notebook-03", space))?)
        };
        match r {
            Some(r) if !r.records.is_empty() => sweeps.push((space.name().to_string(), r)),
            _ => println!("{}: no committed sweep yet (regnet-lab evidence trends)", space.name()),
        }
    }
    by_family.push((family.to_string(), sweeps));
}"""),
    md("""
## Parameter trends of RegNetX (Figure 11)

Per regime, the bootstrap good range of depth, b, wm and g among the best RegNetX models (the
band of Figure 2, computed in each regime: 95 % range as a bar, median as the point), against
the regime's median flops, with a least-squares trend through the medians. A bar that spans
most of the sampled range says the regime's sweep cannot locate the good value at its n; the
models each regime rests on are printed above the figure, and the findings table below it
tests the paper's b = 1, d ≈ 20 and wm ≈ 2.5 in every regime. A flop window keeps few b = 1
models (they have the most flops per width), so b's band stays wide; the table therefore also
compares each regime's b = 1 models with its b = 2 and 4 models directly, and gives both
counts.
"""),
    code("""{
    // A block: borrowed variables cannot persist between evcxr cells.
    let (family, sweeps) = &by_family[0];
    for (name, r) in sweeps {
        println!("{name}: {} valid models", r.errors().len());
    }
    let refs: Vec<&SweepResults> = sweeps.iter().map(|(_, r)| r).collect();
    let opts = GoodRangeOptions::default();
    if refs.is_empty() {
        // Nothing committed yet: say so in the figure rather than draw an empty trend.
        let r = precomputed::results(budget, "regnetx", &precomputed::regnet_x_variants()[0], &data, budget.out_dir("notebook-03", &precomputed::regnet_x_variants()[0]))?;
        Row::new().with(TrendPlot::good_ranges(Property::Depth, "RegNetX, 1-6 MF evidence only (no regime sweeps committed)", &[&r], &opts))
    } else {
        // Two panels a row: four side by side would not fit a notebook cell.
        let mut row = Row::new().columns(2);
        for property in [Property::Depth, Property::BottleneckRatio, Property::Wm, Property::GroupWidth] {
            row = row.with(TrendPlot::good_ranges(property, family, &refs, &opts));
        }
        row
    }
}""", "figure"),
    code("""findings(&paper_trend_claims(), &by_family[0].1, &FindingsOptions::default())?"""),
    md("""
## Squeeze-excitation across regimes (Figure 14, right)

RegNetY against RegNetX in every regime that has both, and in the evidence's 1–6 MF regime
(the committed evidence at `cpu` budget), as EDFs (one panel per regime) and as findings rows with the rules of
notebook 01 (Holm's correction over the rows).
"""),
    code("""let x = precomputed::regnet_x_variants().swap_remove(0);
let y = precomputed::regnet_y();
// The evidence's RegNetX and RegNetY (1-6 MF) keep their names: the claims use them.
let mut se: Vec<(String, SweepResults)> = vec![
    ("RegNetX".to_string(), precomputed::results(budget, "regnetx", &x, &data, budget.out_dir("notebook-03", &x))?),
    ("RegNetY".to_string(), precomputed::results(budget, "regnety", &y, &data, budget.out_dir("notebook-03", &y))?),
];
for (_, sweeps) in &by_family {
    se.extend(sweeps.iter().cloned());
}
// One panel per regime, the evidence's own first: six curves in one panel cannot be told apart.
// In a block: a cell's last expression may not move one of the cell's own variables.
{
    let mut evidence = EdfPlot::new().title("1-6 MF (the evidence)");
    for (n, r) in &se[..2] {
        evidence = evidence.sweep(&counted(n, r), r);
    }
    edf_by_regime(&se[2..], vec![evidence])
}""", "figure"),
    code("""let table = findings(&paper_se_claims(), &se, &FindingsOptions::default())?;
// The table, then what each undecided "better" row lacks (docs/findings.md).
table.evcxr_display();
table.undecided(&se)?"""),
    md("""
## RegNetX constrained (Figure 13)

After its trends the paper restricts RegNetX further: b = 1, d ≤ 40, wm ≥ 2, and parameters
and activations limited, which gives faster, lighter models; it finds the constrained space
better in every flop regime. Here, per regime: b = 1, wm ≥ 2 (d ≤ 40 is already the trend
ranges' bound), and parameters and activations at most the medians of 200 untrained draws of
the regime's RegNetX with b = 1 and wm ≥ 2 (`precomputed::regnet_x_constrained()`; our rule,
as the paper sets its limits from fits to its best models). Each regime's constrained EDF is drawn beside its RegNetX, with
findings rows. At `cpu` budget this reads the committed sweeps of group `trends`.
"""),
    code("""let mut constrained: Vec<(String, SweepResults)> = by_family[0].1.clone();
for space in precomputed::regnet_x_constrained()? {
    println!("{}: {}", space.name(), space.refinements().join(", "));
    let r = if budget == Budget::Cpu {
        precomputed::committed("trends", &space, &data)?
    } else {
        Some(precomputed::results(budget, "trends", &space, &data, budget.out_dir("notebook-03", &space))?)
    };
    match r {
        Some(r) if !r.records.is_empty() => constrained.push((space.name().to_string(), r)),
        _ => println!("{}: no committed sweep yet (regnet-lab evidence trends)", space.name()),
    }
}
if constrained.is_empty() {
    println!("nothing to draw: no sweep of group trends is committed yet");
} else {
    // One panel per regime: RegNetX and its constrained space side by side.
    edf_by_regime(&constrained, vec![]).evcxr_display();
};""", "figure"),
    code("""let table = findings(&paper_constraint_claims(), &constrained, &FindingsOptions::default())?;
// The table, then what each undecided "better" row lacks (docs/findings.md).
table.evcxr_display();
table.undecided(&constrained)?"""),
    md("""
## Complexity metrics against run time, on this CPU (Figure 12)

The paper (on GPUs) found a network's activations a better predictor of its run time than its
flops. `cargo run --release --example runtime_vs_complexity` measured 40 models (RegNetX from
four flop windows at 28×28 and AnyNetX_A of the evidence space), each in its own fresh process
with the crate's ops, batch 64, 2 threads, and committed the measurements to
`docs/figures/runtime.jsonl`. This cell reads them (no timing in the notebook's own process,
which shares the machine with the kernel): CPU time, not the paper's GPU time.
"""),
    code("""let rows = regnet_lab::runtime::load_measurements("../docs/figures/runtime.jsonl")?;
println!("{} models, batch {}, {} threads", rows.len(), rows[0].batch, rows[0].threads);
let metrics: [(&str, fn(&regnet_lab::runtime::RuntimeMeasurement) -> f64); 3] =
    [("flops", |r| r.flops as f64), ("params", |r| r.params as f64), ("acts", |r| r.acts as f64)];
for (metric, x) in metrics {
    let xs: Vec<f64> = rows.iter().map(x).collect();
    let infer: Vec<f64> = rows.iter().map(|r| r.inference_ms).collect();
    let step: Vec<f64> = rows.iter().map(|r| r.train_step_ms).collect();
    println!("{metric:6}: Spearman ρ with inference {:.2}, with a train step {:.2}",
             regnet_lab::stats::spearman(&xs, &infer)?.coefficient,
             regnet_lab::stats::spearman(&xs, &step)?.coefficient);
}
let mut by_space: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
for r in &rows {
    let point = (r.flops as f64, r.train_step_ms);
    match by_space.iter_mut().find(|(n, _)| *n == r.space) {
        Some((_, pts)) => pts.push(point),
        None => by_space.push((r.space.clone(), vec![point])),
    }
}"""),
    code("""let mut fig = TrendPlot::new("train step (ms, batch 64)").without_fit()
    .title(format!("CPU train-step time vs flops, {} models", rows.len()));
for (name, pts) in &by_space {
    fig = fig.series(name, pts);
}
fig""", "figure"),
    md("""
Here flops predict the time best (Spearman ρ 0.98 for inference, 0.91 for a training step) and
activations nearly as well (0.96, 0.89); parameters least (0.84, 0.82). Over 40 models of one
family flops and activations move together, so these numbers do not separate them the way the
paper's wider set of GPU measurements did.
"""),
]

NOTEBOOKS["04_zoo_and_weights.ipynb"] = [
    md("""
# The RegNetX / RegNetY zoo and torchvision-layout weights

All 24 ImageNet models of the reference, built from their parameters, with their complexity as
pycls counts it. Parameters are named as torchvision names them, so a torchvision RegNet state
dict exported to safetensors loads unchanged (`AnyNet::load_safetensors`).
"""),
    code(DEP),
    code(SETUP),
    code("""println!("{:14} {:>13} {:>28} {:>8} {:>9} {:>8}", "model", "depths", "widths", "GF", "M params", "M acts");
for m in zoo::all() {
    let spec = m.spec();
    let cx = complexity(&spec, 224)?;
    println!("{:14} {:>13} {:>28} {:8.2} {:9.2} {:8.2}", m.name, format!("{:?}", spec.stage_depths()),
             format!("{:?}", spec.stage_widths()), cx.flops as f64 / 1e9, cx.params as f64 / 1e6, cx.acts as f64 / 1e6);
}"""),
    md("""
## Per-block widths of the zoo

Four RegNetX models' widths, block by block, on a log scale: the quantised-linear staircase the
six parameters generate, from 200MF to 16GF.
"""),
    code("""let mut fig = WidthsPlot::new().without_fit().title("RegNetX zoo: width of every block");
for name in ["RegNetX-200MF", "RegNetX-800MF", "RegNetX-3.2GF", "RegNetX-16GF"] {
    fig = fig.regnet(name, &zoo::get(name)?.params);
}
fig""", "figure"),
    md("""
## Save and load weights

A model's weights (BN running statistics included) go to a safetensors file under torchvision's
names and come back; missing, extra or mis-shaped tensors are errors that name them.
"""),
    code("""let spec = zoo::get("RegNetY-200MF")?.params.to_spec_with(&NetTemplate::fashion_mnist())?;
let net = AnyNet::build(&spec, &ModelConfig::default().seed(1))?;
std::fs::create_dir_all("out")?;
net.save_safetensors("out/regnety-200mf-fashion.safetensors")?;
let again = AnyNet::build(&spec, &ModelConfig::default().seed(2))?;
again.load_safetensors("out/regnety-200mf-fashion.safetensors")?;
let names: Vec<String> = net.parameter_shapes().iter().take(4).map(|(n, s)| format!("{n} {s:?}")).collect();
println!("{}", names.join("\\n"));"""),
    md("""
## Inference on test images

The loaded network classifies a few embedded test images (untrained weights here: expect
chance-level answers unless you train first, e.g. with notebook 00).
"""),
    code("""let data = regnet_lab::data::embedded()?;
let norm = regnet_lab::data::Normalize::fashion_mnist();
let first = data.test.first_per_class(1);
let (x, y) = first.to_tensors(&norm, &candle::Device::Cpu)?;
let pred = again.forward_t(&x, false)?.argmax(1)?.to_vec1::<u32>()?;
println!("labels      {:?}\\npredictions {:?}", y.to_vec1::<u32>()?, pred);"""),
]


def main():
    out = ROOT / "notebooks"
    out.mkdir(exist_ok=True)
    for name, cells in NOTEBOOKS.items():
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = KERNEL
        nb.metadata["language_info"] = {"name": "rust"}
        for i, cell in enumerate(cells):
            # Stable ids: regenerating an unchanged notebook changes nothing in git.
            cell["id"] = f"{name[:2]}-{i:03d}"
        nb.cells = cells
        nbformat.write(nb, out / name)
        print("wrote", out / name)


if __name__ == "__main__":
    main()
