//! README's Rust against code that compiles.

/// README "Library" is `examples/readme_library.rs`'s body between its markers (indented one
/// level there), so building the examples compiles the README's code.
#[test]
fn the_readme_library_block_is_the_compiled_example() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let section = &readme[readme
        .find("## Library\n")
        .expect("README has a Library section")..];
    let start = section.find("```rust\n").expect("a Rust block") + "```rust\n".len();
    let block = &section[start..start + section[start..].find("```\n").unwrap()];

    let example = std::fs::read_to_string(format!("{root}/examples/readme_library.rs")).unwrap();
    let (begin, end) = ("    // README begin\n", "    // README end\n");
    let a = example.find(begin).expect("begin marker") + begin.len();
    let b = example.find(end).expect("end marker");
    let body: String = example[a..b]
        .lines()
        .map(|l| format!("{}\n", l.strip_prefix("    ").unwrap_or(l)))
        .collect();
    assert_eq!(
        block, body,
        "README's Library block and examples/readme_library.rs differ: change both"
    );
}
