// The server binary the tests run: the release build, as it ships (`cargo leptos build --release
// -P --split` in scripts/test.sh); E2E_SERVER points elsewhere, e.g. at a debug build.
export const SERVER = process.env.E2E_SERVER ?? "../target/release/server";
