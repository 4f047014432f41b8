//! README "Library", compiled. `tests/it/readme.rs` checks that the README's block is exactly
//! the body below between the markers, so the README's code cannot drift from the API:
//! building this example is the check. Running it trains 32 small RegNetX models on the
//! embedded subset into `out/regnetx` and writes `edf.svg`.

#![allow(unused_variables)]

#[rustfmt::skip] // the README's layout, kept as it is
fn main() -> Result<(), Box<dyn std::error::Error>> {
    // README begin
    use regnet_lab::prelude::*;

    let spec = zoo::get("RegNetX-200MF")?.spec();           // widths [24, 56, 152, 368]
    let cx = complexity(&spec, 224)?;                       // ≈ 0.2 GF, 2.7 M params, 2.2 M acts

    // AnyNetX_E = A + shared b + shared g + widths and depths non-decreasing (paper §3.1).
    let space = DesignSpace::named("AnyNetX_E")?.with_regime(Regime::mf400());
    let models = space.samples(/* seed */ 0, /* n */ 100)?;
    let narrower = space.constrain("at most 12 blocks", |s| s.depth() <= 12);

    // A sweep on 28×28 images: sample, train briefly, store, resume.
    let data = ImageData::load(&DataSource::Embedded)?;
    let space = DesignSpace::regnet_x().with_regnet_ranges(RegNetRanges::small())?
        .with_template(NetTemplate::fashion_mnist()).with_regime(Regime::flops(1_000_000, 6_000_000, 28));
    let sweep = Sweep { space, seed: 0, n: 32, train: TrainConfig::default(), dataset: data.describe() };
    let results = sweep.run("out/regnetx", &data)?;
    let fig = EdfPlot::new().sweep("RegNetX", &results);   // shown inline as a cell's last value
    fig.save("edf.svg")?;
    // README end
    Ok(())
}
