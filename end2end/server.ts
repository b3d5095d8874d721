// The server binary the tests run: the release build, as it ships (`cargo leptos build --release
// -P --split` in scripts/test.sh, which also writes target/site). E2E_SERVER names another
// binary built the same way; the byte budgets hold for the release build only.
export const SERVER = process.env.E2E_SERVER ?? "../target/release/server";
