//! Picks the memory map for the target: Cortex-M4 → MPS2+ AN386, Cortex-M0 → micro:bit.
#![forbid(unsafe_code)]

use std::{env, fs, path::PathBuf};

fn main() {
    let target = env::var("TARGET").unwrap_or_default();
    let board = if target.starts_with("thumbv6m") {
        "microbit"
    } else {
        "mps2-an386"
    };
    let out = PathBuf::from(env::var_os("OUT_DIR").unwrap_or_default());
    let map = fs::read(format!("memory/{board}.x")).unwrap_or_default();
    if fs::write(out.join("memory.x"), map).is_err() {
        println!("cargo::error=cannot write memory.x into OUT_DIR");
    }
    println!("cargo::rustc-link-search={}", out.display());
    println!("cargo::rerun-if-changed=memory");
    println!("cargo::rerun-if-changed=build.rs");
}
