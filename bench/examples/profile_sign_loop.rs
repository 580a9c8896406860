//! A loop of signatures for `valgrind --tool=callgrind`.
#![allow(missing_docs, clippy::unwrap_used)]

fn main() {
    let claims = auth_bench::claims();
    let key = auth_bench::our_key();
    for _ in 0..20_000 {
        drop(std::hint::black_box(
            key.sign(std::hint::black_box(&claims)).unwrap(),
        ));
    }
}
