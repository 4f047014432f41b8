//! Sampling + complexity throughput: the design-space method samples and counts many models
//! (rejection into a flops regime rejects most draws), so this must be cheap.
//! Target: 10^6 RegNet specs sampled and counted in under 1 s on 2 cores.
//!
//! Run: `cargo bench --bench sampling` (prints a table; medians of 5 runs).

use std::hint::black_box;
use std::time::Instant;

use regnet_lab::complexity::complexity;
use regnet_lab::space::{DesignSpace, Regime};

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

fn time<F: FnMut()>(runs: usize, mut f: F) -> f64 {
    f(); // warm-up
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

fn main() {
    let n = 1_000_000u64;
    println!("| case | n | median seconds | per item |");
    println!("| --- | --- | --- | --- |");
    for name in ["RegNetX", "RegNetY", "AnyNetX_A"] {
        let space = DesignSpace::named(name).unwrap();
        let s = time(5, || {
            for i in 0..n {
                black_box(space.sample(1, i).unwrap());
            }
        });
        println!(
            "| sample + complexity, {name}, no regime | {n} | {s:.3} | {:.0} ns |",
            s / n as f64 * 1e9
        );
    }
    let spec = DesignSpace::regnet_x().sample(0, 0).unwrap().spec;
    let s = time(5, || {
        for _ in 0..n {
            black_box(complexity(black_box(&spec), 224).unwrap());
        }
    });
    println!(
        "| complexity only, one RegNetX spec | {n} | {s:.3} | {:.0} ns |",
        s / n as f64 * 1e9
    );
    let m = 1000u64;
    let space = DesignSpace::anynet_x_e().with_regime(Regime::mf400());
    let s = time(3, || {
        for i in 0..m {
            black_box(space.sample(1, i).unwrap());
        }
    });
    println!(
        "| AnyNetX_E in 360–400 MF at 224² (rejection) | {m} | {s:.3} | {:.0} µs |",
        s / m as f64 * 1e6
    );
    let space = DesignSpace::regnet_x().with_regime(Regime::mf400());
    let s = time(3, || {
        for i in 0..m {
            black_box(space.sample(1, i).unwrap());
        }
    });
    println!(
        "| RegNetX in 360–400 MF at 224² (rejection) | {m} | {s:.3} | {:.0} µs |",
        s / m as f64 * 1e6
    );
}
